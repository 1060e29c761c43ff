"""oneDNN's convolutions as XLA:CPU FFI targets: `onednn_conv.cc`, built on first use.

The source is compiled with the system C++ compiler against the `onednn-cpu-gomp` and
`onednn-devel-cpu-gomp` packages (the `cpu-conv` extra) into the user cache directory
(`$FLOWGRAPH_NATIVE_CACHE_DIR`, else `$XDG_CACHE_HOME/flowgraph/native`, else
`~/.cache/flowgraph/native`), once per source, jaxlib and oneDNN version and location;
later processes load the library built before (older builds stay, ~150 KB each). Without
a compiler, without oneDNN, or when the build fails, `available()` is False (one log line
says why) and convolutions stay XLA's own.
`FLOWGRAPH_ONEDNN=0` (or `false`, `off`, `no`, read at first use) turns it off.

oneDNN runs its parallel regions on GNU OpenMP threads beside XLA's pool. Unless the user
set `OMP_WAIT_POLICY`, it is set to PASSIVE before oneDNN loads: an idle OpenMP thread
then sleeps instead of spinning, which on a machine with few cores would take them from
XLA's threads between convolutions.
Each primitive runs on the whole team, one after another (XLA's thunk executor runs the
two gradients of a convolution back to back). The CNN's 5x5x32x64 forward, input and
filter gradients take the same CPU time on one OpenMP thread as on two (OMP_NUM_THREADS
1 against 2, `benchmarks/conv_parts.py`), so running the two gradients side by side on
one thread each would take the longer one's whole time, more than both split over two.
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
