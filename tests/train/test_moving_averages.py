"""`tf.train.ExponentialMovingAverage`: TF1's names and values (from TF 2.21's compat.v1).

The updates are run in separate `Session.run` calls: ordering an average after a train op
with `control_dependencies` relies on a lowering fix (issue 17 item 1) made elsewhere.
"""

import numpy as np
import pytest

import flowgraph as tf


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as graph:
        yield graph


def test_shadow_names_collections_and_num_updates():
    w = tf.Variable([1.0, 2.0], name="w")
    b = tf.Variable(3.0, name="b")
    step = tf.Variable(0, name="step", trainable=False)
    ema = tf.train.ExponentialMovingAverage(0.9, num_updates=step)
    assert ema.average_name(w) == "w/ExponentialMovingAverage"  # before apply, too
    op = ema.apply([w, b])
    assert op.name == "ExponentialMovingAverage" and ema.name == "ExponentialMovingAverage"
    assert ema.average(w).name == "w/ExponentialMovingAverage:0"
    assert ema.average(step) is None
    assert [v.name for v in tf.moving_average_variables()] == ["w:0", "b:0"]
    assert ema.average(w) not in tf.trainable_variables()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op)  # decay min(0.9, 1/10): the shadows start at the values, stay there
        sess.run([w.assign([3.0, 4.0]), step.assign(5)])
        sess.run(op)  # decay min(0.9, 6/15) = 0.4
        averages = sess.run([ema.average(w), ema.average(b)])
    np.testing.assert_allclose(averages[0], [2.2, 3.2], rtol=1e-6)  # TF: [2.2, 3.2]
    assert averages[1] == pytest.approx(3.0)


def test_zero_debias_of_a_tensor():
    t = tf.placeholder(tf.float32, [2], name="t")
    ema = tf.train.ExponentialMovingAverage(0.5, zero_debias=True, name="dbg")
    op = ema.apply([t])
    names = sorted(v.name for v in tf.global_variables())
    assert names == ["t/dbg/biased:0", "t/dbg/local_step:0", "t/dbg:0"]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for value in ([1.0, 1.0], [3.0, 5.0]):
            sess.run(op, {t: value})
        average = sess.run(ema.average(t))
    np.testing.assert_allclose(average, [7 / 3, 11 / 3], rtol=1e-6)  # TF: [2.3333, 3.6667]


def test_variables_to_restore_loads_the_averages(tmp_path):
    w = tf.Variable([1.0, 2.0], name="w")
    other = tf.Variable(5.0, name="other", trainable=False)
    ema = tf.train.ExponentialMovingAverage(0.5)
    op = ema.apply([w])
    names = ema.variables_to_restore()
    assert names == {"w/ExponentialMovingAverage": w, "other": other}
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(w.assign([3.0, 6.0]))
        sess.run(op)  # average = [2, 4]
        path = saver.save(sess, str(tmp_path / "model"))
    with tf.Session() as sess:
        tf.train.Saver(names).restore(sess, path)
        np.testing.assert_allclose(sess.run(w), [2.0, 4.0])


def test_errors():
    ema = tf.train.ExponentialMovingAverage(0.9)
    with pytest.raises(TypeError, match="must be half, float, or double: i:0"):
        ema.apply([tf.Variable(1, name="i")])
    v = tf.Variable(1.0, name="v")
    ema.apply([v])
    with pytest.raises(ValueError, match="already computed for: v:0"):
        ema.apply([v])


def test_default_var_list_is_the_trainable_variables():
    a, b = tf.Variable(1.0, name="a"), tf.Variable(2.0, name="b", trainable=False)
    ema = tf.train.ExponentialMovingAverage(0.9)
    ema.apply()
    assert ema.average(a) is not None and ema.average(b) is None
