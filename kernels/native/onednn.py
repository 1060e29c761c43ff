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
convolution over the batch into chunks (two per core) that the library's helper threads
(one per core) take from a shared counter. The FFI handlers are asynchronous: they post the
chunks and return a future, so XLA's thunk executor goes on with work that does not need
the convolution (in the CNN step, fc1's Momentum update runs beside conv2's gradients, whose
input- and filter-gradient chunks queue back to back) and resumes the convolution's users
on the helper that ends its last chunk. A batch smaller than the cores gives each chunk an
OpenMP team of the cores left (batch 1: oneDNN's own split over all of them).
Before (session 8) each primitive ran on the whole GNU OpenMP team, one after another,
synchronously: its barriers made the step wait for the team's slowest thread (on a busy
machine, one the scheduler had not run yet) and nothing else ran beside a convolution.
`benchmarks/train_step.py --model cnn` on the 2-core Intel Xeon, both sides run under
`chrt -r 5` (real-time priority: the machine was shared, load 6-7, and that gives each side
the cores as on a quiet machine), flowgraph/TF medians: the OpenMP team 1.003x, 1.007x,
1.011x; chunks taken synchronously by the caller and one helper 0.92x; asynchronous 0.949x,
0.908x, 0.943x, 0.934x, 0.915x (10th percentiles 0.88-0.89x against 0.96-1.00x), the same
CPU time (flowgraph/TF 0.94-0.98x either way). On the quiet machine, without `chrt`:
medians 1.007x, 1.006x, 0.980x, 10th percentiles 0.94-0.95x (the team before: 1.09x, 1.15x). One convolution alone
(`benchmarks/conv_parts.py`, same priority) costs ~0.1-0.2 ms more wall than on the team
(the hand-off to the helpers and back: conv2's forward, input and filter gradients 3.50,
3.53, 3.81 ms against 3.54, 3.39, 3.58; TF 3.64, 3.70, 4.09); the step gains by running
other work beside it. Without `chrt` on that busy machine both
old and new vary 1.05-2.0x run to run: under the kernel's autogroup scheduling a side gets
CPU on a second core only while it has a second runnable thread, and TensorFlow's Eigen
threads spin between ops where XLA's executor runs one thread at a time between
convolutions. Tried too, no better: one or four chunks per core, the chunks on XLA's own
intra-op pool (the FFI's `ThreadPool`), two or three helper threads on 2 cores, helpers
spinning ~1 ms before they sleep (0.912x, 0.933x against 0.946x, 0.920x without).
A filter gradient's chunks write their own partial filter gradients, which are summed
(oneDNN's own split of the reduction cost 4x the CPU time for the 5x5x1x32 filter).
OMP_WAIT_POLICY is still set to PASSIVE (unless the user set it) before oneDNN loads, for
the small-batch teams and any OpenMP thread some other library starts.
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
