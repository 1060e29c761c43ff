"""A model split across two devices: flowgraph against itself on one device and against
hand-written jax with explicit `jax.device_put` between the halves.

The model is an MLP (batch 256, four 512-wide tanh layers, a 10-way output, summed): layers
1-2 on the first device, 3-4 and the output on the second. Cases, each per call of `run`
with the batch fed from numpy and the scalar fetched:
  split:  flowgraph with `tf.device(first)` / `tf.device(second)` against two jitted
          halves on those devices joined by `jax.device_put`;
  single: the same model entirely on the first device against one jitted function.
Prints the median per-call times and the ratios. On CPU the script asks XLA for four host
devices; on a GPU machine run `--first /gpu:0 --second /cpu:0`.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from timing import per_call  # noqa: E402

import flowgraph as tf  # noqa: E402
from device.spec import DeviceSpec  # noqa: E402

WIDTHS = [512, 512, 512, 512, 10]
BATCH, FEATURES, FIRST_HALF = 256, 784, 2


def per_call_ms(fn, calls: int, repeats: int) -> float:
    """Median over `repeats` of the mean time of `calls` calls, in milliseconds."""
    return per_call(fn, calls, repeats) * 1e3


def _params() -> list[np.ndarray]:
    rng = np.random.RandomState(0)
    sizes = [FEATURES] + WIDTHS
    return [(rng.randn(a, b) / np.sqrt(a)).astype(np.float32) for a, b in zip(sizes, sizes[1:])]


def _jax_device(name: str) -> jax.Device:
    spec = DeviceSpec.from_string(name)
    return jax.devices(spec.device_type.lower())[spec.device_index or 0]


def flowgraph_model(params, first: str, second: str):
    """A session and a `run(batch) -> value` for the model with its halves on two devices."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [BATCH, FEATURES])
        h = x
        for i, w in enumerate(params):
            with tf.device(first if i < FIRST_HALF else second):
                h = tf.matmul(h, tf.Variable(w))
                h = tf.tanh(h) if i < len(params) - 1 else tf.reduce_sum(h)
        sess = tf.Session(graph=graph)
        sess.run(tf.global_variables_initializer())
    return lambda batch: sess.run(h, {x: batch})


def jax_model(params, first: jax.Device, second: jax.Device):
    """Hand-written jax: one jitted half per device, `device_put` between them."""

    def layers(ws, h, last):
        for i, w in enumerate(ws):
            h = jnp.matmul(h, w, precision=jax.lax.Precision.HIGHEST)  # as TF1 (no TF32)
            h = jnp.sum(h) if last and i == len(ws) - 1 else jnp.tanh(h)
        return h

    head = [jax.device_put(w, first) for w in params[:FIRST_HALF]]
    tail = [jax.device_put(w, second) for w in params[FIRST_HALF:]]
    f1 = jax.jit(lambda ws, h: layers(ws, h, False))
    f2 = jax.jit(lambda ws, h: layers(ws, h, True))

    def run(batch):
        h = f1(head, jax.device_put(batch, first))
        return np.asarray(f2(tail, jax.device_put(h, second)))

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", default="/cpu:0")
    parser.add_argument("--second", default="/cpu:1")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    params = _params()
    batch = np.random.RandomState(1).randn(BATCH, FEATURES).astype(np.float32)
    d1, d2 = _jax_device(args.first), _jax_device(args.second)
    cases = {
        "flowgraph split ": flowgraph_model(params, args.first, args.second),
        "flowgraph single": flowgraph_model(params, args.first, args.first),
        "jax split       ": jax_model(params, d1, d2),
        "jax single      ": jax_model(params, d1, d1),
    }
    values = {name: float(run(batch)) for name, run in cases.items()}
    reference = values["jax single      "]
    assert all(abs(v - reference) <= 1e-3 * max(1.0, abs(reference)) for v in values.values())
    times = {
        name: per_call_ms(lambda run=run: run(batch), args.calls, args.repeats)
        for name, run in cases.items()
    }
    print(f"devices: {args.first} ({d1}) and {args.second} ({d2})")
    for name, ms in times.items():
        print(f"{name}: {ms:8.3f} ms/call (median of {args.repeats})")
    t = {k.strip(): v for k, v in times.items()}
    print(f"ratio flowgraph split / jax split       : {t['flowgraph split'] / t['jax split']:.2f}x")
    print(
        f"ratio flowgraph single / jax single     : {t['flowgraph single'] / t['jax single']:.2f}x"
    )
    print(
        f"ratio flowgraph split / flowgraph single: "
        f"{t['flowgraph split'] / t['flowgraph single']:.2f}x"
    )


if __name__ == "__main__":
    main()
