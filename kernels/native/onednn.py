"""oneDNN's convolutions as XLA:CPU FFI targets: `onednn_conv.cc`, built on first use.

The source is compiled with the system C++ compiler against the `onednn-cpu-gomp` and
`onednn-devel-cpu-gomp` packages (the `cpu-conv` extra) into the user cache directory
(`$FLOWGRAPH_NATIVE_CACHE_DIR`, else `$XDG_CACHE_HOME/flowgraph/native`, else
`~/.cache/flowgraph/native`), once per source, jaxlib and oneDNN version and location;
later processes load the library built before (older builds stay, ~150 KB each). Without
a compiler, without oneDNN, or when the build fails, `available()` is False (one log line
says why) and convolutions stay XLA's own.
`FLOWGRAPH_ONEDNN=0` (or `false`, `off`, `no`, read at first use) turns it off.

Threads: each oneDNN primitive runs on one thread, and `onednn_conv.cc` splits a
convolution over the batch into chunks (two per core) that the calling XLA thread and the
library's own helper threads (cores - 1) take from a shared counter: the caller waits only
for chunks a helper has started, never for a helper that is still asleep. Before (session
8) each primitive ran on the whole GNU OpenMP team, one after another; its barriers made the
step wait for the slowest thread of the team, which on a busy machine is one the scheduler
has not run yet. A/B in one process on the busy 2-core Intel machine (load 6-7, 4 steps a
block, alternating with TensorFlow's step; four runs): chunks against the team,
flowgraph/TF 10th percentiles 0.998x vs 1.029x, 0.926x vs 1.000x, 1.018x vs 1.137x, 1.186x
vs 1.244x; medians 1.04x vs 1.21x, 1.02x vs 1.08x, 1.81x vs 2.03x, 1.16x vs 1.33x; the same
CPU time. Tried too, no better in those runs: one or four chunks per core (four: more
primitive calls), the chunks on XLA's own intra-op pool (the FFI's `ThreadPool`), two or
three helper threads on 2 cores. A filter
gradient's chunks write their own partial filter gradients, which the caller sums (oneDNN's
own split of the reduction cost 4x the CPU time for the 5x5x1x32 filter). OMP_WAIT_POLICY
is still set to PASSIVE (unless the user set it) before oneDNN loads: no parallel region
is opened, but an OpenMP thread that some other library starts then sleeps when idle.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.metadata
import logging
import os
import shutil
import subprocess
import tempfile
import threading

import jax
import jaxlib

SWITCH = "FLOWGRAPH_ONEDNN"
DIRECTORY = "FLOWGRAPH_NATIVE_CACHE_DIR"
_OFF = ("0", "false", "off", "no")
_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onednn_conv.cc")
_RUNTIME, _HEADERS = "onednn-cpu-gomp", "onednn-devel-cpu-gomp"
TARGETS = {  # FFI target name -> the handler symbol in onednn_conv.cc
    "flowgraph_onednn_conv2d": "FlowgraphOnednnConv2D",
    "flowgraph_onednn_conv2d_backprop_input": "FlowgraphOnednnConv2DBackpropInput",
    "flowgraph_onednn_conv2d_backprop_filter": "FlowgraphOnednnConv2DBackpropFilter",
}

log = logging.getLogger(__name__)
_lock = threading.Lock()
_state: dict[str, bool] = {}


class Unavailable(Exception):
    """Why oneDNN's convolutions cannot be used in this process."""


def available() -> bool:
    """Whether the FFI targets are registered (builds and loads them on the first call)."""
    with _lock:
        if "ok" not in _state:
            _state["ok"] = _load()
        return _state["ok"]


def _load() -> bool:
    if os.environ.get(SWITCH, "").strip().lower() in _OFF:
        return False
    try:
        library = build()
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        lib = ctypes.CDLL(library)
    except (Unavailable, OSError) as e:  # OSError: a shared library it needs is missing
        log.info("flowgraph: XLA's own CPU convolutions (%s)", e)
        return False
    for target, symbol in TARGETS.items():
        capsule = jax.ffi.pycapsule(getattr(lib, symbol))
        jax.ffi.register_ffi_target(target, capsule, platform="cpu")
    return True


def _package_file(package: str, name: str) -> str:
    """The path of the installed file `name` (a path suffix) of distribution `package`."""
    try:
        files = importlib.metadata.distribution(package).files or ()
    except importlib.metadata.PackageNotFoundError:
        raise Unavailable(
            f"{package} is not installed; pip install 'flowgraph[cpu-conv]'"
        ) from None
    for f in files:
        if ("/" + str(f).replace(os.sep, "/")).endswith("/" + name):
            return str(f.locate())
    raise Unavailable(f"{package} has no {name}")


def cache_dir(environ=os.environ) -> str:
    """Where built libraries are kept."""
    if environ.get(DIRECTORY):
        return environ[DIRECTORY]
    root = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "flowgraph", "native")


def build() -> str:
    """The path of the built library: the cached one, else compiled now (atomically: two
    processes building at once each rename a whole file into place)."""
    compiler = shutil.which(os.environ.get("CXX", "g++")) or shutil.which("c++")
    if compiler is None:
        raise Unavailable("no C++ compiler")
    header = _package_file(_HEADERS, "oneapi/dnnl/dnnl.hpp")
    runtime = _package_file(_RUNTIME, "libdnnl.so")
    with open(_SOURCE, "rb") as f:
        source = f.read()
    version = importlib.metadata.version(_RUNTIME)
    parts = [source, jaxlib.__version__.encode(), version.encode(), runtime.encode()]
    key = hashlib.sha256(b"\0".join(parts))
    path = os.path.join(cache_dir(), f"onednn_conv-{key.hexdigest()[:16]}.so")
    if not os.path.exists(path):
        _compile(compiler, header, runtime, path)
    return path


def _compile(compiler: str, header: str, runtime: str, path: str) -> None:
    include = os.path.dirname(os.path.dirname(os.path.dirname(header)))
    lib = os.path.dirname(runtime)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".so.tmp")
    os.close(fd)
    command = [
        compiler,
        "-O2",
        "-std=c++17",
        "-shared",
        "-fPIC",
        "-fopenmp",
        "-w",
        _SOURCE,
        "-o",
        tmp,
    ]
    command += [f"-I{jax.ffi.include_dir()}", f"-I{include}", f"-L{lib}", "-ldnnl"]
    command += [f"-Wl,-rpath,{lib}"]
    name = os.path.basename(_SOURCE)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if done.returncode:
            raise Unavailable(f"building {name} failed: {done.stderr[-2000:]}")
        os.replace(tmp, path)
    except subprocess.TimeoutExpired:
        raise Unavailable(f"building {name} took over 600 s") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
