"""The SessionRunHook protocol and the standard hooks, run inside a MonitoredSession on a
one-variable model (w ← 0.8·w per step, so values are known in closed form)."""

from __future__ import annotations

import glob
import json
import os

import numpy as np
import pytest

import flowgraph as tf
from tests.train.training_models import model, w_after


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def _train(hooks, train) -> int:
    """Runs `train` until a hook stops the loop; returns the number of runs."""
    runs = 0
    with tf.train.SingularMonitoredSession(hooks=hooks) as sess:
        while not sess.should_stop():
            sess.run(train)
            runs += 1
    return runs


def _events(logdir) -> list:
    tf.summary.FileWriterCache.get(str(logdir)).flush()
    paths = sorted(glob.glob(os.path.join(str(logdir), "events.out.tfevents.*")))
    return [e for p in paths for e in tf.train.summary_iterator(p)]


def _scalars(logdir, tag) -> list[tuple[int, float]]:
    return [
        (e.step, v.simple_value) for e in _events(logdir) for v in e.summary.value if v.tag == tag
    ]


class _Recorder(tf.train.SessionRunHook):
    """Records every call; asks for `w` and feeds nothing; stops after `stop_after` runs."""

    def __init__(self, w, stop_after):
        self.w, self.stop_after, self.calls, self.values = w, stop_after, [], []

    def begin(self):
        self.calls.append("begin")

    def after_create_session(self, session, coord):
        self.calls.append("after_create_session")
        assert isinstance(session, tf.Session) and isinstance(coord, tf.train.Coordinator)

    def before_run(self, run_context):
        self.calls.append("before_run")
        self.original = run_context.original_args
        return tf.train.SessionRunArgs({"w": self.w})

    def after_run(self, run_context, run_values):
        self.calls.append("after_run")
        self.values.append(run_values.results["w"])
        assert isinstance(run_values.run_metadata, tf.RunMetadata)
        if len(self.values) == self.stop_after:
            run_context.request_stop()
            assert run_context.stop_requested

    def end(self, session):
        self.calls.append("end")
        self.final_w = session.run(self.w)


def test_hook_protocol_order_args_and_stop(graph):
    step, w, _, train = model()
    hook = _Recorder(w, stop_after=3)
    assert _train([hook], train) == 3
    assert hook.calls == ["begin", "after_create_session"] + ["before_run", "after_run"] * 3 + [
        "end"
    ]
    assert hook.original == tf.train.SessionRunArgs(train, None, None)
    # The hook's fetch of w runs in the same run as the train op: w before or after it.
    for i, value in enumerate(hook.values):
        assert np.isclose(value, w_after(i), rtol=1e-6) or np.isclose(value, w_after(i + 1))
    np.testing.assert_allclose(hook.final_w, w_after(3), rtol=1e-6)
    assert not graph.finalized  # MonitoredSession unfinalizes what it finalized


def test_second_or_step_timer():
    timer = tf.train.SecondOrStepTimer(every_steps=3)
    assert timer.should_trigger_for_step(0)
    assert timer.update_last_triggered_step(0) == (None, None)
    assert [s for s in range(1, 8) if timer.should_trigger_for_step(s)] == [3, 4, 5, 6, 7]
    elapsed_secs, elapsed_steps = timer.update_last_triggered_step(3)
    assert elapsed_steps == 3 and elapsed_secs >= 0
    assert not timer.should_trigger_for_step(3) and timer.last_triggered_step() == 3
    with pytest.raises(ValueError, match="Either every_secs or every_steps"):
        tf.train.SecondOrStepTimer()
    with pytest.raises(ValueError, match="Can not provide both"):
        tf.train.SecondOrStepTimer(every_secs=1, every_steps=1)


def test_stop_at_step_hook(graph):
    step, w, _, train = model()
    final = tf.train.FinalOpsHook([step, w])
    assert _train([tf.train.StopAtStepHook(num_steps=4), final], train) == 4
    assert final.final_ops_values[0] == 4
    np.testing.assert_allclose(final.final_ops_values[1], w_after(4), rtol=1e-6)
    assert _train([tf.train.StopAtStepHook(last_step=2), final], train) == 2
    with pytest.raises(ValueError, match="One of num_steps or last_step"):
        tf.train.StopAtStepHook()
    with pytest.raises(ValueError, match="Only one of"):
        tf.train.StopAtStepHook(num_steps=1, last_step=1)


def test_stop_at_step_hook_needs_a_global_step(graph):
    tf.Variable(1.0)
    with pytest.raises(RuntimeError, match="Global step should be created"):
        tf.train.SingularMonitoredSession(hooks=[tf.train.StopAtStepHook(num_steps=1)])


class _Listener(tf.train.CheckpointSaverListener):
    def __init__(self, stop_at=None):
        self.events, self.stop_at = [], stop_at

    def begin(self):
        self.events.append("begin")

    def before_save(self, session, global_step_value):
        self.events.append(("before", int(global_step_value)))

    def after_save(self, session, global_step_value):
        self.events.append(("after", int(global_step_value)))
        return global_step_value == self.stop_at

    def end(self, session, global_step_value):
        self.events.append(("end", int(global_step_value)))


def test_checkpoint_saver_hook_saves_every_n_steps_and_at_end(graph, tmp_path):
    step, w, _, train = model()
    listener = _Listener()
    saver = tf.train.Saver(max_to_keep=10)
    hooks = [
        tf.train.CheckpointSaverHook(
            str(tmp_path), save_steps=2, saver=saver, listeners=[listener]
        ),
        tf.train.StopAtStepHook(last_step=5),
    ]
    _train(hooks, train)
    saved = [s for e, s in listener.events[1:-1] if e == "after"]
    assert saved == [0, 2, 4, 5]  # at creation, every 2 steps, at the end
    assert listener.events[0] == "begin" and listener.events[-1] == ("end", 5)
    assert tf.train.latest_checkpoint(str(tmp_path)) == str(tmp_path / "model.ckpt-5")
    assert os.path.exists(tmp_path / "graph.pbtxt") and os.path.exists(
        tmp_path / "model.ckpt-5.meta"
    )
    np.testing.assert_allclose(
        tf.train.load_variable(str(tmp_path / "model.ckpt-2"), "w"), w_after(2), rtol=1e-6
    )
    logs = [e.session_log for e in _events(tmp_path) if e.HasField("session_log")]
    assert [log.checkpoint_path for log in logs][:3] == [str(tmp_path / "model.ckpt")] * 3


def test_checkpoint_listener_can_stop_training(graph, tmp_path):
    _, _, _, train = model()
    hook = tf.train.CheckpointSaverHook(str(tmp_path), save_steps=3, listeners=[_Listener(3)])
    assert _train([hook], train) == 3
    with pytest.raises(ValueError, match="both saver and scaffold"):
        tf.train.CheckpointSaverHook(
            str(tmp_path), save_steps=1, saver=tf.train.Saver(), scaffold=tf.train.Scaffold()
        )


def test_summary_saver_hook(graph, tmp_path):
    step, w, loss, train = model()
    summary = tf.summary.scalar("w2", loss)
    hooks = [
        tf.train.SummarySaverHook(save_steps=2, output_dir=str(tmp_path), summary_op=summary),
        tf.train.StopAtStepHook(last_step=5),
    ]
    _train(hooks, train)
    # Written at the step the run made (1, then every 2), each with that run's loss.
    expected = [(s, w_after(s - 1) ** 2) for s in (1, 3, 5)]
    got = _scalars(tmp_path, "w2")
    assert [s for s, _ in got] == [s for s, _ in expected]
    np.testing.assert_allclose([v for _, v in got], [v for _, v in expected], rtol=1e-5)
    starts = [e.step for e in _events(tmp_path) if e.session_log.status == tf.SessionLog.START]
    assert starts == [1]
    with pytest.raises(ValueError, match="Exactly one of scaffold or summary_op"):
        tf.train.SummarySaverHook(save_steps=1, output_dir=str(tmp_path))


def test_step_counter_hook_writes_steps_per_second(graph, tmp_path):
    _, _, _, train = model()
    writer = tf.summary.FileWriter(str(tmp_path))
    hooks = [
        tf.train.StepCounterHook(every_n_steps=2, summary_writer=writer),
        tf.train.StopAtStepHook(last_step=6),
    ]
    _train(hooks, train)
    writer.close()
    events = [e for p in glob.glob(str(tmp_path / "events*")) for e in tf.train.summary_iterator(p)]
    rates = [(e.step, v.simple_value) for e in events for v in e.summary.value]
    assert [s for s, _ in rates] == [3, 5]  # first trigger only starts the clock
    assert all(tag == "global_step/sec" for e in events for tag in [v.tag for v in e.summary.value])
    assert all(r > 0 for _, r in rates)
    with pytest.raises(ValueError, match="exactly one of every_n_steps and every_n_secs"):
        tf.train.StepCounterHook(every_n_steps=None)


def test_logging_tensor_hook(graph):
    step, w, loss, train = model()
    logged = []
    hook = tf.train.LoggingTensorHook(
        {"step": step, "w": "w"}, every_n_iter=2, at_end=True, formatter=logged.append
    )
    _train([hook, tf.train.StopAtStepHook(last_step=5)], train)
    # Logged at local iterations 0, 2, 4 (values read in that run) and at the end.
    assert [int(d["step"]) for d in logged] == [1, 3, 5, 5]
    np.testing.assert_allclose(logged[-1]["w"], w_after(5), rtol=1e-6)
    with pytest.raises(ValueError, match="exactly one of every_n_iter and every_n_secs"):
        tf.train.LoggingTensorHook([loss])
    with pytest.raises(ValueError, match="invalid every_n_iter"):
        tf.train.LoggingTensorHook([loss], every_n_iter=0)


def test_nan_tensor_hook(graph):
    x = tf.placeholder(tf.float32, [])
    step = tf.train.get_or_create_global_step()
    loss = tf.log(x)  # NaN for x < 0
    train = tf.assign_add(step, 1)
    with tf.train.SingularMonitoredSession(hooks=[tf.train.NanTensorHook(loss)]) as sess:
        sess.run(train, {x: 1.0})
        with pytest.raises(tf.train.NanLossDuringTrainingError, match="NaN loss during training"):
            sess.run(train, {x: -1.0})
    hook = tf.train.NanTensorHook(loss, fail_on_nan_loss=False)
    with tf.train.SingularMonitoredSession(hooks=[hook]) as sess:
        sess.run(train, {x: -1.0})
        assert sess.should_stop()


def test_feed_fn_and_final_ops_hooks(graph):
    x = tf.placeholder(tf.float32, [], name="x")
    total = tf.Variable(0.0, name="total")
    add = tf.assign_add(total, x)
    values = iter([1.0, 2.0, 4.0])
    final = tf.train.FinalOpsHook(total * 10)
    with tf.train.SingularMonitoredSession(
        hooks=[tf.train.FeedFnHook(lambda: {x: next(values)}), final]
    ) as sess:
        assert [float(sess.run(add)) for _ in range(3)] == [1.0, 3.0, 7.0]
        with pytest.raises(RuntimeError, match="fed by a SessionRunHook and user"):
            sess.run(add, {x: 1.0})
    assert final.final_ops_values == pytest.approx(70.0)


def test_two_hooks_feeding_one_tensor_is_an_error(graph):
    x = tf.placeholder(tf.float32, [])
    y = x + 1
    hooks = [tf.train.FeedFnHook(lambda: {x: 1.0}), tf.train.FeedFnHook(lambda: {x: 2.0})]
    with tf.train.SingularMonitoredSession(hooks=hooks) as sess:
        with pytest.raises(RuntimeError, match="Same tensor is fed by two hooks"):
            sess.run(y)


def test_profiler_hook_writes_timelines(graph, tmp_path):
    _, _, _, train = model()
    hooks = [
        tf.train.ProfilerHook(save_steps=2, output_dir=str(tmp_path)),
        tf.train.StopAtStepHook(last_step=5),
    ]
    _train(hooks, train)
    names = sorted(os.listdir(tmp_path))
    assert [n for n in names if n.startswith("timeline")] == ["timeline-2.json", "timeline-4.json"]
    trace = json.loads((tmp_path / "timeline-2.json").read_text())
    assert any(e.get("ph") == "X" for e in trace["traceEvents"])
    tags = [
        e.tagged_run_metadata.tag for e in _events(tmp_path) if e.HasField("tagged_run_metadata")
    ]
    assert tags == ["step_2", "step_4"]


def test_global_step_waiter_hook_passes_a_reached_step(graph):
    step, _, _, train = model()
    hook = tf.train.GlobalStepWaiterHook(wait_until_step=0)
    assert _train([hook, tf.train.StopAtStepHook(last_step=2)], train) == 2
