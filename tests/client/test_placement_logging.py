"""tf.debugging.set/get_log_device_placement: sessions created afterwards log placement."""

from __future__ import annotations

import flowgraph as tf


def test_set_log_device_placement_reaches_new_sessions(capfd):
    assert tf.debugging.get_log_device_placement() is False
    with tf.Graph().as_default():
        x = tf.constant(1.0) + 1
        tf.debugging.set_log_device_placement(True)
        try:
            assert tf.debugging.get_log_device_placement() is True
            with tf.Session() as sess:
                sess.run(x)
        finally:
            tf.debugging.set_log_device_placement(False)
        logged = capfd.readouterr().err
        assert "Device mapping" in logged and "add" in logged
        with tf.Session() as sess:
            sess.run(x)
        assert "Device mapping" not in capfd.readouterr().err
