"""tf.train.Supervisor: restore-or-initialize from logdir, the background checkpoint, summary
and step-counter threads, loops, queue runners, and how managed_session ends.

Threads are awaited through events set by the objects they call (never sleeps), and every
wait has a timeout.
"""

from __future__ import annotations

import glob
import threading

import numpy as np
import pytest

import flowgraph as tf
from tests.train.training_models import model, w_after

_WAIT = 60  # seconds: an upper bound, reached only on failure


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def _events(logdir) -> list:
    paths = sorted(glob.glob(str(logdir / "events.out.tfevents.*")))
    return [e for p in paths for e in tf.train.summary_iterator(p)]


class _SignallingSaver(tf.train.Saver):
    """A Saver that sets `saved` after each save (so a test can wait for the thread's)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.saved = threading.Event()

    def save(self, *args, **kwargs):
        path = super().save(*args, **kwargs)
        self.saved.set()
        return path


class _SignallingWriter(tf.summary.FileWriter):
    """A FileWriter that sets an event per summary tag it writes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.written: dict[str, threading.Event] = {}

    def add_summary(self, summary, global_step=None):
        super().add_summary(summary, global_step)
        parsed = tf.Summary.FromString(summary) if isinstance(summary, bytes) else summary
        for value in parsed.value:
            self.written.setdefault(value.tag, threading.Event()).set()

    def wait_for(self, tag) -> bool:
        return self.written.setdefault(tag, threading.Event()).wait(_WAIT)


def test_restart_continues_the_global_step(tmp_path):
    for start in (0, 3):
        with tf.Graph().as_default():
            step, w, _, train = model()
            sv = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=None)
            with sv.managed_session() as sess:
                assert sess.run(step) == start
                np.testing.assert_allclose(sess.run(w), w_after(start), rtol=1e-6)
                for _ in range(3):
                    sess.run(train)
                sv.saver.save(sess, sv.save_path, global_step=sv.global_step)
            assert sv.should_stop()
    assert tf.train.latest_checkpoint(str(tmp_path)) == str(tmp_path / "model.ckpt-6")
    assert sv.save_path == str(tmp_path / "model.ckpt")


def test_background_threads_checkpoint_summaries_and_step_rate(graph, tmp_path):
    step, w, loss, train = model()
    tf.summary.scalar("w_squared", loss)
    saver = _SignallingSaver()
    writer = _SignallingWriter(str(tmp_path))
    sv = tf.train.Supervisor(
        logdir=str(tmp_path),
        saver=saver,
        summary_writer=writer,
        save_model_secs=3600,  # each thread acts once at start, then waits for the stop
        save_summaries_secs=3600,
    )
    with sv.managed_session() as sess:
        sess.run(train)
        assert saver.saved.wait(_WAIT)
        assert writer.wait_for("w_squared") and writer.wait_for("global_step/sec")
    assert tf.train.latest_checkpoint(str(tmp_path)) is not None
    events = _events(tmp_path)
    statuses = [e.session_log.status for e in events if e.HasField("session_log")]
    assert statuses[0] == tf.SessionLog.START and statuses[-1] == tf.SessionLog.STOP
    assert tf.SessionLog.CHECKPOINT in statuses
    assert {v.tag for e in events for v in e.summary.value} == {"w_squared", "global_step/sec"}
    assert any(e.HasField("graph_def") for e in events)


def test_exception_in_managed_session_stops_closes_and_reraises(graph, tmp_path):
    _, w, _, train = model()
    sv = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=None)
    with pytest.raises(ValueError, match="boom"):
        with sv.managed_session() as sess:
            looper = sv.loop(3600, lambda: None)  # runs once, then waits for the stop
            sess.run(train)
            raise ValueError("boom")
    assert sv.should_stop() and not looper.is_alive()
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(w)


def test_out_of_range_ends_managed_session_normally(graph, tmp_path):
    queue = tf.train.range_input_producer(3, num_epochs=1, shuffle=False)
    item = queue.dequeue()
    sv = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=None, save_summaries_secs=None)
    seen = []
    with sv.managed_session() as sess:  # also starts the queue runner
        while not sv.should_stop():
            seen.append(int(sess.run(item)))
    assert seen == [0, 1, 2]


def test_loop_runs_until_a_stop_is_requested(graph):
    model()
    sv = tf.train.Supervisor(logdir=None)
    calls = []

    def target(limit):
        calls.append(len(calls))
        if len(calls) == limit:
            sv.request_stop()

    with sv.managed_session() as sess:
        assert sess.run(tf.train.get_global_step()) == 0
        looper = sv.loop(None, target, args=(3,))
        assert sv.coord.wait_for_stop(_WAIT)
        looper.join(_WAIT)
    assert calls == [0, 1, 2]


def test_summary_computed_writes_at_the_global_step(graph, tmp_path):
    step, _, loss, train = model()
    summary = tf.summary.scalar("w_squared", loss)
    sv = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=None, save_summaries_secs=None)
    with sv.managed_session() as sess:
        sess.run(train)
        sv.summary_computed(sess, sess.run(summary))
    values = [(e.step, v.simple_value) for e in _events(tmp_path) for v in e.summary.value]
    assert values == [(1, pytest.approx(w_after(1) ** 2))]
    no_writer = tf.train.Supervisor(logdir=None)  # the ops now come from the collections
    with pytest.raises(RuntimeError, match="requires a summary writer"):
        no_writer.summary_computed(None, b"")


def test_defaults_come_from_the_graph(graph, tmp_path):
    step, _, _, _ = model()
    sv = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=None, save_summaries_secs=None)
    assert sv.global_step is step
    assert graph.get_collection(tf.GraphKeys.INIT_OP) == [sv.init_op]
    assert graph.get_collection(tf.GraphKeys.READY_OP) == [sv.ready_op]
    assert graph.get_collection(tf.GraphKeys.SAVERS) == [sv.saver]
    assert sv.summary_op is None and graph.finalized
    assert isinstance(sv.coord, tf.train.Coordinator) and sv.is_chief


def test_start_standard_services_needs_a_chief(graph):
    with tf.device("/cpu:0"):
        model()
    sv = tf.train.Supervisor(is_chief=False)
    with pytest.raises(RuntimeError, match="Only chief supervisor"):
        sv.start_standard_services(None)


def test_replicas_need_placed_variables(graph):
    model()
    with pytest.raises(ValueError, match="all Variables must have their device set"):
        tf.train.Supervisor(is_chief=False)
