"""Linear regression trained by gradient descent, written as a TF1 program.

Variables and tf.gradients arrive in later releases; until then the weights are fed in and
the gradient of the mean squared error is written out as graph ops:
    loss = mean((x·w + b - y)²),  dL/dw = 2/n · xᵀ(x·w + b - y),  dL/db = 2 · mean(x·w + b - y)
"""

import numpy as np

import flowgraph as tf


def build(n_features: int):
    x = tf.placeholder(tf.float32, [None, n_features], name="x")
    y = tf.placeholder(tf.float32, [None, 1], name="y")
    w = tf.placeholder(tf.float32, [n_features, 1], name="w")
    b = tf.placeholder(tf.float32, [], name="b")
    lr = tf.placeholder_with_default(0.1, [], name="learning_rate")
    with tf.name_scope("model"):
        prediction = tf.matmul(x, w) + b
        error = prediction - y
        loss = tf.reduce_mean(tf.square(error), name="loss")
    with tf.name_scope("sgd"):
        n = tf.cast(tf.shape(x)[0], tf.float32)
        grad_w = 2.0 * tf.matmul(x, error, transpose_a=True) / n
        grad_b = 2.0 * tf.reduce_mean(error)
        new_w = w - lr * grad_w
        new_b = b - lr * grad_b
    return (x, y, w, b), loss, (new_w, new_b)


def main(steps: int = 200) -> None:
    rng = np.random.default_rng(0)
    true_w = np.array([[2.0], [-3.0], [0.5]], np.float32)
    data_x = rng.normal(size=(256, 3)).astype(np.float32)
    data_y = data_x @ true_w + 1.0 + 0.01 * rng.normal(size=(256, 1)).astype(np.float32)

    (x, y, w, b), loss, (new_w, new_b) = build(n_features=3)
    weights, bias = np.zeros((3, 1), np.float32), np.float32(0.0)
    with tf.Session() as sess:
        for step in range(steps + 1):
            feed = {x: data_x, y: data_y, w: weights, b: bias}
            current, weights, bias = sess.run([loss, new_w, new_b], feed)
            if step % 50 == 0:
                print(f"step {step:4d}  loss {current:.6f}")
    print("learned w:", np.round(weights.ravel(), 3), " b:", round(float(bias), 3))
    print("true    w:", true_w.ravel(), " b: 1.0")


if __name__ == "__main__":
    main()
