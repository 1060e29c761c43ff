"""Between-graph replicated training of a digit classifier on a ps/worker cluster, in
TF1's style (after TensorFlow's `mnist_replica.py`).

Every task runs this script with its role:

    python examples/distributed_mnist.py --job_name=ps --task_index=0 \
        --ps_hosts=127.0.0.1:2222 --worker_hosts=127.0.0.1:2223,127.0.0.1:2224
    python examples/distributed_mnist.py --job_name=worker --task_index=0 ...   # the chief
    python examples/distributed_mnist.py --job_name=worker --task_index=1 ...

or, on one machine, let the launcher start them all on free local ports:

    python -m flowgraph.distributed.launch --ps 1 --workers 2 examples/distributed_mnist.py

The parameter servers hold the variables (`replica_device_setter`); each worker reads
them, computes gradients on its own batches and applies them on the ps asynchronously
(or, with `--sync_replicas`, through `SyncReplicasOptimizer`). The chief (worker 0)
initializes the variables and writes checkpoints to `--train_dir`. The data are the 8x8
digits that scikit-learn ships, flattened like MNIST's images.
"""

import sys
import time

import numpy as np

import flowgraph as tf

flags = tf.app.flags
flags.DEFINE_string("job_name", "", "One of 'ps', 'worker'")
flags.DEFINE_integer("task_index", 0, "Index of the task within its job")
flags.DEFINE_string("ps_hosts", "127.0.0.1:2222", "Comma-separated list of hostname:port pairs")
flags.DEFINE_string("worker_hosts", "127.0.0.1:2223", "Comma-separated list of hostname:port")
flags.DEFINE_boolean("sync_replicas", False, "Aggregate the workers' gradients synchronously")
flags.DEFINE_integer("replicas_to_aggregate", None, "Gradients to aggregate per step (sync)")
flags.DEFINE_integer("hidden_units", 100, "Number of units in the hidden layer")
flags.DEFINE_integer("train_steps", 400, "Number of (global) training steps to perform")
flags.DEFINE_integer("batch_size", 64, "Training batch size")
flags.DEFINE_float("learning_rate", 0.05, "Learning rate")
flags.DEFINE_string("train_dir", "/tmp/distributed_mnist", "Checkpoints of the chief")
FLAGS = flags.FLAGS

IMAGE_PIXELS = 8


def load_digits():
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    images = (digits.images.reshape(-1, IMAGE_PIXELS * IMAGE_PIXELS) / 16.0).astype(np.float32)
    labels = np.eye(10, dtype=np.float32)[digits.target]
    return images[:1400], labels[:1400], images[1400:], labels[1400:]


def main(unused_argv):
    ps_hosts = FLAGS.ps_hosts.split(",")
    worker_hosts = FLAGS.worker_hosts.split(",")
    cluster = tf.train.ClusterSpec({"ps": ps_hosts, "worker": worker_hosts})
    server = tf.train.Server(cluster, job_name=FLAGS.job_name, task_index=FLAGS.task_index)
    if FLAGS.job_name == "ps":
        server.join()
        return
    is_chief = FLAGS.task_index == 0
    num_workers = len(worker_hosts)
    train_x, train_y, test_x, test_y = load_digits()
    rng = np.random.RandomState(FLAGS.task_index)

    worker_device = f"/job:worker/task:{FLAGS.task_index}/cpu:0"
    with tf.device(tf.train.replica_device_setter(worker_device=worker_device, cluster=cluster)):
        global_step = tf.train.get_or_create_global_step()
        x = tf.placeholder(tf.float32, [None, IMAGE_PIXELS * IMAGE_PIXELS], name="x")
        y_ = tf.placeholder(tf.float32, [None, 10], name="y_")
        hid_w = tf.Variable(
            tf.truncated_normal([IMAGE_PIXELS * IMAGE_PIXELS, FLAGS.hidden_units], stddev=0.1),
            name="hid_w",
        )
        hid_b = tf.Variable(tf.zeros([FLAGS.hidden_units]), name="hid_b")
        sm_w = tf.Variable(tf.truncated_normal([FLAGS.hidden_units, 10], stddev=0.1), name="sm_w")
        sm_b = tf.Variable(tf.zeros([10]), name="sm_b")
        hid = tf.nn.relu(tf.nn.xw_plus_b(x, hid_w, hid_b))
        logits = tf.nn.xw_plus_b(hid, sm_w, sm_b)
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y_, logits=logits))
        accuracy = tf.reduce_mean(
            tf.cast(tf.equal(tf.argmax(logits, 1), tf.argmax(y_, 1)), tf.float32)
        )
        opt = tf.train.GradientDescentOptimizer(FLAGS.learning_rate)
        hooks = [tf.train.StopAtStepHook(last_step=FLAGS.train_steps)]
        if FLAGS.sync_replicas:
            opt = tf.train.SyncReplicasOptimizer(
                opt,
                replicas_to_aggregate=FLAGS.replicas_to_aggregate or num_workers,
                total_num_replicas=num_workers,
                name="mnist_sync_replicas",
            )
            hooks.append(opt.make_session_run_hook(is_chief))
        train_op = opt.minimize(loss, global_step=global_step)

    config = tf.ConfigProto(device_filters=["/job:ps", f"/job:worker/task:{FLAGS.task_index}"])
    start = time.time()
    local_step = 0
    with tf.train.MonitoredTrainingSession(
        master=server.target,
        is_chief=is_chief,
        checkpoint_dir=FLAGS.train_dir if is_chief else None,
        hooks=hooks,
        config=config,
        save_summaries_steps=None,
        save_checkpoint_steps=100 if is_chief else None,
    ) as sess:
        print(f"Worker {FLAGS.task_index}: session ready after {time.time() - start:.2f} s")
        while not sess.should_stop():
            batch = rng.randint(0, len(train_x), FLAGS.batch_size)
            _, step, batch_loss = sess.run(
                [train_op, global_step, loss], {x: train_x[batch], y_: train_y[batch]}
            )
            local_step += 1
            if local_step % 50 == 0:
                print(f"Worker {FLAGS.task_index}: local step {local_step} (global step "
                      f"{step}), loss {batch_loss:.4f}", flush=True)  # fmt: skip
    # The variables live on the ps, past the training session: a new session reads them.
    with tf.Session(server.target, config=config) as sess:
        test_accuracy = sess.run(accuracy, {x: test_x, y_: test_y})
    print(f"Worker {FLAGS.task_index}: {local_step} local steps in {time.time() - start:.2f} s; "
          f"test accuracy {test_accuracy:.4f}")  # fmt: skip


if __name__ == "__main__":
    tf.app.run(main=main, argv=sys.argv)
