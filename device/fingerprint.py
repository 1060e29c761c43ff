"""Fingerprints: a digest of everything that determines a segment's compiled code.

The executable cache (`device/executable_cache.py`) keys an entry by the digest of a
segment's nodes (names, op types, inputs in order, control inputs, devices, output dtypes
and shapes, and attrs, including the function bodies they hold at any depth), its inputs,
outputs, variables and folded nodes, together with flowgraph's own source code and the
settings read while tracing. Two segments with the same digest trace to the same program.
A node's `source` (the user's line) is left out: it names errors, not code.
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import threading
from typing import Any, Iterable

import jax
import numpy as np

from device.ir import Function, Node
from device.partition import Segment

# The packages whose code traces a segment: a changed file changes every digest.
_PACKAGES = ("kernels", "device", "flowgraph")
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Settings outside the graph that change what a trace makes (checks, XLA options, ...).
# TF_NUM_INTRAOP_THREADS: how a Multinomial kernel shards its rows, as TF (kernels/random.py)
_ENV_PREFIXES = ("FLOWGRAPH_", "XLA_FLAGS", "JAX_", "TF_NUM_INTRAOP_THREADS")
_ENV_IGNORED = (
    "FLOWGRAPH_COMPILE_CACHE",
    "JAX_COMPILATION_CACHE_DIR",
    "FLOWGRAPH_TRACEBACK_FILTERING",  # how errors print
    "FLOWGRAPH_SLOW_COMPILE_SECONDS",  # when the compile notice prints
    "FLOWGRAPH_GC_FREEZE",  # the garbage collector (flowgraph/__init__.py)
)
_JAX_CONFIG = ("jax_enable_x64", "jax_default_matmul_precision", "jax_default_prng_impl")


class Unhashable(Exception):
    """An attr value with no stable digest (an object known only by its identity)."""


def digest(parts: Iterable[Any]) -> str:
    """A hex digest of `parts`, each given to `token`."""
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        h.update(token(part).encode())
        h.update(b"\0")
    return h.hexdigest()


def segment(seg: Segment, hoisted: Iterable[str] = ()) -> list[str]:
    """The tokens of what a segment's trace reads from the segment itself. The values of
    `hoisted` constants (passed as arguments, not compiled in) count by type only."""
    skip = frozenset(hoisted)
    parts = [_node(n, n.name in skip) for n in seg.nodes]
    parts.append(repr((seg.kind, seg.inputs, seg.outputs, sorted(seg.static), sorted(seg.folded))))
    parts.append(repr((sorted(seg.variables), sorted(seg.pullbacks.items()))))
    parts.append(token(sorted(seg.linearized.items())))
    return parts


def environment() -> str:
    """Flowgraph's code, jax's version and settings, the devices: what is the same for
    every segment of a process."""
    settings = sorted(
        (k, v)
        for k, v in os.environ.items()
        if k.startswith(_ENV_PREFIXES) and not k.startswith(_ENV_IGNORED)
    )
    config = [(name, getattr(jax.config, name, None)) for name in _JAX_CONFIG]
    device = jax.devices()[0]
    backend = (device.platform, device.device_kind, device.client.platform_version)
    if device.platform == "cpu":  # XLA:CPU compiles for this host's instruction set
        backend += (cpu_features(),)
    return repr((source_digest(), jax.__version__, jax.lib.__version__, backend, settings, config))


_source: list[str] = []  # the source digest, once computed
_source_lock = [threading.Lock()]


def source_digest() -> str:
    """A digest of the source files of `kernels/`, `device/` and `flowgraph/` (read once a
    process: ~4 MB, ~10 ms; `prefetch` starts it early)."""
    if not _source:
        with _source_lock[0]:  # a second caller waits for the first one's digest
            if not _source:
                _source.append(_digest_sources())
    return _source[0]


def prefetch() -> None:
    """Computes the source digest in a background thread (reading and hashing release the
    GIL), so that a first run with the executable cache on does not wait for it."""
    if not _source:
        threading.Thread(target=source_digest, name="flowgraph-source-digest", daemon=True).start()


def _after_fork() -> None:
    # A child forked while the thread held the lock would wait on it for ever.
    _source_lock[0] = threading.Lock()


os.register_at_fork(after_in_child=_after_fork)


def _digest_sources() -> str:
    h = hashlib.blake2b(digest_size=20)
    for package in _PACKAGES:
        for root, dirs, files in os.walk(os.path.join(_ROOT, package)):
            dirs.sort()
            for name in sorted(f for f in files if f.endswith((".py", ".binarypb"))):
                path = os.path.join(root, name)
                h.update(os.path.relpath(path, _ROOT).encode())
                with open(path, "rb") as f:
                    h.update(f.read())
    return h.hexdigest()


@functools.cache
def cpu_features() -> str:
    """A digest of the host CPU's model and instruction-set flags. XLA:CPU compiles for the
    CPU it runs on, so an executable made on one machine may use instructions another lacks
    (a cache directory on a shared or copied home: XLA warns that it "could SIGILL")."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:  # not Linux: what the platform module knows
        lines = [platform.machine(), platform.processor(), platform.platform()]
    keys = ("flags", "model name", "Features", "CPU part", "CPU implementer")
    wanted = sorted({line for line in lines if line.startswith(keys)})
    return hashlib.blake2b("\n".join(wanted).encode(), digest_size=12).hexdigest()

def _node(node: Node, value_free: bool = False) -> str:
    head = (node.name, node.op, node.inputs, node.control_inputs, node.device, node.output_shapes)
    dtypes = ",".join([token(d) for d in node.output_dtypes])
    attrs = node.attrs
    items = [
        f"{k}={token(attrs[k])}"
        for k in sorted(attrs)
        if not (value_free and k == "value")  # a hoisted constant: its type reaches the code
    ]
    return f"{head!r}{dtypes}{';'.join(items)}"


_DTYPES: dict[np.dtype, str] = {}
_PLAIN = frozenset((bool, int, float, str, bytes, complex, type(None)))


def token(value: Any) -> str:
    """A string that only equal attr values share (arrays by content digest)."""
    kind = type(value)
    if kind in _PLAIN:
        return repr(value)
    if isinstance(value, np.dtype):
        found = _DTYPES.get(value)  # (`str` builds its string on every read)
        if found is None:
            found = _DTYPES[value] = f"dtype:{value.str}"
        return found
    if kind is tuple or kind is list:
        return f"{kind.__name__[0]}({','.join(map(token, value))})"
    if isinstance(value, (np.ndarray, np.generic)):
        return _array(np.asarray(value))
    if isinstance(value, Function):
        return _function(value)
    if isinstance(value, dict):
        return "d" + token(sorted(value.items()))
    text = repr(value)
    if " at 0x" in text:
        raise Unhashable(text)
    return f"{kind.__qualname__}:{text}"


def _array(value: np.ndarray) -> str:
    if value.dtype.kind == "O":
        return f"O{value.shape}" + token(value.ravel().tolist())
    data = hashlib.blake2b(np.ascontiguousarray(value).tobytes(), digest_size=16).hexdigest()
    return f"a:{value.dtype.str}{value.shape}:{data}"


def _function(fn: Function) -> str:
    body = "".join(_node(n) for n in fn.graph.nodes)
    return f"F({fn.name},{fn.inputs},{fn.outputs},{fn.refs},{fn.writes},{fn.rng},{body})"
