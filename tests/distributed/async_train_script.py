"""A task of the async-training test cluster (run by tests/distributed/test_launch.py).

Workers train `--steps` steps each on variables held by the ps, then put a token in the
ps's done queue; the ps waits for one token per worker, then prints the global step and
the variables its resource manager holds as JSON, and exits.
"""

import argparse
import json
import time

import numpy as np

import flowgraph as tf

parser = argparse.ArgumentParser()
parser.add_argument("--job_name")
parser.add_argument("--task_index", type=int)
parser.add_argument("--ps_hosts")
parser.add_argument("--worker_hosts")
parser.add_argument("--steps", type=int, default=30)
flags = parser.parse_args()
workers = flags.worker_hosts.split(",")
cluster = tf.train.ClusterSpec({"ps": flags.ps_hosts.split(","), "worker": workers})
server = tf.train.Server(cluster, job_name=flags.job_name, task_index=flags.task_index)

setter = tf.train.replica_device_setter(
    worker_device=f"/job:worker/task:{flags.task_index}", cluster=cluster
)
with tf.device(setter):
    step = tf.train.get_or_create_global_step()
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    w = tf.Variable(tf.zeros([4, 1]), name="w")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - tf.reduce_sum(x, 1, keepdims=True)))
    train = tf.train.GradientDescentOptimizer(0.05).minimize(loss, global_step=step)
    not_ready = tf.report_uninitialized_variables()
with tf.device("/job:ps/task:0"):
    done = tf.FIFOQueue(len(workers), tf.int32, shapes=[[]], shared_name="done_queue")
finish = done.enqueue(flags.task_index)
wait_all = done.dequeue_many(len(workers))
config = tf.ConfigProto(
    device_filters=["/job:ps", f"/job:{flags.job_name}/task:{flags.task_index}"]
)

with tf.Session(server.target, config=config) as sess:
    if flags.job_name == "ps":
        finished = sess.run(wait_all)
        report = {"global_step": int(sess.run(step)), "finished": sorted(finished.tolist())}
        report["variables"] = sorted(server._worker.store.variables)
        print("REPORT " + json.dumps(report), flush=True)
    else:
        if flags.task_index == 0:
            sess.run(tf.global_variables_initializer())
        deadline = time.monotonic() + 60
        while len(sess.run(not_ready)) and time.monotonic() < deadline:
            time.sleep(0.1)  # a non-chief waits for the chief's initialization
        print("TRAINING", flush=True)
        rng = np.random.RandomState(flags.task_index)
        losses = [sess.run([loss, train], {x: rng.rand(8, 4)})[0] for _ in range(flags.steps)]
        sess.run(finish)
        report = {"first_loss": float(losses[0]), "last_loss": float(losses[-1])}
        report["variables"] = sorted(server._worker.store.variables)
        print("REPORT " + json.dumps(report), flush=True)
server.stop()
