"""A CNN trained on real handwritten digits, written as a plain TF1 program.

The 1,797 8×8 digits of scikit-learn's `load_digits` (shipped with the package, nothing is
downloaded) are split into 1,437 training and 360 test images. A MonitoredTrainingSession
trains two conv layers and a dense layer with Adam, writes TensorBoard summaries and
checkpoints to `--logdir`; the test accuracy is then measured from the last checkpoint,
which is exported as a SavedModel (signature `serving_default`: images in, classes and
probabilities out) under `--logdir`/saved_model/<step> and loaded back to check it.

  python examples/digits_cnn.py                  # ~20 s on 2 CPU cores
  tensorboard --logdir runs/digits --bind_all     # then open http://localhost:6006
"""

import argparse
import os
import shutil
import time

import numpy as np

import flowgraph as tf


def load_data(test_size: int = 360, seed: int = 0):
    """(train_x, train_y, test_x, test_y): images scaled to [0, 1], shape [N, 8, 8, 1]."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[..., None]
    labels = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(labels))
    train, test = order[:-test_size], order[-test_size:]
    return images[train], labels[train], images[test], labels[test]


def build_model(images, training):
    """Logits of a small CNN: conv 3×3 ×32 → pool → conv 3×3 ×64 → pool → dense 128 → 10."""
    net = tf.layers.conv2d(images, 32, 3, padding="same", activation=tf.nn.relu, name="conv1")
    net = tf.layers.max_pooling2d(net, 2, 2, name="pool1")
    net = tf.layers.conv2d(net, 64, 3, padding="same", activation=tf.nn.relu, name="conv2")
    net = tf.layers.max_pooling2d(net, 2, 2, name="pool2")
    net = tf.layers.flatten(net, name="flatten")
    net = tf.layers.dense(net, 128, activation=tf.nn.relu, name="dense")
    net = tf.layers.dropout(net, rate=0.3, training=training, name="dropout")
    return tf.layers.dense(net, 10, name="logits")


def build_graph(learning_rate: float = 2e-3):
    """Placeholders, the model, its loss, accuracy, summaries and the train op."""
    images = tf.placeholder(tf.float32, [None, 8, 8, 1], name="images")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    training = tf.placeholder_with_default(False, [], name="training")
    logits = build_model(images, training)
    classes, probabilities = predictions(logits)
    with tf.name_scope("cross_entropy"):
        loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
    with tf.name_scope("evaluation"):
        correct = tf.equal(classes, labels)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
    tf.summary.scalar("loss", loss)
    tf.summary.scalar("accuracy", accuracy)
    tf.summary.histogram("predictions", probabilities)
    global_step = tf.train.get_or_create_global_step()
    train_op = tf.train.AdamOptimizer(learning_rate).minimize(loss, global_step=global_step)
    return dict(
        images=images, labels=labels, training=training, loss=loss, accuracy=accuracy,
        train_op=train_op, global_step=global_step,
    )  # fmt: skip


def batches(x, y, batch_size: int, seed: int = 1):
    """Endless shuffled minibatches."""
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(len(y))
        for start in range(0, len(y) - batch_size + 1, batch_size):
            pick = order[start : start + batch_size]
            yield x[pick], y[pick]


def train(model, data, logdir: str, steps: int, batch_size: int = 64, progress: bool = True):
    """Trains until the global step reaches `steps`, saving summaries every 20 steps and a
    checkpoint at the end (a second call with the same `logdir` resumes from it)."""
    train_x, train_y = data[0], data[1]
    hooks = [tf.train.StopAtStepHook(last_step=steps)]
    if progress:  # loss fetched every step: one compiled signature, two with summaries
        bar = tf.train.ProgressBarHook(
            last_step=steps, tensors={"loss": model["loss"]}, every_n_iter=1, desc="train"
        )
        hooks.append(bar)
    feed = batches(train_x, train_y, batch_size)
    with tf.train.MonitoredTrainingSession(
        checkpoint_dir=logdir,
        hooks=hooks,
        save_summaries_steps=20,
        save_checkpoint_steps=steps,
        log_step_count_steps=None,
    ) as sess:
        while not sess.should_stop():
            x, y = next(feed)
            sess.run(
                model["train_op"],
                {model["images"]: x, model["labels"]: y, model["training"]: True},
            )


def evaluate(model, data, logdir: str):
    """(test accuracy, global step) of the newest checkpoint in `logdir`."""
    test_x, test_y = data[2], data[3]
    saver = tf.train.Saver()
    with tf.Session() as sess:
        saver.restore(sess, tf.train.latest_checkpoint(logdir))
        accuracy, step = sess.run(
            [model["accuracy"], model["global_step"]],
            {model["images"]: test_x, model["labels"]: test_y},
        )
    return float(accuracy), int(step)


def predictions(logits):
    """(classes, probabilities) of the logits, named for the serving signature."""
    return tf.argmax(logits, 1, name="classes"), tf.nn.softmax(logits, name="probabilities")


def export(logdir: str, step: int) -> str:
    """Exports the checkpoint of `step` in `logdir` as a SavedModel for serving and returns
    its directory, `logdir`/saved_model/<step> (replaced if it exists).

    The serving graph is the model alone, built anew without its training ops (their
    gradients are flowgraph's own op types), so that TensorFlow can load it too."""
    export_dir = os.path.join(logdir, "saved_model", str(step))
    shutil.rmtree(export_dir, ignore_errors=True)  # a rerun without new steps re-exports
    with tf.Graph().as_default():
        images = tf.placeholder(tf.float32, [None, 8, 8, 1], name="images")
        classes, probabilities = predictions(build_model(images, training=False))
        with tf.Session() as sess:
            tf.train.Saver().restore(sess, os.path.join(logdir, f"model.ckpt-{step}"))
            tf.saved_model.simple_save(
                sess,
                export_dir,
                inputs={"images": images},
                outputs={"classes": classes, "probabilities": probabilities},
            )
    return export_dir


def saved_model_accuracy(export_dir: str, data) -> float:
    """Test accuracy of the SavedModel in `export_dir`, loaded into a fresh graph and run
    through its `serving_default` signature, as a server would."""
    test_x, test_y = data[2], data[3]
    with tf.Session(graph=tf.Graph()) as sess:
        meta_graph = tf.saved_model.loader.load(
            sess, [tf.saved_model.tag_constants.SERVING], export_dir
        )
        signature = meta_graph.signature_def["serving_default"]
        classes = sess.run(
            signature.outputs["classes"].name, {signature.inputs["images"].name: test_x}
        )
    return float(np.mean(classes == test_y))


def main(logdir: str = "runs/digits", steps: int = 600, progress: bool = True) -> float:
    start = time.perf_counter()
    data = load_data()
    model = build_graph()
    train(model, data, logdir, steps, progress=progress)
    accuracy, step = evaluate(model, data, logdir)
    export_dir = export(logdir, step)
    served = saved_model_accuracy(export_dir, data)
    if abs(served - accuracy) > 1e-6:  # the checkpoint's accuracy is a float32 mean
        raise RuntimeError(f"the SavedModel's test accuracy {served} is not the checkpoint's")
    elapsed = time.perf_counter() - start
    print(f"test accuracy {accuracy:.4f} on {len(data[3])} held-out digits after {step} steps")
    print(f"trained in {elapsed:.1f} s")
    print(
        f"TensorBoard logs and checkpoints: {logdir}/ (latest {tf.train.latest_checkpoint(logdir)})"
    )
    print(f"view them: tensorboard --logdir {logdir}   (then open http://localhost:6006)")
    print(f"SavedModel (serving_default: images -> classes, probabilities): {export_dir}/")
    print(f"  reloaded with tf.saved_model.loader.load: test accuracy {served:.4f}, the same")
    base = os.path.dirname(export_dir)
    flags = f"--model_name=digits --model_base_path={base} --rest_api_port=8501"
    print(f"serve it: flowgraph serve {flags}")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--logdir", default="runs/digits")
    parser.add_argument("--steps", type=int, default=600)
    args = parser.parse_args()
    main(args.logdir, args.steps)
