"""`tf.test`: `TestCase` with sessions and array assertions, `main`, and device queries.

Its names are exported by `flowgraph/export_table.py`; they are defined here, except
`compute_gradient(_error)` (`flowgraph/ops/gradient_checker.py`) and `mock`.

Example:
  >>> class SquareTest(tf.test.TestCase):
  ...     def testSquare(self):
  ...         with self.cached_session():
  ...             self.assertAllEqual(tf.square([2, 3]).eval(), [4, 9])
  >>> if __name__ == "__main__":
  ...     tf.test.main()
"""

from __future__ import annotations

import atexit
import collections.abc
import contextlib
import os
import platform
import re
import shutil
import tempfile
import threading
import time
from unittest import mock as mock  # `tf.test.mock` is Python's own

import jax
import numpy as np
from absl.testing import absltest
from google.protobuf import text_format

from flowgraph.client.config import ConfigProto
from flowgraph.client.session import Session, get_default_session
from flowgraph.framework import dtypes, ops, random_seed
from flowgraph.framework.ops import Tensor
from kernels import errors

# The repository: the directory holding the flowgraph package.
_SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# TF's seed for the graph of every test (python/framework/random_seed.py).
DEFAULT_GRAPH_SEED = 87654321


def main(argv=None):
    """Runs all unit tests (absl's test runner, as TF's)."""
    return absltest.main(argv=argv)


def get_temp_dir():
    """A temporary directory for use during tests (removed when the process ends)."""
    return _temp_root()


def is_gpu_available(cuda_only=False, min_cuda_compute_capability=None):
    """Whether jax has a GPU device (CUDA, or ROCm unless `cuda_only`)."""
    return bool(_gpus(("cuda",) if cuda_only else ("cuda", "rocm")))


def gpu_device_name():
    """The name of the first GPU device (`'/device:GPU:0'`), or `''` when there is none."""
    return "/device:GPU:0" if is_gpu_available() else ""


def is_built_with_cuda():
    """Whether jax can run on CUDA GPUs in this installation."""
    return bool(_gpus(("cuda",)))


def is_built_with_rocm():
    """Whether jax can run on ROCm GPUs in this installation."""
    return bool(_gpus(("rocm",)))


def is_built_with_gpu_support():
    """Whether jax can run on GPUs (CUDA or ROCm) in this installation."""
    return is_built_with_cuda() or is_built_with_rocm()


def is_built_with_xla():
    """Whether XLA compiles the graphs: always, in flowgraph."""
    return True


def is_cpu_target_available(target):
    """Whether the host CPU is of the architecture family `target` ("x86", "aarch64", ...)."""
    machine = platform.machine().lower()
    families = {"x86": ("x86_64", "amd64", "i386", "i686"), "aarch64": ("aarch64", "arm64")}
    return machine in families.get(target.lower(), (target.lower(),))


def test_src_dir_path(relative_path):
    """The absolute path of `relative_path` in flowgraph's source tree (the repository)."""
    return os.path.join(_SOURCE_ROOT, relative_path)


test_src_dir_path.__test__ = False  # a helper, not a test, for pytest


def benchmark_config():
    """The `ConfigProto` for benchmarks (flowgraph has no grappler to turn off)."""
    return ConfigProto()


def disable_with_predicate(pred, skip_message):
    """Decorator that skips a test method when `pred()` is true."""

    def decorator(func):
        def wrapper(self, *args, **kwargs):
            if pred():
                self.skipTest(skip_message)
            return func(self, *args, **kwargs)

        return wrapper

    return decorator


def with_eager_op_as_function(cls=None, only_as_function=False):
    """Class decorator for eager-mode variants of tests: graph-only flowgraph keeps `cls`."""
    return cls if cls is not None else (lambda c: c)


def assert_equal_graph_def(actual, expected, checkpoint_v2=False, hash_table_shared_name=False):
    """Asserts that two `GraphDef`s are (mostly) the same: nodes compared by name.

    Raises:
      AssertionError: naming the first difference.
      TypeError: if either argument is not a `GraphDef`.
    """
    for graph_def in (actual, expected):
        if type(graph_def).__name__ != "GraphDef":
            raise TypeError(f"Expected tf.GraphDef, got {type(graph_def).__name__}")
    actual_nodes = {node.name: node for node in actual.node}
    expected_nodes = {node.name: node for node in expected.node}
    for name in sorted(actual_nodes.keys() | expected_nodes.keys()):
        if name not in expected_nodes or name not in actual_nodes:
            side = "expected" if name not in expected_nodes else "actual"
            raise AssertionError(f"Node named '{name}' is not in {side}")
        if actual_nodes[name] != expected_nodes[name]:
            raise AssertionError(
                f"Node named '{name}' differs:\nactual:\n{actual_nodes[name]}"
                f"\nexpected:\n{expected_nodes[name]}"
            )


class TestCase(absltest.TestCase):
    """Base class for tests that build and run graphs.

    Each test starts with a fresh default graph whose seed is TF's test seed, and can run
    it with `session()`, `cached_session()` or `evaluate()`.
    """

    def setUp(self):
        super().setUp()
        self._cached_session = None
        np.random.seed(DEFAULT_GRAPH_SEED)
        ops.reset_default_graph()
        random_seed.set_random_seed(DEFAULT_GRAPH_SEED)

    def tearDown(self):
        if self._cached_session is not None:
            self._cached_session.close()
            self._cached_session = None
        super().tearDown()

    def get_temp_dir(self):
        """A temporary directory of this test (removed after it)."""
        path = tempfile.mkdtemp(dir=_temp_root())
        self.addCleanup(shutil.rmtree, path, ignore_errors=True)
        return path

    @contextlib.contextmanager
    def session(self, graph=None, config=None, use_gpu=True, force_gpu=False):
        """A new `Session` on `graph` (default: the default graph), default while open."""
        graph = graph or ops.get_default_graph()
        with Session(graph=graph, config=config) as sess:
            with graph.as_default(), sess.as_default():
                yield sess

    @contextlib.contextmanager
    def cached_session(self, graph=None, config=None, use_gpu=True, force_gpu=False):
        """The same `Session` on each call within one test, default while open."""
        graph = graph or ops.get_default_graph()
        if self._cached_session is None or self._cached_session.graph is not graph:
            if self._cached_session is not None:
                self._cached_session.close()
            self._cached_session = Session(graph=graph, config=config)
        with graph.as_default(), self._cached_session.as_default():
            yield self._cached_session

    def test_session(self, graph=None, config=None, use_gpu=True, force_gpu=False):
        """DEPRECATED: `cached_session()` (or `session(graph)` for another graph)."""
        if self.id().endswith(".test_session"):
            # unittest collects this helper as a test (TF skips it the same way).
            self.skipTest("test_session is the name of a helper, not a test")
        if graph is None:
            return self.cached_session(config=config)
        return self.session(graph, config)

    test_session.__test__ = False  # a helper, not a test, for pytest

    def evaluate(self, tensors):
        """Runs `tensors` (any nesting) in the default session, or the cached one."""
        sess = get_default_session()
        if sess is not None:
            return sess.run(tensors)
        with self.cached_session() as sess:
            return sess.run(tensors)

    def checkedThread(self, target, args=None, kwargs=None):
        """A thread running `target` whose exception `join()` re-raises in the test."""
        return _CheckedThread(self, target, args, kwargs)

    # -- assertions -----------------------------------------------------------------------

    def assertAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):
        """Asserts that two structures of arrays (or tensors) have near values."""
        self._assert_structure(a, b, lambda x, y, path: _close(x, y, rtol, atol, path, msg))

    def assertAllCloseAccordingToType(
        self,
        a,
        b,
        rtol=1e-6,
        atol=1e-6,
        float_rtol=1e-6,
        float_atol=1e-6,
        half_rtol=1e-3,
        half_atol=1e-3,
        bfloat16_rtol=1e-2,
        bfloat16_atol=1e-2,
    ):
        """`assertAllClose` with tolerances loosened for the least precise float dtype."""
        a, b = self._value(a), self._value(b)
        kinds = {np.asarray(a).dtype.type, np.asarray(b).dtype.type}
        if np.float32 in kinds or np.complex64 in kinds:
            rtol, atol = max(rtol, float_rtol), max(atol, float_atol)
        if np.float16 in kinds:
            rtol, atol = max(rtol, half_rtol), max(atol, half_atol)
        if dtypes.bfloat16.as_numpy_dtype in kinds:
            rtol, atol = max(rtol, bfloat16_rtol), max(atol, bfloat16_atol)
        self.assertAllClose(a, b, rtol=rtol, atol=atol)

    def assertNotAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):
        """Asserts that two arrays (or tensors) do not have near values."""
        try:
            self.assertAllClose(a, b, rtol=rtol, atol=atol)
        except AssertionError:
            return
        raise AssertionError(msg or "The two values are close at all elements")

    def assertAllEqual(self, a, b, msg=None):
        """Asserts that two arrays (or tensors) have the same shape and values."""
        a, b = np.asarray(self._value(a)), np.asarray(self._value(b))
        _same_shape(a, b, msg)
        np.testing.assert_array_equal(a, b, err_msg=msg or "")

    def assertNotAllEqual(self, a, b, msg=None):
        """Asserts that two arrays (or tensors) differ in at least one element."""
        a, b = np.asarray(self._value(a)), np.asarray(self._value(b))
        if a.shape == b.shape and np.array_equal(a, b):
            raise AssertionError(msg or f"Expected unequal values, got {a}")

    def assertAllGreater(self, a, comparison_target):
        """Asserts that every element of `a` is greater than `comparison_target`."""
        self._assert_all(a, lambda x: x > comparison_target, f"> {comparison_target}")

    def assertAllLess(self, a, comparison_target):
        """Asserts that every element of `a` is less than `comparison_target`."""
        self._assert_all(a, lambda x: x < comparison_target, f"< {comparison_target}")

    def assertAllGreaterEqual(self, a, comparison_target):
        """Asserts that every element of `a` is at least `comparison_target`."""
        self._assert_all(a, lambda x: x >= comparison_target, f">= {comparison_target}")

    def assertAllLessEqual(self, a, comparison_target):
        """Asserts that every element of `a` is at most `comparison_target`."""
        self._assert_all(a, lambda x: x <= comparison_target, f"<= {comparison_target}")

    def assertAllInRange(
        self, target, lower_bound, upper_bound, open_lower_bound=False, open_upper_bound=False
    ):
        """Asserts that every element of `target` lies in the range (closed by default)."""
        above = np.greater if open_lower_bound else np.greater_equal
        below = np.less if open_upper_bound else np.less_equal
        within = lambda x: above(x, lower_bound) & below(x, upper_bound)
        self._assert_all(target, within, f"in range [{lower_bound}, {upper_bound}]")

    def assertAllInSet(self, target, expected_set):
        """Asserts that every element of `target` is in `expected_set`."""
        values = np.asarray(self._value(target)).ravel()
        extra = set(values.tolist()) - set(expected_set)
        if extra:
            raise AssertionError(f"{sorted(extra)} are not in {set(expected_set)}")

    def assertDTypeEqual(self, target, expected_dtype):
        """Asserts that `target`'s elements all have the numpy dtype `expected_dtype`."""
        expected = dtypes.as_dtype(expected_dtype).as_numpy_dtype
        self.assertEqual(np.asarray(self._value(target)).dtype, expected)

    def assertNear(self, f1, f2, err, msg=None):
        """Asserts that two floats are within `err` of each other."""
        if not abs(f1 - f2) <= err:
            raise AssertionError(msg or f"{f1} != {f2} +/- {err}")

    def assertArrayNear(self, farray1, farray2, err, msg=None):
        """Asserts that two float lists have the same length and near elements."""
        self.assertEqual(len(farray1), len(farray2), msg)
        for f1, f2 in zip(farray1, farray2):
            self.assertNear(float(f1), float(f2), err, msg)

    def assertNDArrayNear(self, ndarray1, ndarray2, err, msg=None):
        """Asserts that two numpy arrays have near values (`np.allclose` with `atol=err`)."""
        if not np.allclose(ndarray1, ndarray2, atol=err):
            raise AssertionError(msg or f"{ndarray1} and {ndarray2} differ by more than {err}")

    def assertShapeEqual(self, np_array, tf_tensor, msg=None):
        """Asserts that a numpy array and a tensor have the same static shape."""
        if not isinstance(tf_tensor, Tensor):
            raise TypeError("tf_tensor must be a Tensor")
        self.assertAllEqual(np.shape(np_array), tf_tensor.get_shape().as_list(), msg=msg)

    def assertDeviceEqual(self, device1, device2, msg=None):
        """Asserts that two device strings name the same device."""
        from device.spec import DeviceSpec

        self.assertEqual(
            DeviceSpec.from_string(device1 or "").to_string(),
            DeviceSpec.from_string(device2 or "").to_string(),
            msg or f"Devices {device1} and {device2} are not equal",
        )

    def assertProtoEquals(self, expected_message_maybe_ascii, message, msg=None):
        """Asserts that `message` equals a proto given as a message or its text format."""
        expected = expected_message_maybe_ascii
        if isinstance(expected, str):
            expected = text_format.Parse(expected, type(message)())
        if expected != message:
            raise AssertionError(msg or f"Protos differ:\n{message}\nexpected:\n{expected}")

    def assertStartsWith(self, actual, expected_start, msg=None):
        """Asserts that `actual` starts with `expected_start`."""
        if not actual.startswith(expected_start):
            raise AssertionError(msg or f"{actual!r} does not start with {expected_start!r}")

    @contextlib.contextmanager
    def assertRaisesWithPredicateMatch(self, exception_type, expected_err_re_or_predicate):
        """A context that must raise `exception_type` matching a regex or predicate."""
        predicate = expected_err_re_or_predicate
        if not callable(predicate):
            predicate = lambda e: re.search(expected_err_re_or_predicate, _error_text(e))
        try:
            yield
        except Exception as e:
            if not isinstance(e, exception_type) or not predicate(e):
                raise AssertionError(f"Exception of type {type(e)}: {e}") from e
        else:
            self.fail(f"{exception_type.__name__} not raised")

    def assertRaisesOpError(self, expected_err_re_or_predicate):
        """A context that must raise a `tf.errors.OpError` matching a regex or predicate."""
        return self.assertRaisesWithPredicateMatch(errors.OpError, expected_err_re_or_predicate)

    # -- helpers --------------------------------------------------------------------------

    def _value(self, value):
        needs_run = isinstance(value, Tensor) or hasattr(value, "_as_graph_element")
        return self.evaluate(value) if needs_run else value

    def _assert_structure(self, a, b, check, path="value"):
        a, b = self._value(a), self._value(b)
        if isinstance(a, collections.abc.Mapping) or isinstance(b, collections.abc.Mapping):
            if set(a) != set(b):
                raise AssertionError(f"{path}: keys {sorted(a)} != {sorted(b)}")
            for key in a:
                self._assert_structure(a[key], b[key], check, f"{path}[{key!r}]")
        elif _is_sequence(a) and _is_sequence(b) and not _is_numeric(a, b):
            if len(a) != len(b):
                raise AssertionError(f"{path}: lengths {len(a)} != {len(b)}")
            for i, (x, y) in enumerate(zip(a, b)):
                self._assert_structure(x, y, check, f"{path}[{i}]")
        else:
            check(a, b, path)

    def _assert_all(self, a, condition, what):
        values = np.asarray(self._value(a))
        bad = ~np.asarray(condition(values), bool)
        if np.any(bad):
            raise AssertionError(f"{values[bad].tolist()} are not all {what}")


class _CheckedThread:
    """A thread whose exception is re-raised by `join()` in the test's thread."""

    def __init__(self, testcase, target, args=None, kwargs=None):
        self._testcase = testcase
        self._target, self._args, self._kwargs = target, args or (), kwargs or {}
        self._exception = None
        self._thread = threading.Thread(target=self._protected_run)

    def _protected_run(self):
        try:
            self._target(*self._args, **self._kwargs)
        except Exception as e:  # re-raised by join() in the test's thread
            self._exception = e

    def start(self):
        self._thread.start()

    def join(self):
        self._thread.join()
        if self._exception is not None:
            self._testcase.fail(f"Error in checkedThread: {self._exception}")

    def is_alive(self):
        return self._thread.is_alive()


class Benchmark:
    """Base class for benchmarks: `run_op_benchmark` times ops, `report_benchmark` logs.

    Example:
      >>> class MatmulBenchmark(tf.test.Benchmark):
      ...     def benchmarkMatmul(self):
      ...         with tf.Session() as sess:
      ...             self.run_op_benchmark(sess, tf.matmul(a, b), min_iters=20)
    """

    def __init__(self):
        self.reports = []

    def report_benchmark(
        self,
        iters=None,
        cpu_time=None,
        wall_time=None,
        throughput=None,
        extras=None,
        name=None,
        metrics=None,
    ):
        """Records (and prints) one benchmark's results."""
        entry = {
            "name": name or type(self).__name__,
            "iters": iters,
            "wall_time": wall_time,
            "cpu_time": cpu_time,
            "throughput": throughput,
            "extras": extras or {},
            "metrics": metrics or [],
        }
        self.reports.append(entry)
        print(f"benchmark {entry['name']}: iters {iters}, wall_time {wall_time}")

    def run_op_benchmark(
        self,
        sess,
        op_or_tensor,
        feed_dict=None,
        burn_iters=2,
        min_iters=10,
        store_trace=False,
        store_memory_usage=True,
        name=None,
        extras=None,
        mbs=0,
    ):
        """Runs `op_or_tensor` `burn_iters` times, then times `min_iters` runs.

        Returns:
          A dict with `iters`, `wall_time` (median seconds per run), `extras` and `name`.
        """
        for _ in range(burn_iters):
            sess.run(op_or_tensor, feed_dict=feed_dict)
        deltas = []
        for _ in range(min_iters):
            start = time.perf_counter()
            sess.run(op_or_tensor, feed_dict=feed_dict)
            deltas.append(time.perf_counter() - start)
        wall_time = float(np.median(deltas))
        throughput = mbs / wall_time if mbs else None
        result = {
            "iters": min_iters,
            "wall_time": wall_time,
            "extras": extras or {},
            "name": name,
            "throughput": throughput,
        }
        self.report_benchmark(min_iters, None, wall_time, throughput, extras, name)
        return result

    def evaluate(self, tensors):
        """Runs `tensors` in the default session."""
        return get_default_session().run(tensors)


class StubOutForTesting:
    """Replaces attributes for a test and puts the originals back (`UnsetAll`)."""

    def __init__(self):
        self._stubs = []

    def Set(self, parent, child_name, new_child):
        """Replaces `parent.child_name` with `new_child` until `UnsetAll`."""
        self._stubs.append((parent, child_name, getattr(parent, child_name)))
        setattr(parent, child_name, new_child)

    SmartSet = Set

    def UnsetAll(self):
        """Restores every replaced attribute, most recent first."""
        for parent, child_name, old_child in reversed(self._stubs):
            setattr(parent, child_name, old_child)
        self._stubs = []

    SmartUnsetAll = UnsetAll
    CleanUp = UnsetAll

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.UnsetAll()


_temp = {}


def _temp_root():
    if "root" not in _temp:
        _temp["root"] = tempfile.mkdtemp(prefix="flowgraph_test_")
        atexit.register(shutil.rmtree, _temp["root"], True)
    return _temp["root"]


def _gpus(platforms):
    found = []
    for name in platforms:
        try:
            found += jax.devices(name)
        except RuntimeError:  # jax has no backend for that platform here
            pass
    return found


def _error_text(e):
    return e.message if isinstance(e, errors.OpError) else str(e)


def _is_sequence(x):
    return isinstance(x, (list, tuple))


def _is_numeric(a, b):
    """Lists of numbers compare as arrays (with a shape check), not element by element."""
    try:
        return all(np.asarray(x).dtype != object for x in (a, b))
    except ValueError:  # ragged
        return False


def _same_shape(a, b, msg):
    if a.shape != b.shape:
        raise AssertionError(f"{msg + ': ' if msg else ''}shape mismatch: {a.shape} vs {b.shape}")


def _close(a, b, rtol, atol, path, msg):
    a, b = np.asarray(a), np.asarray(b)
    _same_shape(a, b, msg or path)
    if a.dtype.kind in "OSU" or b.dtype.kind in "OSU":
        np.testing.assert_array_equal(a, b, err_msg=msg or path)
    else:
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=msg or path)


def create_local_cluster(num_workers, num_ps, protocol="grpc", worker_config=None, ps_config=None):
    """Creates and starts local servers and returns the cluster.

    The servers run in this process on free 127.0.0.1 ports; a session on
    `workers[i].target` places ops on `/job:worker/task:i` and `/job:ps/task:j`.

    Example:
      >>> workers, ps = tf.test.create_local_cluster(num_workers=2, num_ps=1)
      >>> with tf.device("/job:ps/task:0"):
      ...     v = tf.Variable(1.0)
      >>> with tf.Session(workers[0].target) as sess: ...

    Args:
      num_workers: the number of worker servers to start.
      num_ps: the number of ps servers to start.
      protocol: the communication protocol ("grpc").
      worker_config: a `tf.ConfigProto`, the default config of the workers' sessions.
      ps_config: a `tf.ConfigProto`, the default config of the ps servers' sessions.

    Returns:
      A tuple `(worker_servers, ps_servers)` of `tf.train.Server` lists.
    """
    from flowgraph.distributed.launch import free_ports
    from flowgraph.train.server_lib import ClusterSpec, Server

    ports = free_ports(num_workers + num_ps)
    cluster = ClusterSpec(
        {
            "worker": [f"127.0.0.1:{p}" for p in ports[:num_workers]],
            "ps": [f"127.0.0.1:{p}" for p in ports[num_workers:]],
        }
    )
    workers = [
        Server(cluster, "worker", i, protocol=protocol, config=worker_config)
        for i in range(num_workers)
    ]
    ps_servers = [
        Server(cluster, "ps", i, protocol=protocol, config=ps_config) for i in range(num_ps)
    ]
    return workers, ps_servers
