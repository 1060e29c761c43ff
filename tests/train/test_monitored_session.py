"""MonitoredTrainingSession / MonitoredSession / SingularMonitoredSession, Scaffold and
SessionManager: restore-or-initialize, resuming from checkpoints, summaries, recovery from
AbortedError, the end of input, queue runners."""

from __future__ import annotations

import glob
import os

import numpy as np
import pytest
from tensorboard.backend.event_processing import event_accumulator

import flowgraph as tf
from tests.train.training_models import model, w_after


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def _run_until_stop(sess, fetches) -> list:
    values = []
    while not sess.should_stop():
        values.append(sess.run(fetches))
    return values


def test_training_resumes_from_the_checkpoint(tmp_path):
    """Train 3 steps, close, rebuild the graph, reopen: the step and w continue."""
    for start, last in ((0, 3), (3, 5)):
        with tf.Graph().as_default():
            step, w, _, train = model()
            with tf.train.MonitoredTrainingSession(
                checkpoint_dir=str(tmp_path),
                save_checkpoint_secs=None,
                save_checkpoint_steps=100,
                hooks=[tf.train.StopAtStepHook(last_step=last)],
            ) as sess:
                values = _run_until_stop(sess, {"train": train, "step": step, "w": w})
        assert [int(v["step"]) for v in values] == list(range(start + 1, last + 1))
        np.testing.assert_allclose(values[-1]["w"], w_after(last), rtol=1e-6)
        # The hook saved when the session started and when it ended.
        assert tf.train.latest_checkpoint(str(tmp_path)) == str(tmp_path / f"model.ckpt-{last}")
        np.testing.assert_allclose(
            tf.train.load_variable(str(tmp_path), "w"), w_after(last), rtol=1e-6
        )


def test_summaries_and_step_rate_are_written(graph, tmp_path):
    step, w, loss, train = model()
    tf.summary.scalar("w_squared", loss)
    with tf.train.MonitoredTrainingSession(
        checkpoint_dir=str(tmp_path),
        save_summaries_steps=2,
        log_step_count_steps=2,
        hooks=[tf.train.StopAtStepHook(last_step=5)],
    ) as sess:
        _run_until_stop(sess, train)
    tf.summary.FileWriterCache.get(str(tmp_path)).flush()
    acc = event_accumulator.EventAccumulator(
        str(tmp_path), size_guidance=event_accumulator.STORE_EVERYTHING_SIZE_GUIDANCE
    )
    acc.Reload()
    scalars = acc.Scalars("w_squared")
    assert [s.step for s in scalars] == [1, 3, 5]
    np.testing.assert_allclose(
        [s.value for s in scalars], [w_after(n) ** 2 for n in (0, 2, 4)], rtol=1e-5
    )
    assert [s.step for s in acc.Scalars("global_step/sec")] == [3, 5]
    assert acc.Graph() is not None
    assert os.path.exists(tmp_path / "graph.pbtxt")


def test_summaries_go_to_summary_dir(graph, tmp_path):
    _, _, loss, train = model()
    tf.summary.scalar("w_squared", loss)
    with tf.train.MonitoredTrainingSession(
        summary_dir=str(tmp_path / "s"), hooks=[tf.train.StopAtStepHook(last_step=1)]
    ) as sess:
        _run_until_stop(sess, train)
    tf.summary.FileWriterCache.get(str(tmp_path / "s")).flush()
    paths = glob.glob(str(tmp_path / "s" / "events*"))
    tags = {v.tag for p in paths for e in tf.train.summary_iterator(p) for v in e.summary.value}
    assert tags == {"w_squared"}  # no checkpoint_dir: no checkpoints, no step-rate yet


class _AbortOnce(tf.train.SessionRunHook):
    """Raises AbortedError once, after the run that reaches `at_step`; records sessions."""

    def __init__(self, step, at_step):
        self.step, self.at_step, self.sessions, self.steps = step, at_step, [], []

    def after_create_session(self, session, coord):
        self.sessions.append(session)

    def before_run(self, run_context):
        return tf.train.SessionRunArgs(self.step)

    def after_run(self, run_context, run_values):
        current = int(run_context.session.run(self.step))
        self.steps.append(current)
        if current == self.at_step and len(self.sessions) == 1:
            raise tf.errors.AbortedError(None, None, "preempted")


def test_aborted_error_recreates_the_session_from_the_last_checkpoint(graph, tmp_path):
    step, w, _, train = model()
    hook = _AbortOnce(step, at_step=3)
    with tf.train.MonitoredTrainingSession(
        checkpoint_dir=str(tmp_path),
        save_checkpoint_steps=2,
        hooks=[hook, tf.train.StopAtStepHook(last_step=5)],
    ) as sess:
        values = _run_until_stop(sess, [train, w])
    # Steps 1..3; step 3 aborts; the new session restores step 2 and goes on to 5.
    assert hook.steps == [1, 2, 3, 3, 4, 5]
    assert len(hook.sessions) == 2
    with pytest.raises(RuntimeError, match="closed Session"):
        hook.sessions[0].run(w)
    # The retried run is the first of the new session: w continues from the checkpoint.
    np.testing.assert_allclose(
        [v[1] for v in values][-3:], [w_after(n) for n in (3, 4, 5)], rtol=1e-6
    )


def test_singular_session_does_not_recover(graph):
    step, _, _, train = model()
    with pytest.raises(tf.errors.AbortedError):
        with tf.train.SingularMonitoredSession(hooks=[_AbortOnce(step, at_step=1)]) as sess:
            sess.run(train)


def test_end_of_input_ends_the_loop(graph):
    """A queue runner feeds 0..4 for one epoch; OutOfRangeError ends the `with` cleanly."""
    queue = tf.train.range_input_producer(5, num_epochs=1, shuffle=False)
    item = queue.dequeue()
    final = tf.train.FinalOpsHook(tf.constant(1))
    seen = []
    with tf.train.MonitoredTrainingSession(hooks=[final]) as sess:
        while not sess.should_stop():
            seen.append(int(sess.run(item)))
    assert seen == [0, 1, 2, 3, 4]
    assert sess.should_stop()
    assert final.final_ops_values == 1  # the hooks' end ran: a normal end


def test_an_error_in_the_loop_skips_end_and_closes(graph):
    _, w, _, train = model()
    final = tf.train.FinalOpsHook(w)
    with pytest.raises(ValueError, match="boom"):
        with tf.train.MonitoredSession(hooks=[final]) as sess:
            sess.run(train)
            raw = sess._tf_sess()
            raise ValueError("boom")
    assert final.final_ops_values is None
    assert sess.should_stop() and sess._is_closed()
    with pytest.raises(RuntimeError, match="closed Session"):
        raw.run(w)


def test_run_after_stop_is_an_error(graph):
    step, _, _, train = model()
    sess = tf.train.MonitoredSession(hooks=[tf.train.StopAtStepHook(num_steps=1)])
    sess.run(train)
    assert sess.should_stop()
    with pytest.raises(RuntimeError, match="should_stop requested"):
        sess.run(train)
    sess.close()
    with pytest.raises(RuntimeError, match="already closed"):
        sess.close()


def test_singular_session_raw_session_and_run_step_fn(graph):
    step, w, _, train = model()

    def step_fn(step_context):
        before = step_context.session.run(w)  # no hooks
        step_context.run_with_hooks(train)
        if step_context.session.run(step) >= 2:
            step_context.request_stop()
        return before

    counter = tf.train.FinalOpsHook(step)
    with tf.train.SingularMonitoredSession(hooks=[counter]) as sess:
        assert isinstance(sess.raw_session(), tf.Session)
        results = []
        while not sess.should_stop():
            results.append(sess.run_step_fn(step_fn))
    np.testing.assert_allclose(results, [w_after(0)], rtol=1e-6)
    assert counter.final_ops_values == 2
    with pytest.raises(ValueError, match="step_context"):
        with tf.train.SingularMonitoredSession() as sess:
            sess.run_step_fn(lambda ctx: None)


def test_scaffold_finalize_builds_defaults_and_finalizes(graph):
    model()
    local = tf.Variable(7.0, name="local", collections=[tf.GraphKeys.LOCAL_VARIABLES])
    scaffold = tf.train.Scaffold().finalize()
    assert graph.finalized
    for op in (scaffold.init_op, scaffold.ready_op, scaffold.local_init_op, scaffold.saver):
        assert op is not None
    assert scaffold.summary_op is None  # no summaries in the graph
    assert graph.get_collection(tf.GraphKeys.SAVERS) == [scaffold.saver]
    graph._unsafe_unfinalize()
    copy = tf.train.Scaffold(copy_from_scaffold=scaffold, init_fn=lambda s, sess: None)
    assert copy.saver is scaffold.saver and copy.ready_op is scaffold.ready_op
    with tf.train.SingularMonitoredSession(scaffold=copy) as sess:
        assert sess.run(local) == 7.0  # the default local init op ran
    with pytest.raises(TypeError, match="copy_from_scaffold"):
        tf.train.Scaffold(copy_from_scaffold=object())


def test_scaffold_refuses_two_savers_in_the_collection(graph):
    model()
    graph.add_to_collection(tf.GraphKeys.SAVERS, tf.train.Saver())
    graph.add_to_collection(tf.GraphKeys.SAVERS, tf.train.Saver())
    with pytest.raises(RuntimeError, match="More than one item in collection"):
        tf.train.Scaffold().finalize()


def test_scaffold_init_fn_and_feed(graph):
    x = tf.placeholder(tf.float32, [])
    v = tf.Variable(0.0, name="v")
    init = tf.assign(v, x).op
    seen = []
    scaffold = tf.train.Scaffold(
        init_op=init, init_feed_dict={x: 3.0}, init_fn=lambda sc, sess: seen.append(sc)
    )
    with tf.train.SingularMonitoredSession(scaffold=scaffold) as sess:
        assert sess.run(v) == 3.0
    assert seen == [scaffold]


def test_session_manager_prepare_recover_and_wait(graph, tmp_path):
    step, w, _, train = model()
    saver = tf.train.Saver()
    init = tf.global_variables_initializer()
    manager = tf.train.SessionManager(
        ready_op=tf.report_uninitialized_variables(), recovery_wait_secs=0
    )
    sess, restored = manager.recover_session("", saver=saver, checkpoint_dir=str(tmp_path))
    assert not restored
    sess = manager.prepare_session("", init_op=init, saver=saver, checkpoint_dir=str(tmp_path))
    sess.run(train)
    saver.save(sess, str(tmp_path / "model.ckpt"), global_step=step)
    sess.close()
    sess, restored = manager.recover_session("", saver=saver, checkpoint_dir=str(tmp_path))
    assert restored and sess.run(step) == 1
    sess = manager.prepare_session("", init_op=init, saver=saver, checkpoint_dir=str(tmp_path))
    np.testing.assert_allclose(sess.run(w), w_after(1), rtol=1e-6)  # restored, not init
    # A fresh session of this process is never initialized by anyone else.
    with pytest.raises(tf.errors.DeadlineExceededError, match="not ready"):
        manager.wait_for_session("", max_wait_secs=0)
    with pytest.raises(RuntimeError, match="no init_op"):
        tf.train.SessionManager().prepare_session("")
    with pytest.raises(RuntimeError, match="did not make model ready"):
        manager.prepare_session("", init_op=tf.no_op())
    with pytest.raises(ValueError, match="must also pass a local_init_op"):
        tf.train.SessionManager(ready_for_local_init_op=tf.report_uninitialized_variables())


def test_worker_session_waits_for_a_ready_model(graph):
    model()
    with pytest.raises(tf.errors.DeadlineExceededError):
        tf.train.MonitoredTrainingSession(is_chief=False, max_wait_secs=0)


def test_chief_only_hooks_run_only_on_the_chief(graph):
    step, _, _, train = model()
    final = tf.train.FinalOpsHook(step)
    with tf.train.MonitoredTrainingSession(
        chief_only_hooks=[final], hooks=[tf.train.StopAtStepHook(last_step=2)]
    ) as sess:
        _run_until_stop(sess, train)
    assert final.final_ops_values == 2
