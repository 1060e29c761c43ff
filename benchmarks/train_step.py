"""Training-step time of flowgraph against hand-written `jax.jit` train steps.

MLP (`--model mlp`): a 784-512-512-10 ReLU MLP, softmax cross entropy, Adam, batch 128.
Two cases, each against a hand-written `jax.jit` train step (parameters and Adam state
donated, the same Adam, data and initial weights) measured in the same run:
  (a) feed:     the batch is fed through `feed_dict` each step;
  (b) resident: the batch lives in the graph (a constant).

CNN (`--model cnn`): 28x28x1 NHWC input, batch 64; conv 5x5x32 SAME + bias, ReLU, 2x2 max
pool; conv 5x5x64 SAME + bias, ReLU, 2x2 max pool; dense 1024 + ReLU; dense 10; sparse
softmax cross entropy; Momentum (lr 0.01, momentum 0.9, TF's update: accum = accum *
momentum + grad; var -= lr * accum). The batch is fed through `feed_dict`, as in (a). The
jax step uses lax.conv_general_dilated (NHWC/HWIO), max pool as reshape + max, the same
precision as flowgraph (HIGHEST for float32), and donates parameters and momentum buffers.
flowgraph's convolutions run on oneDNN where the `cpu-conv` extra is installed
(kernels/conv_onednn.py; the jax step keeps XLA's); `FLOWGRAPH_ONEDNN=0` times XLA's.

Embedding (`--model embedding`): an `embedding_lookup`-heavy step: a 50000x64 table, a
batch of 256 rows of 32 ids, mean-pooled, a 64x10 dense layer, sparse softmax cross
entropy, plain SGD (sparse updates of the table).

`--model checks` times the compiled-in run-time checks (`device/checks.py`: indices,
labels, integer divisors): each of the MLP (fed), CNN and embedding steps in two sessions,
checks on and `FLOWGRAPH_CHECKS=0`, alternating step by step; prints the ratios on/off of
the median and of the 10th percentile, and of the CPU time per step. These steps feed their
ids and labels from the host, so their checks run there, before each step
(`checks_profile.py` shows the steps' kernels); every session of a step is fed the same
arrays, aligned so that jax reads them in place (`_aligned`).

Both sides fetch the loss every step. Prints median step times, their ratio
(flowgraph / jax) and the final losses, which must agree to 1e-4; then each side's median
CPU ms per step (process CPU time over all its threads: the work done, which load on a
shared machine changes far less than wall time; wall over CPU shows how well a side spreads
its work over the cores). With TensorFlow the CNN case also prints the 10th percentiles of
the blocks. On a shared machine, `chrt -r 5 python benchmarks/train_step.py ...` runs both
sides (the TF worker inherits it) at real-time priority, as on quiet cores: under the
kernel's autogroup scheduling a side otherwise gets a second core only while it has a
second runnable thread, and the medians vary 2x from run to run.
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
from cnn_model import CNN_LR, CNN_MOMENTUM, cnn_batch, cnn_graph, cnn_initial_weights

import flowgraph as tf

SIZES = (784, 512, 512, 10)
LR, BETA1, BETA2, EPS = 1e-3, 0.9, 0.999, 1e-8


def initial_weights(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
        params.append(np.zeros(fan_out, np.float32))
    return params


def batch(seed: int = 1, size: int = 128) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(size, SIZES[0])).astype(np.float32), rng.integers(0, 10, size)


# -- flowgraph -------------------------------------------------------------------------


def flowgraph_step(weights, x_value, y_value, resident: bool):
    graph = tf.Graph()
    with graph.as_default():
        if resident:
            x, y = tf.constant(x_value), tf.constant(y_value.astype(np.int32))
        else:
            x = tf.placeholder(tf.float32, [None, SIZES[0]], name="x")
            y = tf.placeholder(tf.int32, [None], name="y")
        params = [tf.Variable(w, name=f"p{i}") for i, w in enumerate(weights)]
        h = x
        for i in range(0, len(params), 2):
            h = tf.matmul(h, params[i]) + params[i + 1]
            if i + 2 < len(params):
                h = tf.nn.relu(h)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=h))
        train = tf.train.AdamOptimizer(LR, BETA1, BETA2, EPS).minimize(loss)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=graph)
    sess.run(init)
    fetches = [train, loss]
    if resident:
        return lambda: sess.run(fetches)[1]
    feed = {x: x_value, y: np.asarray(y_value, np.int32)}
    return lambda: sess.run(fetches, feed)[1]


# -- hand-written jax --------------------------------------------------------------------


def _loss(params, x, y):
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i + 2 < len(params):
            h = jax.nn.relu(h)
    logp = jax.nn.log_softmax(h)
    return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))


@jax.jit
def _adam(params, m, v, t, x, y):
    loss, grads = jax.value_and_grad(_loss)(params, x, y)
    t = t + 1
    lr_t = LR * jnp.sqrt(1 - BETA2**t) / (1 - BETA1**t)
    m = [BETA1 * mi + (1 - BETA1) * g for mi, g in zip(m, grads)]
    v = [BETA2 * vi + (1 - BETA2) * g * g for vi, g in zip(v, grads)]
    params = [p - lr_t * mi / (jnp.sqrt(vi) + EPS) for p, mi, vi in zip(params, m, v)]
    return params, m, v, t, loss


_adam_donated = jax.jit(_adam.__wrapped__, donate_argnums=(0, 1, 2, 3))


def jax_step(weights, x_value, y_value, resident: bool):
    state = {
        "params": [jnp.asarray(w) for w in weights],
        "m": [jnp.zeros_like(w) for w in weights],
        "v": [jnp.zeros_like(w) for w in weights],
        "t": jnp.zeros((), jnp.float32),
    }
    y_int = y_value.astype(np.int32)
    if resident:
        x_dev, y_dev = jnp.asarray(x_value), jnp.asarray(y_int)

    def step():
        x, y = (x_dev, y_dev) if resident else (x_value, y_int)
        p, m, v, t, loss = _adam_donated(state["params"], state["m"], state["v"], state["t"], x, y)
        state.update(params=p, m=m, v=v, t=t)
        return np.asarray(loss)

    return step


# -- CNN ---------------------------------------------------------------------------------

_PRECISION = jax.lax.Precision.HIGHEST  # what kernels/conv.py and kernels/math.py use


def cnn_flowgraph_step(weights, x_value, y_value):
    graph = tf.Graph()
    with graph.as_default():
        x, y, loss, train = cnn_graph(tf, weights)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=graph)
    sess.run(init)
    fetches, feed = [train, loss], {x: x_value, y: y_value}
    return lambda: sess.run(fetches, feed)[1]


def _max_pool_2x2(h):
    n, hh, ww, c = h.shape
    return jnp.max(h.reshape(n, hh // 2, 2, ww // 2, 2, c), axis=(2, 4))


def _cnn_loss(params, x, y):
    h = x
    for i in (0, 2):
        h = jax.lax.conv_general_dilated(
            h,
            params[i],
            (1, 1),
            "SAME",
            dimension_numbers=("NHWC", "HWIO", "NHWC"),
            precision=_PRECISION,
        )
        h = _max_pool_2x2(jax.nn.relu(h + params[i + 1]))
    h = h.reshape(h.shape[0], -1)
    h = jax.nn.relu(jnp.matmul(h, params[4], precision=_PRECISION) + params[5])
    logits = jnp.matmul(h, params[6], precision=_PRECISION) + params[7]
    logp = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))


def _momentum(params, accum, x, y):
    loss, grads = jax.value_and_grad(_cnn_loss)(params, x, y)
    accum = [a * CNN_MOMENTUM + g for a, g in zip(accum, grads)]
    params = [p - CNN_LR * a for p, a in zip(params, accum)]
    return params, accum, loss


_momentum_donated = jax.jit(_momentum, donate_argnums=(0, 1))


def cnn_jax_step(weights, x_value, y_value):
    state = {
        "params": [jnp.asarray(w) for w in weights],
        "accum": [jnp.zeros_like(w) for w in weights],
    }

    def step():
        p, a, loss = _momentum_donated(state["params"], state["accum"], x_value, y_value)
        state.update(params=p, accum=a)
        return np.asarray(loss)

    return step


VOCAB, DIM, IDS = 50000, 64, (256, 32)


def embedding_step(feeds: tuple[np.ndarray, np.ndarray] | None = None):
    """The step, fed `feeds` (ids, labels) or its own."""
    rng = np.random.default_rng(2)
    ids_value = rng.integers(0, VOCAB, IDS).astype(np.int32)
    labels_value = rng.integers(0, 10, IDS[0]).astype(np.int32)
    if feeds is not None:
        ids_value, labels_value = feeds
    graph = tf.Graph()
    with graph.as_default():
        ids = tf.placeholder(tf.int32, [None, IDS[1]], name="ids")
        labels = tf.placeholder(tf.int32, [None], name="labels")
        table = tf.Variable(rng.normal(0, 0.1, (VOCAB, DIM)).astype(np.float32), name="table")
        dense = tf.Variable(rng.normal(0, 0.1, (DIM, 10)).astype(np.float32), name="dense")
        pooled = tf.reduce_mean(tf.nn.embedding_lookup(table, ids), axis=1)
        logits = tf.matmul(pooled, dense)
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        )
        train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=graph)
    sess.run(init)
    feed = {ids: ids_value, labels: labels_value}
    return lambda: sess.run([train, loss], feed)[1]


def checks_cost(label, make_step, steps: int, repeats: int) -> None:
    """Checks on against off: two sessions a side, each compiled under its setting and made
    in the order on, off, off, on, taking single steps in turn (`steps * repeats` rounds,
    each round's order rotated by one: no session steps twice in a row, where it would find
    its data in the cache). Measured with both sides alike on a loaded machine: one
    session a side gave 1.23x (the first made was slower), orders where two sessions
    stepped twice in a row gave their 10th percentiles 0.65-0.73x. Prints the median and
    the 10th percentile of the single steps' times: on a busy machine the low percentile
    shows the cost of the step itself, the median mostly the waits for a core. Then the
    medians of the CPU time a step took: the calling thread's (dispatch, host checks and,
    on XLA:CPU, the kernels it runs itself) and the process's (all threads), which other
    jobs on the machine change far less than wall time."""
    made = [(name, _made_under(make_step, name)) for name in ("on", "off", "off", "on")]
    times = {"on": [], "off": []}
    thread = {"on": [], "off": []}
    process = {"on": [], "off": []}
    losses = {}
    for i in range(steps * repeats):
        for name, step in made[i % 4 :] + made[: i % 4]:
            cpu, own, start = time.process_time(), time.thread_time(), time.perf_counter()
            losses[name] = float(step())
            times[name].append((time.perf_counter() - start) * 1e3)
            thread[name].append((time.thread_time() - own) * 1e3)
            process[name].append((time.process_time() - cpu) * 1e3)
    on, off = (np.percentile(times[n], [50, 10]) for n in ("on", "off"))
    print(
        f"{label}: checks on {on[0]:8.3f} ms/step, off {off[0]:8.3f} ms/step (medians of "
        f"{2 * steps * repeats} steps a side); ratio on/off: {on[0] / off[0]:.3f}x "
        f"(10th percentiles {on[1]:.3f} vs {off[1]:.3f} ms: {on[1] / off[1]:.3f}x); losses "
        f"{losses['on']:.6f} vs {losses['off']:.6f}",
        flush=True,
    )
    for kind, cpu in (("calling thread", thread), ("process (all threads)", process)):
        on_ms, off_ms = (statistics.median(cpu[n]) for n in ("on", "off"))
        print(
            f"{label}: CPU ms/step, {kind}: on {on_ms:.3f}, off {off_ms:.3f}; "
            f"ratio {on_ms / off_ms:.3f}x",
            flush=True,
        )


def _made_under(make_step, checks: str):
    """`make_step()`, run once (lowered and compiled) with the checks `checks` ("on"/"off")."""
    before = os.environ.get("FLOWGRAPH_CHECKS")
    os.environ["FLOWGRAPH_CHECKS"] = "1" if checks == "on" else "0"
    try:
        step = make_step()
        step()
    finally:
        os.environ.pop("FLOWGRAPH_CHECKS")
        if before is not None:
            os.environ["FLOWGRAPH_CHECKS"] = before
    return step


def block_ms(step, steps: int) -> tuple[float, float]:
    """The mean step time in ms over `steps` steps, and the last loss."""
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    return (time.perf_counter() - start) / steps * 1e3, float(loss)


class TensorFlowWorker:
    """TensorFlow's CNN steps in a subprocess under another interpreter (`tf_cnn_worker.py`),
    asked for blocks of steps so they interleave with ours."""

    def __init__(self, python: str):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf_cnn_worker.py")
        self.proc = subprocess.Popen(
            [python, script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the TensorFlow worker did not start")
        self.cpu_ms: list[float] = []  # CPU ms per step of each block

    def __call__(self, steps: int) -> tuple[float, float]:
        self.proc.stdin.write(f"{steps}\n")
        self.proc.stdin.flush()
        seconds, loss, cpu_seconds = self.proc.stdout.readline().split()
        self.cpu_ms.append(float(cpu_seconds) / steps * 1e3)
        return float(seconds) / steps * 1e3, float(loss)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def with_cpu(block, cpu_ms: list):
    """`block` that also appends its CPU ms per step (this process's, all threads) to
    `cpu_ms`: the work done, which machine load changes far less than wall time."""

    def timed(steps: int):
        start = time.process_time()
        result = block(steps)
        cpu_ms.append((time.process_time() - start) / steps * 1e3)
        return result

    return timed


def interleaved_medians(blocks, steps: int, repeats: int):
    """Blocks of every side alternate, so machine noise falls on all alike (the order
    reversed every other round: a block may run faster after another's, e.g. with its
    data still in the cache). `blocks` maps a name to `f(steps) -> (ms per step, last
    loss)`; returns name -> (median ms, last loss). The blocks' times stay in `.times`
    (name -> list of ms per step) for their low percentiles."""
    times = {name: [] for name in blocks}
    losses = {}
    for round_ in range(repeats):
        order = list(blocks.items())
        for name, block in order[:: -1 if round_ % 2 else 1]:
            ms, losses[name] = block(steps)
            times[name].append(ms)
    interleaved_medians.times = times
    return {name: (statistics.median(times[name]), losses[name]) for name in blocks}


def report(label, fg, jx, steps: int, repeats: int, tf_worker=None) -> None:
    fg(), jx()  # compile both
    cpu = {"flowgraph": [], "jax": []}
    blocks = {
        "flowgraph": with_cpu(lambda n: block_ms(fg, n), cpu["flowgraph"]),
        "jax": with_cpu(lambda n: block_ms(jx, n), cpu["jax"]),
    }
    if tf_worker is not None:
        tf_worker(1)
        tf_worker.cpu_ms.clear()
        blocks["tensorflow"], cpu["tensorflow"] = tf_worker, tf_worker.cpu_ms
    result = interleaved_medians(blocks, steps, repeats)
    (fg_ms, fg_loss), (jx_ms, jx_loss) = result["flowgraph"], result["jax"]
    agree = "agree" if abs(fg_loss - jx_loss) <= 1e-4 else "DIFFER"
    print(
        f"{label}: jax.jit {jx_ms:7.3f} ms/step, flowgraph {fg_ms:7.3f} ms/step "
        f"(medians of {repeats}x{steps}); ratio flowgraph/jax: "
        f"{fg_ms / jx_ms:.3f}x; final losses {fg_loss:.6f} vs {jx_loss:.6f} ({agree})",
        flush=True,
    )
    if tf_worker is not None:
        tf_ms, tf_loss = result["tensorflow"]
        print(
            f"{label}: tensorflow {tf_ms:7.3f} ms/step; ratio flowgraph/tensorflow: "
            f"{fg_ms / tf_ms:.3f}x, jax/tensorflow: {jx_ms / tf_ms:.3f}x; "
            f"final loss {tf_loss:.6f}",
            flush=True,
        )
        # On a busy machine the median is mostly other jobs' doing; the 10th percentile of
        # the blocks is nearer the step's own time.
        p10 = {k: float(np.percentile(v, 10)) for k, v in interleaved_medians.times.items()}
        print(
            f"{label}: 10th percentiles flowgraph {p10['flowgraph']:7.3f}, tensorflow "
            f"{p10['tensorflow']:7.3f} ms/step; ratio flowgraph/tensorflow: "
            f"{p10['flowgraph'] / p10['tensorflow']:.3f}x",
            flush=True,
        )
    cpu_ms = {name: statistics.median(values) for name, values in cpu.items()}
    ratios = ", ".join(
        f"flowgraph/{k}: {cpu_ms['flowgraph'] / v:.3f}x"
        for k, v in cpu_ms.items()
        if k != "flowgraph"
    )
    times = ", ".join(f"{k} {v:7.3f}" for k, v in cpu_ms.items())
    print(f"{label}: CPU ms/step (all threads) {times}; {ratios}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--model", choices=("mlp", "cnn", "embedding", "checks", "all"), default="all"
    )
    parser.add_argument("--steps", type=int, default=20, help="MLP steps per block")
    parser.add_argument("--repeats", type=int, default=15, help="MLP blocks per side")
    parser.add_argument("--cnn-steps", type=int, default=5, help="CNN steps per block")
    parser.add_argument("--cnn-repeats", type=int, default=11, help="CNN blocks per side")
    parser.add_argument(
        "--tf-python",
        help="a Python with TensorFlow: also time TF's compat.v1 CNN step, interleaved",
    )
    args = parser.parse_args()
    print(f"device: {jax.devices()[0].device_kind} ({jax.devices()[0].platform})")
    if args.model in ("mlp", "all"):
        weights = initial_weights()
        x_value, y_value = batch()
        for resident, label in ((False, "(a) feed_dict"), (True, "(b) resident ")):
            report(
                label,
                flowgraph_step(weights, x_value, y_value, resident),
                jax_step(weights, x_value, y_value, resident),
                args.steps,
                args.repeats,
            )
    if args.model in ("cnn", "all"):
        weights = cnn_initial_weights()
        x_value, y_value = cnn_batch()
        worker = TensorFlowWorker(args.tf_python) if args.tf_python else None
        report(
            "(c) cnn feed ",
            cnn_flowgraph_step(weights, x_value, y_value),
            cnn_jax_step(weights, x_value, y_value),
            args.cnn_steps,
            args.cnn_repeats,
            worker,
        )
        if worker is not None:
            worker.close()
    if args.model in ("embedding", "all"):
        step = embedding_step()
        step()
        ms, loss = interleaved_medians({"e": lambda n: block_ms(step, n)}, args.steps, 3)["e"]
        print(f"(d) embedding: flowgraph {ms:7.3f} ms/step; final loss {loss:.6f}", flush=True)
    if args.model == "checks":
        x_value, y_value = _aligned(*batch())
        mlp = lambda: flowgraph_step(initial_weights(), x_value, y_value, False)  # noqa: E731
        checks_cost("(a) mlp feed ", mlp, args.steps, args.repeats)
        cx, cy = _aligned(*cnn_batch())
        cnn = lambda: cnn_flowgraph_step(cnn_initial_weights(), cx, cy)  # noqa: E731
        checks_cost("(c) cnn feed ", cnn, args.cnn_steps, args.cnn_repeats)
        rng = np.random.default_rng(2)
        feeds = _aligned(rng.integers(0, VOCAB, IDS), rng.integers(0, 10, IDS[0]))
        embedding = lambda: embedding_step(feeds)  # noqa: E731
        checks_cost("(d) embedding", embedding, args.steps * 10, args.repeats)  # 1 ms steps


def _aligned(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """`arrays` (integers as int32) in buffers aligned to 64 bytes, to be fed to every
    session of a comparison. On the CPU jax uses such a numpy array in place and copies
    any other (`CopyFromHostBuffer`, 33k instructions a step for the embedding step's ids):
    arrays made per session, aligned or not by chance, made one side copy its feeds and
    the other not (callgrind showed it: a likely part of why the order the sessions were
    made in changed the embedding step's ratio on/off, 1.03x against 1.13x)."""
    out = []
    for array in arrays:
        array = array.astype(np.int32) if array.dtype.kind in "iu" else array
        buffer = np.empty(array.nbytes + 64, np.uint8)
        start = -buffer.ctypes.data % 64
        view = buffer[start : start + array.nbytes].view(array.dtype).reshape(array.shape)
        view[...] = array
        out.append(view)
    return tuple(out)


if __name__ == "__main__":
    main()
