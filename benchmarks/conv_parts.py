"""Where the CNN step's time goes: each piece of `cnn_model`'s training step on its own.

Every piece (forward convolution, input gradient, filter gradient, max pool and its
gradient, the dense layer's three matmuls) is a hand-written `jax.jit` function at the
CNN's shapes; with `--tf-python`, TensorFlow's same op runs in a subprocess
(`tf_conv_parts_worker.py`) and their blocks interleave. Each side reports wall and CPU
milliseconds per call (medians): CPU time is the work done, wall time adds how well the
work spreads over the cores. `flowgraph` is flowgraph's own form where it differs from
XLA's (max pooling: `kernels/conventions.tile_max`). Where oneDNN is installed (the
`cpu-conv` extra) the convolution pieces also run on it (`onednn`: kernels/conv_onednn.py,
what flowgraph's CPU segments call). `--formulations` adds the alternatives tried for XLA:CPU
(patches + GEMM, per-tap GEMMs, a batch split, XLA:CPU compile options); `--hlo DIR`
writes each piece's optimized HLO (what XLA:CPU runs: `__ynn_fusion` marks YNNPACK).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time

import jax
import jax.numpy as jnp
import numpy as np
from cnn_model import CNN_BATCH
from jax import lax

from kernels import conv, conv_onednn
from kernels.native import onednn

_P = lax.Precision.HIGHEST  # what kernels/conv.py uses
_DN = ("NHWC", "HWIO", "NHWC")
_YNN = "xla_cpu_experimental_ynn_fusion_type"
_KIND = "LIBRARY_FUSION_TYPE_"
OPTIONS = {  # XLA:CPU compile options tried against the default (YNNPACK for dots and convs)
    "eigen": {_YNN: ""},
    "ynn-dot-conv": {_YNN: f"{_KIND}INDIVIDUAL_DOT,{_KIND}INDIVIDUAL_CONVOLUTION"},
    "no-eigen-mt": {"xla_cpu_multi_thread_eigen": False},
}


def _conv(x, w):
    return lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=_DN, precision=_P)


def _fwd(x, w, g):
    return _conv(x, w)


def _dx(x, w, g):
    return jax.vjp(lambda v: _conv(v, w), x)[1](g)[0]


def _dw(x, w, g):
    return jax.vjp(lambda v: _conv(x, v), w)[1](g)[0]


def _pool(h, g):
    n, height, width, c = h.shape
    return jnp.max(h.reshape(n, height // 2, 2, width // 2, 2, c), axis=(2, 4))


def _pool_grad(h, g):
    return jax.vjp(lambda v: _pool(v, None), h)[1](g)[0]


def _pool_flowgraph(h, g):
    return conv._max_pool(h, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def _pool_grad_flowgraph(h, g):
    return jax.vjp(lambda v: _pool_flowgraph(v, None), h)[1](g)[0]


# flowgraph's own form of a piece, where it is not XLA's (kernels/conventions.tile_max: the
# max and its first position in one pass over the windows, no transpose)
OWN = {_pool: _pool_flowgraph, _pool_grad: _pool_grad_flowgraph}


def _patches(x, k: int):
    """SAME patches of NHWC `x` for a k x k window: [n, h, w, k * k, c]."""
    n, h, w, c = x.shape
    p = (k - 1) // 2
    xp = jnp.pad(x, ((0, 0), (p, k - 1 - p), (p, k - 1 - p), (0, 0)))
    return jnp.stack([xp[:, i : i + h, j : j + w] for i in range(k) for j in range(k)], axis=3)


def _fwd_gemm(x, w, g):
    taps = _patches(x, w.shape[0])
    rows = taps.reshape(-1, taps.shape[3] * taps.shape[4])
    out = jnp.dot(rows, w.reshape(rows.shape[1], -1), precision=_P)
    return out.reshape(x.shape[:3] + (w.shape[-1],))


def _dw_gemm(x, w, g):
    taps = _patches(x, w.shape[0])
    rows = taps.reshape(-1, taps.shape[3] * taps.shape[4])
    return jnp.dot(rows.T, g.reshape(-1, g.shape[-1]), precision=_P).reshape(w.shape)


def _dw_taps(x, w, g):
    taps = _patches(x, w.shape[0])
    g2 = g.reshape(-1, g.shape[-1])
    per_tap = [
        jnp.dot(taps[:, :, :, t].reshape(-1, x.shape[-1]).T, g2, precision=_P)
        for t in range(taps.shape[3])
    ]
    return jnp.stack(per_tap).reshape(w.shape)


def _dx_gemm(x, w, g):
    flipped = jnp.transpose(w[::-1, ::-1], (0, 1, 3, 2))
    return _fwd_gemm(g, flipped, None)


def _geometry(x, w):
    return conv_onednn.geometry(x.shape, w.shape, (1, 1), "SAME", (1, 1))


def _fwd_onednn(x, w, g):
    return conv_onednn.conv(x, w, _geometry(x, w))


def _dx_onednn(x, w, g):
    return conv_onednn.backprop_input(g, w, x.shape, _geometry(x, w))


def _dw_onednn(x, w, g):
    return conv_onednn.backprop_filter(x, g, w.shape, _geometry(x, w))


ONEDNN = {"fwd": _fwd_onednn, "dX": _dx_onednn, "dW": _dw_onednn}


def _split(piece):
    def halves(x, w, g):
        parts = [piece(a, w, b) for a, b in zip(jnp.split(x, 2), jnp.split(g, 2))]
        return sum(parts) if piece is _dw else jnp.concatenate(parts)

    return halves


FORMULATIONS = {  # piece kind -> alternatives (name, function)
    "fwd": (("patches+gemm", _fwd_gemm), ("batch-split", _split(_fwd))),
    "dW": (("patches+gemm", _dw_gemm), ("per-tap-gemm", _dw_taps), ("batch-split", _split(_dw))),
    "dX": (("patches+gemm", _dx_gemm), ("batch-split", _split(_dx))),
}


def pieces(rng):
    """name -> (kind, function(a, b, c), arguments) at the CNN's shapes."""

    def r(*shape):
        return jnp.asarray(rng.normal(size=shape).astype(np.float32))

    n = CNN_BATCH
    x1, w1, g1 = r(n, 28, 28, 1), r(5, 5, 1, 32), r(n, 28, 28, 32)
    x2, w2, g2 = r(n, 14, 14, 32), r(5, 5, 32, 64), r(n, 14, 14, 64)
    h, wd, gd = r(n, 7 * 7 * 64), r(7 * 7 * 64, 1024), r(n, 1024)
    return {
        "conv1 fwd": ("fwd", _fwd, (x1, w1, g1)),
        "conv1 dW": ("dW", _dw, (x1, w1, g1)),
        "conv2 fwd": ("fwd", _fwd, (x2, w2, g2)),
        "conv2 dX": ("dX", _dx, (x2, w2, g2)),
        "conv2 dW": ("dW", _dw, (x2, w2, g2)),
        "pool1 fwd": ("pool", _pool, (g1, r(n, 14, 14, 32))),
        "pool1 bwd": ("pool", _pool_grad, (g1, r(n, 14, 14, 32))),
        "pool2 fwd": ("pool", _pool, (g2, r(n, 7, 7, 64))),
        "pool2 bwd": ("pool", _pool_grad, (g2, r(n, 7, 7, 64))),
        "dense fwd": ("dense", lambda a, b, c: jnp.dot(a, b, precision=_P), (h, wd, gd)),
        "dense dW": ("dense", lambda a, b, c: jnp.dot(a.T, c, precision=_P), (h, wd, gd)),
        "dense dX": ("dense", lambda a, b, c: jnp.dot(c, b.T, precision=_P), (h, wd, gd)),
    }


def variants(kind, fn, args, formulations: bool):
    """name -> compiled function: XLA's own first, then the alternatives."""
    lowered = jax.jit(fn).lower(*args)
    out = {"xla": lowered.compile()}
    if kind in ONEDNN and onednn.available():
        out["onednn"] = jax.jit(ONEDNN[kind]).lower(*args).compile()
    if fn in OWN:
        out["flowgraph"] = jax.jit(OWN[fn]).lower(*args).compile()
    if formulations:
        for name, alt in FORMULATIONS.get(kind, ()):
            out[name] = jax.jit(alt).lower(*args).compile()
        for name, options in OPTIONS.items():
            out[f"xla/{name}"] = lowered.compile(compiler_options=options)
    return out


def block(compiled, args, calls: int) -> tuple[float, float]:
    """Wall and CPU ms per call over `calls` calls."""
    compiled(*args).block_until_ready()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        out = compiled(*args)
    out.block_until_ready()
    return (time.perf_counter() - wall) / calls * 1e3, (time.process_time() - cpu) / calls * 1e3


class TensorFlowParts:
    """TensorFlow's pieces in a subprocess: `name calls` in, `wall_ms cpu_ms` out."""

    def __init__(self, python: str):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf_conv_parts_worker.py")
        self.proc = subprocess.Popen(
            [python, script],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the TensorFlow worker did not start")

    def __call__(self, name: str, calls: int) -> tuple[float, float]:
        self.proc.stdin.write(f"{name}\t{calls}\n")
        self.proc.stdin.flush()
        wall, cpu = self.proc.stdout.readline().split()
        return float(wall), float(cpu)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def check_values(compiled, args) -> None:
    ref = np.asarray(compiled["xla"](*args))
    for name, c in compiled.items():
        err = np.max(np.abs(np.asarray(c(*args)) - ref)) / max(np.max(np.abs(ref)), 1e-30)
        if err > 1e-5:
            raise AssertionError(f"{name} differs from XLA's convolution: {err:.1e}")


def measure(name, compiled, args, tf, calls: int, repeats: int):
    """Interleaved blocks of every variant (and TF's op); name -> (wall, cpu) medians."""
    sides = {k: (lambda c=c: block(c, args, calls)) for k, c in compiled.items()}
    if tf is not None:
        sides["tensorflow"] = lambda: tf(name, calls)
    times = {k: [] for k in sides}
    for _ in range(repeats):
        for k, side in sides.items():
            times[k].append(side())
    return {k: tuple(statistics.median(t[i] for t in v) for i in (0, 1)) for k, v in times.items()}


def dump_hlo(directory: str, name: str, compiled) -> None:
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name.replace(" ", "_") + ".hlo.txt"), "w") as f:
        f.write(compiled.as_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tf-python", help="a Python with TensorFlow: time TF's ops too")
    parser.add_argument("--formulations", action="store_true", help="time the alternatives")
    parser.add_argument("--hlo", help="write each piece's optimized HLO into this folder")
    parser.add_argument("--only", nargs="*", help="piece names (e.g. 'conv2 dW')")
    parser.add_argument("--calls", type=int, default=5, help="calls per block")
    parser.add_argument("--repeats", type=int, default=7, help="blocks per side")
    args = parser.parse_args()
    print(f"device: {jax.devices()[0].device_kind}; wall ms / CPU ms per call, medians")
    tf = TensorFlowParts(args.tf_python) if args.tf_python else None
    totals: dict[str, list[float]] = {}
    for name, (kind, fn, values) in pieces(np.random.default_rng(0)).items():
        if args.only and name not in args.only:
            continue
        compiled = variants(kind, fn, values, args.formulations)
        check_values(compiled, values)
        if args.hlo:
            dump_hlo(args.hlo, name, compiled["xla"])
        result = measure(name, compiled, values, tf, args.calls, args.repeats)
        # flowgraph's CPU segments: oneDNN's convolutions where it is installed, XLA's rest
        own = "onednn" if "onednn" in result else "flowgraph" if "flowgraph" in result else "xla"
        sides = {"xla": "xla", "flowgraph": own}
        if "tensorflow" in result:
            sides["tensorflow"] = "tensorflow"
        for k, side in sides.items():
            totals.setdefault(k, [0.0, 0.0])
            totals[k] = [a + b for a, b in zip(totals[k], result[side])]
        cells = "  ".join(f"{k} {w:7.2f}/{c:6.2f}" for k, (w, c) in result.items())
        print(f"{name:10s} {cells}", flush=True)
    print("sum       " + "  ".join(f"{k} {w:7.2f}/{c:6.2f}" for k, (w, c) in totals.items()))
    if tf is not None:
        tf.close()


if __name__ == "__main__":
    main()
