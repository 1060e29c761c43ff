"""`tf.initializers.he_*` / `lecun_*`: TF1's variance-scaling statistics."""

import numpy as np
import pytest

import flowgraph as tf


@pytest.mark.parametrize("name,scale", [("he_normal", 2.0), ("lecun_normal", 1.0)])
def test_normal_initializers_have_the_scaled_stddev(name, scale):
    init = getattr(tf.initializers, name)(seed=1)
    with tf.Graph().as_default(), tf.Session() as sess:
        values = sess.run(init([400, 300], dtype=tf.float32))
    assert np.std(values) == pytest.approx(np.sqrt(scale / 400), rel=0.03)
    assert np.max(np.abs(values)) <= 2 * np.sqrt(scale / 400) / 0.87962566103423978 + 1e-6


@pytest.mark.parametrize("name,scale", [("he_uniform", 2.0), ("lecun_uniform", 1.0)])
def test_uniform_initializers_have_the_scaled_limit(name, scale):
    init = getattr(tf.initializers, name)(seed=1)
    with tf.Graph().as_default(), tf.Session() as sess:
        values = sess.run(init([400, 300], dtype=tf.float32))
    limit = np.sqrt(3 * scale / 400)
    assert np.max(np.abs(values)) <= limit
    assert np.max(np.abs(values)) > 0.99 * limit
