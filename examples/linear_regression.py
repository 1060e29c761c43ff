"""Linear regression trained by gradient descent, written as a plain TF1 program."""

import numpy as np

import flowgraph as tf


def build(n_features: int):
    x = tf.placeholder(tf.float32, [None, n_features], name="x")
    y = tf.placeholder(tf.float32, [None, 1], name="y")
    with tf.variable_scope("model"):
        w = tf.get_variable("w", [n_features, 1], initializer=tf.zeros_initializer())
        b = tf.get_variable("b", [], initializer=tf.zeros_initializer())
        prediction = tf.matmul(x, w) + b
    loss = tf.reduce_mean(tf.square(prediction - y), name="loss")
    global_step = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=global_step)
    return x, y, w, b, loss, train


def main(steps: int = 200) -> None:
    rng = np.random.default_rng(0)
    true_w = np.array([[2.0], [-3.0], [0.5]], np.float32)
    data_x = rng.normal(size=(256, 3)).astype(np.float32)
    data_y = data_x @ true_w + 1.0 + 0.01 * rng.normal(size=(256, 1)).astype(np.float32)

    x, y, w, b, loss, train = build(n_features=3)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(steps + 1):
            _, current = sess.run([train, loss], {x: data_x, y: data_y})
            if step % 50 == 0:
                print(f"step {step:4d}  loss {current:.6f}")
        weights, bias = sess.run([w, b])
    print("learned w:", np.round(weights.ravel(), 3), " b:", round(float(bias), 3))
    print("true    w:", true_w.ravel(), " b: 1.0")


if __name__ == "__main__":
    main()
