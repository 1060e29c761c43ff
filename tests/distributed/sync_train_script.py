"""A task of the synchronous-training test cluster (run by tests/distributed/test_sync.py).

Workers train a linear model with `SyncReplicasOptimizer(--replicas_to_aggregate,
number of workers)` on variables held by the ps, worker 0 being the chief (its session
runs the chief queue runner). A worker obeys commands read from stdin, one a line, and
answers each with one line starting `OK` (or `ERROR <class>`):

  train [timeout_ms]   one training step (waiting for its token); answers the local step
  state                the global step and the gradients now accumulated for `w`

The non-chief's MonitoredTrainingSession waits for the chief's initialization, checking
every FLOWGRAPH_RECOVERY_WAIT_SECS (the test sets 0.2 s rather than TF's 30 s).
"""

import argparse
import sys

import numpy as np

import flowgraph as tf

parser = argparse.ArgumentParser()
parser.add_argument("--job_name")
parser.add_argument("--task_index", type=int)
parser.add_argument("--ps_hosts")
parser.add_argument("--worker_hosts")
parser.add_argument("--replicas_to_aggregate", type=int, default=2)
flags = parser.parse_args()
workers = flags.worker_hosts.split(",")
cluster = tf.train.ClusterSpec({"ps": flags.ps_hosts.split(","), "worker": workers})
server = tf.train.Server(cluster, job_name=flags.job_name, task_index=flags.task_index)
if flags.job_name == "ps":
    server.join()  # stopped by the test
    sys.exit(0)

is_chief = flags.task_index == 0
setter = tf.train.replica_device_setter(
    worker_device=f"/job:worker/task:{flags.task_index}", cluster=cluster
)
with tf.device(setter):
    step = tf.train.get_or_create_global_step()
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    w = tf.Variable(tf.zeros([4, 1]), name="w")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - tf.reduce_sum(x, 1, keepdims=True)))
    opt = tf.train.SyncReplicasOptimizer(
        tf.train.GradientDescentOptimizer(0.05),
        replicas_to_aggregate=flags.replicas_to_aggregate,
        total_num_replicas=len(workers),
    )
    train = opt.minimize(loss, global_step=step)
    accumulated = opt._accumulator_list[0][0].num_accumulated()
config = tf.ConfigProto(device_filters=["/job:ps", f"/job:worker/task:{flags.task_index}"])

hook = opt.make_session_run_hook(is_chief)
with tf.train.MonitoredTrainingSession(
    master=server.target, is_chief=is_chief, hooks=[hook], config=config,
    save_checkpoint_secs=None, save_summaries_steps=None, log_step_count_steps=None,
) as sess:  # fmt: skip
    batch = np.random.RandomState(flags.task_index).rand(8, 4).astype(np.float32)
    print("READY", flush=True)
    for line in sys.stdin:
        command = line.split()
        try:
            if command[0] == "train":
                options = tf.RunOptions(timeout_in_ms=int(command[1])) if command[1:] else None
                sess.run(train, {x: batch}, options=options)
                print(f"OK {int(sess.run(opt._local_step))}", flush=True)
            elif command[0] == "state":
                print(f"OK {int(sess.run(step))} {int(sess.run(accumulated))}", flush=True)
        except tf.errors.OpError as e:
            print(f"ERROR {type(e).__name__} {e.message[:200]}", flush=True)
