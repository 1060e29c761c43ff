"""`tf.test`: a user's TF1 unit tests run on `tf.test.TestCase`, and its helpers."""

import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import flowgraph as tf


class UserTest(tf.test.TestCase):
    """Written as a TF1 user writes one."""

    def testEvalInCachedSession(self):
        with self.cached_session() as sess:
            x = tf.constant([1.0, 2.0])
            self.assertAllClose(self.evaluate(x * 2), [2.0, 4.0])
            self.assertAllEqual((x + 1).eval(), [2.0, 3.0])
            with self.cached_session() as again:
                self.assertIs(again, sess)

    def testSessionOnAnotherGraph(self):
        graph = tf.Graph()
        with self.session(graph=graph) as sess:
            self.assertIs(sess.graph, graph)
            self.assertIs(tf.get_default_graph(), graph)
            self.assertAllEqual(sess.run(tf.constant(3)), 3)

    def testTestSessionAndVariables(self):
        v = tf.Variable([1.0, 2.0])
        with self.test_session():
            self.evaluate(tf.global_variables_initializer())
            self.assertAllClose(self.evaluate(v.assign_add([1.0, 1.0])), [2.0, 3.0])

    def testEachTestStartsWithAFreshSeededGraph(self):
        self.assertEqual(tf.get_default_graph().get_operations(), [])
        self.assertEqual(tf.get_default_graph().seed, tf.test.DEFAULT_GRAPH_SEED)

    def testRaisesOpError(self):
        x = tf.placeholder(tf.float32)
        with self.cached_session() as sess:
            with self.assertRaisesOpError("must be finite"):
                sess.run(tf.check_numerics(x, "must be finite"), {x: np.nan})

    def testNestedStructuresAndTolerances(self):
        self.assertAllClose({"a": [1.0, 2.0], "b": (3.0,)}, {"a": [1.0, 2.0 + 1e-7], "b": (3.0,)})
        self.assertAllCloseAccordingToType(np.float16([1.0]), np.float16([1.0005]))
        self.assertNotAllClose([1.0], [1.1])
        self.assertAllInRange([0.0, 0.5, 1.0], 0.0, 1.0)
        self.assertAllGreater([2, 3], 1)
        self.assertAllLessEqual([2, 3], 3)
        self.assertAllInSet([1, 2, 1], {1, 2})
        self.assertDTypeEqual(np.int32([1]), tf.int32)
        self.assertShapeEqual(np.zeros([2, 3]), tf.zeros([2, 3]))
        self.assertProtoEquals("producer: 134", tf.GraphDef().versions.__class__(producer=134))
        self.assertDeviceEqual("/cpu:0", "/device:CPU:0")
        self.assertArrayNear([1.0, 2.0], [1.0, 2.05], 0.1)

    def testCheckedThreadReportsErrors(self):
        ran = threading.Event()
        thread = self.checkedThread(target=ran.set)
        thread.start()
        thread.join()
        self.assertTrue(ran.is_set())

    def testGetTempDir(self):
        path = self.get_temp_dir()
        self.assertTrue(os.path.isdir(path))
        self.assertTrue(os.path.isdir(tf.test.get_temp_dir()))


@pytest.fixture
def case():
    test = UserTest("testEvalInCachedSession")
    test.setUp()
    yield test
    test.tearDown()


@pytest.mark.parametrize(
    "check",
    [
        lambda t: t.assertAllClose([1.0, 2.0], [1.0, 2.1]),
        lambda t: t.assertAllClose([1.0, 2.0], [1.0, 2.0, 3.0]),  # shapes differ
        lambda t: t.assertAllClose({"a": 1.0}, {"b": 1.0}),
        lambda t: t.assertAllEqual([[1, 2]], [1, 2]),
        lambda t: t.assertAllEqual(tf.constant([1, 2]), [1, 3]),
        lambda t: t.assertNotAllClose([1.0], [1.0]),
        lambda t: t.assertAllInRange([0.0, 1.0], 0.0, 1.0, open_upper_bound=True),
        lambda t: t.assertAllGreater([2, 1], 1),
        lambda t: t.assertAllInSet([3], {1, 2}),
        lambda t: t.assertNear(1.0, 1.2, 0.1),
        lambda t: t.assertShapeEqual(np.zeros([2]), tf.zeros([3])),
        lambda t: t.assertProtoEquals("producer: 1", tf.GraphDef().versions),
    ],
)
def test_assertions_fail_on_mismatch(case, check):
    with pytest.raises(AssertionError):
        check(case)


def test_assert_raises_op_error_fails_without_an_error_or_on_another_message(case):
    with pytest.raises(AssertionError, match="OpError not raised"):
        with case.assertRaisesOpError("anything"):
            pass
    with pytest.raises(AssertionError, match="Exception of type"):
        with case.assertRaisesOpError("other text"):
            raise tf.errors.InvalidArgumentError(None, None, "this text")


def test_checked_thread_fails_the_test_on_error(case):
    def boom():
        raise ValueError("boom")

    thread = case.checkedThread(boom)
    thread.start()
    with pytest.raises(AssertionError, match="boom"):
        thread.join()


def test_main_runs_a_users_test_file(tmp_path):
    source = textwrap.dedent("""
        import flowgraph as tf

        class AddTest(tf.test.TestCase):
            def testAdd(self):
                with self.cached_session():
                    self.assertAllEqual(tf.add(1, 2).eval(), WANT)

        if __name__ == "__main__":
            tf.test.main()
    """)
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    runs = {}
    for want in ("3", "4"):
        script = tmp_path / f"add_{want}_test.py"
        script.write_text(source.replace("WANT", want))
        runs[want] = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, timeout=300, env=env
        )
    assert runs["3"].returncode == 0, runs["3"].stderr
    assert "[       OK ] AddTest.testAdd" in runs["3"].stderr
    assert "OK (skipped=1)" in runs["3"].stderr  # the inherited test_session helper
    assert runs["4"].returncode == 1 and "FAILED (failures=1, skipped=1)" in runs["4"].stderr


def test_device_queries_match_jax():
    import jax

    has_gpu = any(d.platform == "gpu" for d in jax.devices())
    assert tf.test.is_gpu_available() is has_gpu
    assert tf.test.gpu_device_name() == ("/device:GPU:0" if has_gpu else "")
    assert tf.test.is_built_with_xla() is True
    assert tf.test.is_built_with_gpu_support() is (
        tf.test.is_built_with_cuda() or tf.test.is_built_with_rocm()
    )


def test_assert_equal_graph_def_ignores_node_order():
    def graph_def(reverse):
        with tf.Graph().as_default() as g:
            names = ["b", "a"] if reverse else ["a", "b"]
            for name in names:
                tf.constant(1.0, name=name)
        return g.as_graph_def()

    tf.test.assert_equal_graph_def(graph_def(False), graph_def(True))
    other = graph_def(False)
    other.node[0].op = "Identity"
    with pytest.raises(AssertionError, match="Node named 'a' differs"):
        tf.test.assert_equal_graph_def(other, graph_def(False))
    with pytest.raises(TypeError, match="Expected tf.GraphDef"):
        tf.test.assert_equal_graph_def("x", graph_def(False))


def test_benchmark_times_an_op():
    bench = tf.test.Benchmark()
    with tf.Session() as sess:
        result = bench.run_op_benchmark(sess, tf.constant(1.0) + 1.0, min_iters=3, name="add")
    assert result["iters"] == 3 and result["wall_time"] > 0 and result["name"] == "add"
    assert bench.reports[0]["name"] == "add"


def test_stub_out_for_testing_restores():
    stubs = tf.test.StubOutForTesting()
    stubs.Set(os.path, "sep", "!")
    assert os.path.sep == "!"
    stubs.UnsetAll()
    assert os.path.sep == "/"


def test_disable_with_predicate_and_mock():
    class T(tf.test.TestCase):
        @tf.test.disable_with_predicate(lambda: True, "not here")
        def testSkipped(self):
            raise AssertionError("must not run")

    result = T("testSkipped").run()
    assert len(result.skipped) == 1 and result.wasSuccessful()
    assert tf.test.mock.MagicMock()(1) is not None


def test_cpu_target_and_source_paths():
    import platform

    machine = platform.machine().lower()
    assert tf.test.is_cpu_target_available("x86") is (machine in ("x86_64", "amd64"))
    assert tf.test.is_cpu_target_available("aarch64") is (machine in ("aarch64", "arm64"))
    assert os.path.isfile(tf.test.test_src_dir_path("flowgraph/test.py"))
