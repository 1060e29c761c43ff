"""flowgraph: the TensorFlow 1.x programming model on JAX/XLA (`import flowgraph as tf`).

Every public name is one line of `flowgraph/export_table.py`; `flowgraph/exports.py`
fills this package and its namespaces from it.
"""

import sys as _sys

import jax as _jax

# TF has 64-bit types (int64 steps, float64 math); jax keeps them only with x64 enabled.
_jax.config.update("jax_enable_x64", True)

# Compiled segments are cached on disk, so a new process does not compile them again.
from flowgraph import compile_cache as _compile_cache

_compile_cache.configure()

from flowgraph import exports as _exports

_exports.build(_sys.modules[__name__])
