"""One worker process of the all-reduce tests: trains a linear model on its half of a batch.

    python allreduce_worker.py TASK PORT0 PORT1 STEPS CHECKPOINT_DIR [--hang-after N]

Prints `task step loss` per step, `final <json weights>` at the end, then one
`segment KIND <json ops> <json donated>` line per segment of the training step's plan.
With `--hang-after` it stops stepping after N steps and sleeps (the test kills it); with
`--save-secs S` it saves checkpoints every S seconds instead of every step. Not collected
by pytest.
"""

import json
import sys
import time

import numpy as np

import flowgraph as tf
from flowgraph.distribute import enable_allreduce

BATCH = 8


def data():
    """The concatenated batch: every process reads rows [task * 4, task * 4 + 4)."""
    rng = np.random.RandomState(0)
    x = rng.randn(BATCH, 3).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)
    return x, y


def model():
    """(x, y, loss, train_op, weights) of a linear regression, trained by momentum SGD."""
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    y = tf.placeholder(tf.float32, [None, 1], name="y")
    w = tf.Variable(tf.zeros([3, 1]), name="w")
    b = tf.Variable(0.0, name="b")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
    step = tf.train.get_or_create_global_step()
    train_op = tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss, global_step=step)
    return x, y, loss, train_op, [w, b]


def main(task, ports, steps, checkpoint_dir, hang_after=None, save_secs=None):
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    enable_allreduce(cluster, task, heartbeat_timeout_seconds=3, initialization_timeout=60)
    xs, ys = data()
    rows = slice(task * BATCH // 2, (task + 1) * BATCH // 2)
    x, y, loss, train_op, weights = model()
    with tf.train.MonitoredTrainingSession(
        is_chief=task == 0,
        checkpoint_dir=checkpoint_dir,
        save_checkpoint_steps=None if save_secs else 1,
        save_checkpoint_secs=save_secs,
        save_summaries_steps=None,
        log_step_count_steps=None,
    ) as sess:
        done = 0
        while sess.run(tf.train.get_global_step()) < steps:
            if hang_after is not None and done == hang_after:
                print("hanging", flush=True)
                time.sleep(600)
            _, value = sess.run([train_op, loss], {x: xs[rows], y: ys[rows]})
            done += 1
            print(task, done, value, flush=True)
            if save_secs:  # steps long enough for the chief's clock to choose a few saves
                time.sleep(save_secs / 4)
        final = sess.run(weights)
        plan = sess._tf_sess().explain(train_op, {x: xs[rows], y: ys[rows]})
    for seg in plan.segments:  # the all-reduce is compiled into the step's segment
        print("segment", seg.kind, json.dumps(seg.ops), json.dumps(seg.donated), flush=True)
    print("final", json.dumps([np.asarray(v).tolist() for v in final]), flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    hang = int(args[args.index("--hang-after") + 1]) if "--hang-after" in args else None
    secs = float(args[args.index("--save-secs") + 1]) if "--save-secs" in args else None
    main(int(args[0]), [int(args[1]), int(args[2])], int(args[3]), args[4], hang, secs)
