"""ProgressBarHook: a tqdm bar of the global step, steps/s and the latest logged tensors."""

import sys

import pytest

import flowgraph as tf


def _train(hook_args, steps=20):
    with tf.Graph().as_default():
        w = tf.Variable(5.0, name="w")
        loss = tf.square(w, name="loss")
        step = tf.train.get_or_create_global_step()
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
        hooks = [
            tf.train.StopAtStepHook(last_step=steps),
            tf.train.ProgressBarHook(tensors={"loss": loss}, **hook_args),
        ]
        with tf.train.MonitoredTrainingSession(hooks=hooks) as sess:
            while not sess.should_stop():
                sess.run(train)


def test_bar_counts_global_steps_and_shows_the_rate_and_latest_loss(capfd):
    _train({"last_step": 20, "every_n_iter": 1, "desc": "training"})
    err = capfd.readouterr().err
    final = err.replace("\r", "\n").strip().splitlines()[-1]
    assert final.startswith("training: 100%") and "20/20" in final
    assert "step/s" in final
    # w after 20 steps of w -= 0.2 w, read before the last update: 5 * 0.8**19
    assert f"loss={(5 * 0.8**19) ** 2:.4g}" in final


def test_num_steps_counts_from_where_the_session_starts(capfd):
    _train({"num_steps": 20, "every_n_iter": 5})
    final = capfd.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert "20/20" in final and "loss=" in final


def test_argument_errors_and_a_clear_message_without_tqdm(monkeypatch):
    with pytest.raises(ValueError, match="Only one of num_steps or last_step"):
        tf.train.ProgressBarHook(num_steps=1, last_step=2)
    with pytest.raises(ValueError, match="every_n_iter"):
        tf.train.ProgressBarHook(every_n_iter=0)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # as if tqdm were not installed
    with pytest.raises(ImportError, match="pip install tqdm"):
        tf.train.ProgressBarHook(last_step=10)
