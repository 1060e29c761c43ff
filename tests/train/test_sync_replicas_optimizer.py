"""tf.train.SyncReplicasOptimizer: several workers in one process share one graph and session.

Each worker builds its own tower (its optimizer, local step and train op) as between-graph
replicas do; the accumulators and the token queue are shared through their `shared_name`,
as a ps's resource manager shares them across workers' graphs. The expected values are
TensorFlow's own test's (`sync_replicas_optimizer_test.py`): GD with rate 2 on the average
of the aggregated replicas' constant gradients.
"""

import threading
import time

import numpy as np
import pytest

import flowgraph as tf

_TIMEOUT = 30.0


def _wait_for(cond, what):
    deadline = time.monotonic() + _TIMEOUT
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


class _Cluster:
    """`num_workers` towers over shared variables, one session, the hooks run as MTS does."""

    def __init__(self, num_workers, replicas_to_aggregate):
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.global_step = tf.Variable(0, name="global_step", trainable=False)
            self.v0 = tf.Variable(0.0, name="v0")
            self.v1 = tf.Variable(1.0, name="v1")
            self.v_sparse = tf.Variable([[3.0], [4.0]], name="v_sparse")
            towers = [
                self._tower(i, num_workers, replicas_to_aggregate) for i in range(num_workers)
            ]
            self.train_ops = [t[0] for t in towers]
            self.local_steps = [t[1] for t in towers]
            hooks = [t[2] for t in towers]
            for hook in hooks:
                hook.begin()
            init = [tf.global_variables_initializer(), tf.local_variables_initializer()]
        self.sess = tf.Session(graph=self.graph)
        self.coord = tf.train.Coordinator()
        self.sess.run(init)
        for hook in hooks:
            hook.after_create_session(self.sess, self.coord)

    def _tower(self, i, num_workers, replicas_to_aggregate):
        with tf.name_scope(f"worker_{i}"):
            grads_0 = tf.constant(0.1 + i * 0.2)
            grads_1 = tf.constant(0.9 + i * 0.2)
            grads_sparse = tf.IndexedSlices(
                tf.constant([0.1 + i * 0.2], shape=[1, 1]), tf.constant([1]), tf.constant([2, 1])
            )
            opt = tf.train.SyncReplicasOptimizer(
                tf.train.GradientDescentOptimizer(2.0),
                replicas_to_aggregate=replicas_to_aggregate,
                total_num_replicas=num_workers,
            )
            train_op = opt.apply_gradients(
                zip([grads_0, grads_1, grads_sparse], [self.v0, self.v1, self.v_sparse]),
                global_step=self.global_step,
            )
            hook = opt.make_session_run_hook(i == 0, num_tokens=num_workers)
        return train_op, opt._local_step, hook

    def run(self, fetch):
        return self.sess.run(fetch)

    def step(self, worker):
        self.sess.run(self.train_ops[worker])

    def start(self, worker):
        thread = threading.Thread(target=self.step, args=(worker,), daemon=True)
        thread.start()
        return thread

    def close(self):
        self.coord.request_stop()
        self.sess.close()
        self.coord.join(stop_grace_period_secs=_TIMEOUT)


@pytest.fixture
def cluster():
    made = []

    def make(num_workers, replicas_to_aggregate):
        made.append(_Cluster(num_workers, replicas_to_aggregate))
        return made[-1]

    yield make
    for c in made:
        c.close()


def _join(*threads):
    for thread in threads:
        thread.join(_TIMEOUT)
        assert not thread.is_alive(), "a worker's step did not finish"


def test_two_workers_step_once_per_pair(cluster):
    c = cluster(2, 2)
    assert c.run(c.v0) == 0.0 and c.run(c.v1) == 1.0
    assert c.run(c.local_steps) == [0, 0]
    np.testing.assert_allclose(c.run(c.v_sparse), [[3.0], [4.0]])
    # The initial tokens let each worker run one step alone; the pair makes one update.
    c.step(0)
    assert c.run(c.global_step) in (0, 1)
    c.step(1)
    _wait_for(lambda: c.run(c.global_step) == 1, "global step 1")
    np.testing.assert_allclose(c.run(c.v0), 0 - (0.1 + 0.3) / 2 * 2.0, rtol=1e-6)
    np.testing.assert_allclose(c.run(c.v1), 1 - (0.9 + 1.1) / 2 * 2.0, rtol=1e-6)
    np.testing.assert_allclose(c.run(c.v_sparse), [[3.0], [4.0 - (0.1 + 0.3) / 2 * 2.0]])
    # The initial tokens were 0s: this round's gradients are stale (dropped), the local
    # steps become 1 and nothing else changes.
    assert c.run(c.local_steps) == [0, 0]
    c.step(0)
    c.step(1)
    assert c.run(c.global_step) == 1
    assert c.run(c.local_steps) == [1, 1]
    np.testing.assert_allclose(c.run(c.v0), -0.4, rtol=1e-6)
    np.testing.assert_allclose(c.run(c.v1), -1.0, rtol=1e-6)
    # No tokens left: the two workers must step together.
    _join(c.start(0), c.start(1))
    assert c.run(c.global_step) == 2
    np.testing.assert_allclose(c.run(c.v0), 0 - 2 * (0.1 + 0.3) / 2 * 2.0, rtol=1e-6)
    np.testing.assert_allclose(c.run(c.v1), 1 - 2 * (0.9 + 1.1) / 2 * 2.0, rtol=1e-6)


def test_one_worker_alone_waits_for_its_pair(cluster):
    c = cluster(2, 2)
    c.step(0)
    c.step(1)
    _wait_for(lambda: c.run(c.global_step) == 1, "global step 1")
    c.step(0)
    c.step(1)  # stale round: takes the last tokens
    alone = c.start(0)
    time.sleep(0.3)
    assert alone.is_alive() and c.run(c.global_step) == 1
    _join(c.start(1), alone)
    assert c.run(c.global_step) == 2


def test_three_workers_one_backup_drops_the_late_gradient(cluster):
    c = cluster(3, 2)
    assert c.run(c.global_step) == 0 and c.run(c.local_steps[1]) == 0
    # Workers 0 and 2 finish first: two gradients are enough for the update.
    c.step(0)
    c.step(2)
    _wait_for(lambda: c.run(c.global_step) == 1, "global step 1")
    np.testing.assert_allclose(c.run(c.v0), 0 - (0.1 + 0.5) / 2 * 2.0, rtol=1e-6)
    np.testing.assert_allclose(c.run(c.v1), 1 - (0.9 + 1.3) / 2 * 2.0, rtol=1e-6)
    # Worker 1 is late: its gradient (local step 0 < 1) is dropped, as is the next round's.
    c.step(1)
    for worker in range(3):
        c.step(worker)
    assert c.run(c.global_step) == 1
    assert c.run(c.local_steps[1]) == 1
    np.testing.assert_allclose(c.run(c.v0), -0.6, rtol=1e-6)
    first = c.start(0)
    time.sleep(0.3)
    assert c.run(c.global_step) == 1
    _join(c.start(1), first)
    assert c.run(c.global_step) == 2
    np.testing.assert_allclose(c.run(c.v0), -0.6 - (0.1 + 0.3) / 2 * 2.0, rtol=1e-6)
    np.testing.assert_allclose(c.run(c.v1), -1.2 - (0.9 + 1.1) / 2 * 2.0, rtol=1e-6)


# As in TF, the chief's queue runner waits in TakeGrad when the session closes: MTS gives it
# the stop grace period, then the session's close cancels it (the runner thread reports the
# cancellation to the already joined coordinator).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_monitored_training_session_runs_the_chief_hook():
    with tf.Graph().as_default():
        x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
        w = tf.Variable([[0.5], [-0.5]], name="w")
        loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - 1.0))
        global_step = tf.train.get_or_create_global_step()
        opt = tf.train.SyncReplicasOptimizer(tf.train.GradientDescentOptimizer(0.05), 1, 1)
        train_op = opt.minimize(loss, global_step=global_step)
        hook = opt.make_session_run_hook(is_chief=True)
        with tf.train.MonitoredTrainingSession(
            is_chief=True, hooks=[hook], stop_grace_period_secs=1
        ) as sess:
            for _ in range(5):
                sess.run(train_op)
            step, got = sess.run([global_step, w])
        for thread in threading.enumerate():  # the runner ends here, within the filter
            if thread.name.startswith("QueueRunnerThread-dummy_queue"):
                thread.join(_TIMEOUT)
                assert not thread.is_alive()
    # The init token holds step 0, so the second step's gradient (local step 0, the
    # accumulator's step 1) is stale and dropped: 5 steps make 4 updates.
    assert step == 4
    xs = np.array([[1.0, 2.0], [3.0, 4.0]])
    want = np.array([[0.5], [-0.5]])
    for _ in range(4):
        want = want - 0.05 * xs.T @ (2 * (xs @ want - 1.0)) / 2
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_hook_before_apply_gradients_raises():
    opt = tf.train.SyncReplicasOptimizer(tf.train.GradientDescentOptimizer(1.0), 1, 1)
    hook = opt.make_session_run_hook(True)
    with pytest.raises(ValueError, match="apply_gradient should be called"):
        hook.begin()
    with pytest.raises(ValueError, match="after apply_gradients"):
        opt.get_chief_queue_runner()


def test_apply_gradients_needs_the_global_step():
    with tf.Graph().as_default():
        v = tf.Variable(1.0)
        opt = tf.train.SyncReplicasOptimizer(tf.train.GradientDescentOptimizer(1.0), 1, 1)
        with pytest.raises(ValueError, match="Global step is required"):
            opt.apply_gradients([(tf.constant(1.0), v)])
        with pytest.raises(ValueError, match="Must supply at least one variable"):
            opt.apply_gradients([], global_step=tf.train.get_or_create_global_step())


def test_too_few_init_tokens_raises():
    with tf.Graph().as_default():
        v = tf.Variable([0.0])
        opt = tf.train.SyncReplicasOptimizer(tf.train.AdamOptimizer(0.01), 3, 1)
        opt.minimize(v, global_step=tf.train.get_or_create_global_step())
        with pytest.raises(ValueError, match=r"Too few tokens .*: 1 \(given\) vs 2 \(needed\)"):
            opt.get_init_tokens_op(1)
        beta1_power, beta2_power = opt._opt._get_beta_accumulators()
        assert beta1_power in opt.variables() and beta2_power in opt.variables()
