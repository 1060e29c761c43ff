"""`tf.train.basic_train_loop`: steps until the supervisor stops; retries on AbortedError."""

import flowgraph as tf


class _FakeSupervisor:
    """Stops after `steps` calls of should_stop; records the sessions it made."""

    def __init__(self, steps):
        self.steps, self.sessions = steps, []

    def managed_session(self, master):
        supervisor = self

        class _Managed:
            def __enter__(self):
                supervisor.sessions.append(master)
                return f"session{len(supervisor.sessions)}"

            def __exit__(self, *exc):
                return False

        return _Managed()

    def should_stop(self):
        self.steps -= 1
        return self.steps < 0


def test_runs_steps_until_should_stop_with_args():
    supervisor, calls = _FakeSupervisor(3), []
    tf.train.basic_train_loop(
        supervisor, lambda sess, a, b=0: calls.append((sess, a, b)), args=[1], kwargs={"b": 2}
    )
    assert calls == [("session1", 1, 2)] * 3 and supervisor.sessions == [""]


def test_aborted_error_restarts_in_a_new_session():
    supervisor, calls = _FakeSupervisor(4), []

    def step(sess):
        calls.append(sess)
        if len(calls) == 2:
            raise tf.errors.AbortedError(None, None, "server restarted")

    tf.train.basic_train_loop(supervisor, step, master="grpc://x")
    assert calls == ["session1", "session1", "session2", "session2"]
    assert supervisor.sessions == ["grpc://x", "grpc://x"]


def test_with_a_real_supervisor(tmp_path):
    with tf.Graph().as_default():
        step = tf.train.get_or_create_global_step()
        increment = tf.assign_add(step, 1)
        stop_at = [3]

        def train_step(sess):
            if sess.run(increment) >= stop_at[0]:
                supervisor.request_stop()

        supervisor = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=0,
                                         save_summaries_secs=0)  # fmt: skip
        tf.train.basic_train_loop(supervisor, train_step)
        assert supervisor.should_stop()
