"""The persistent compile cache: compiled XLA executables kept on disk between processes.

Re-running a script or restarting a notebook kernel finds the executables of the segments it
compiled before instead of compiling them again. Two caches share one directory and one
switch, both turned on when flowgraph is imported:

- flowgraph's executable cache (`device/executable_cache.py`, in `executables/`): each xla
  segment's executables with what the runtime took from tracing it, so that a new process
  neither traces, lowers nor compiles the segment; keyed by the segment's ops, attrs and
  edges, its inputs' shapes, dtypes and donation, the compile options, flowgraph's source,
  the device and the jax/jaxlib versions;
- jax's persistent compilation cache, for what the first does not keep (segments with
  static inputs, placed on another device, spanning a job's devices, or with checked
  function bodies) and for the process's own `jax.jit` functions: keyed by a hash of the
  lowered program, the compile options, the devices and the jax/jaxlib versions.

Location: `$FLOWGRAPH_COMPILE_CACHE_DIR`, else `$XDG_CACHE_HOME/flowgraph/xla`, else
`~/.cache/flowgraph/xla`; a cache directory the user gave jax itself
(`JAX_COMPILATION_CACHE_DIR` or `jax.config`) is kept as it is. Switch:
`FLOWGRAPH_COMPILE_CACHE=0` (or `false`, `off`, `no`) leaves both off;
`FLOWGRAPH_EXECUTABLE_CACHE=0` leaves only jax's on. Both are read once, at
`import flowgraph`. A changed graph, shape or version compiles afresh and never reuses a
stale executable. Entries are not evicted; delete the directory to empty it. jax's setting
is process-wide: the process's own `jax.jit` functions are cached too.
"""

from __future__ import annotations

import os

import jax

from device import executable_cache

SWITCH = "FLOWGRAPH_COMPILE_CACHE"
DIRECTORY = "FLOWGRAPH_COMPILE_CACHE_DIR"
EXECUTABLES = "FLOWGRAPH_EXECUTABLE_CACHE"  # =0: jax's cache only (traces every segment)
_OFF = ("0", "false", "off", "no")

# Every executable is written, however fast it compiled: reading a small segment's entry
# back (~30 ms with tracing and lowering) still beats compiling it (~100 ms) on a 2-core CPU.
MIN_COMPILE_SECONDS = 0.0


def default_dir(environ=os.environ) -> str:
    """The cache directory when `$FLOWGRAPH_COMPILE_CACHE_DIR` is unset (XDG-aware)."""
    root = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "flowgraph", "xla")


def configure(environ=os.environ) -> str | None:
    """Turns jax's persistent compilation cache on unless switched off; returns its
    directory, or None when it is off."""
    if environ.get(SWITCH, "").strip().lower() in _OFF:
        executable_cache.configure(None)
        return None
    path = jax.config.jax_compilation_cache_dir
    if path is None:
        path = environ.get(DIRECTORY) or default_dir(environ)
        jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_SECONDS)
    on = environ.get(EXECUTABLES, "").strip().lower() not in _OFF
    executable_cache.configure(path if on else None)
    return path


def directory() -> str | None:
    """Where compiled executables are cached now, or None when the cache is off."""
    if not jax.config.jax_enable_compilation_cache:
        return None
    return jax.config.jax_compilation_cache_dir
