"""flowgraph: the TensorFlow 1.x programming model on JAX/XLA (`import flowgraph as tf`).

Every public name is one line of `flowgraph/export_table.py`; `flowgraph/exports.py`
fills this package and its namespaces from it.
"""

import gc as _gc
import os as _os
import sys as _sys

import jax as _jax

# TF has 64-bit types (int64 steps, float64 math); jax keeps them only with x64 enabled.
_jax.config.update("jax_enable_x64", True)

# Compiled segments are cached on disk, so a new process does not compile them again.
from flowgraph import compile_cache as _compile_cache

_compile_cache.configure()

from flowgraph import exports as _exports

_exports.build(_sys.modules[__name__])

# What importing jax, numpy and flowgraph made (~150k objects: modules, functions, tables)
# lives as long as the process: moved out of the collector's reach, they are not walked by
# every full collection, which runs each time the heap grows by a quarter (building a
# 5,000-op graph ran one of ~0.1 s, a sixth of a warm first run). Reference counting still
# frees them. `FLOWGRAPH_GC_FREEZE=0` leaves the collector as it was.
if _os.environ.get("FLOWGRAPH_GC_FREEZE", "1").strip().lower() not in ("0", "false", "off"):
    _gc.freeze()
