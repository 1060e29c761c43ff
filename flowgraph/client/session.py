"""Sessions: `Session.run` plans a graph once per (fetches, feeds) and then only dispatches."""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
import weakref
from typing import Any, Callable

import jax
import numpy as np

from device import PlacementOptions, Store, callbacks, make_plan, trace
from device.context import NO_CONTEXT, RunContext
from device.explain import Explanation, explain_plan
from device.place import (
    apply_cpu_device_count,
    apply_gpu_options,
    device_mapping,
    device_name,
    session_devices,
)
from flowgraph.client import placement_logging
from flowgraph.client.config import ConfigProto, RunOptions
from flowgraph.framework import dtypes
from flowgraph.framework.indexed_slices import IndexedSlices, IndexedSlicesValue
from flowgraph.framework.ops import (
    Graph,
    Operation,
    Tensor,
    _remove_last,
    encloses,
    get_default_graph,
)
from flowgraph.framework.ragged_tensor import RaggedTensor, RaggedTensorValue
from flowgraph.framework.sparse_tensor import SparseTensor, SparseTensorValue
from flowgraph.framework.traceback_util import api_boundary, at_boundary
from flowgraph.ops import cond_branch_values
from flowgraph.ops.constant_op import to_numpy
from kernels import errors


class _FeedSpec:
    """What a fed tensor accepts: its dtype and static shape.

    `check_shape=False` feeds as TF's C++ `Session::Run` does (TF Serving's): no check of the
    value's shape against the tensor's static shape; the graph runs with the fed shape and an
    op that needs another raises its own InvalidArgumentError.
    """

    __slots__ = ("tensor", "dtype", "shape", "is_string", "scalar")

    def __init__(self, tensor: Tensor, check_shape: bool = True):
        self.tensor = tensor
        self.dtype = tensor.dtype.base_dtype.numpy_dtype
        self.shape = tensor._shape_tuple if check_shape else None
        self.is_string = tensor.dtype.base_dtype == dtypes.string
        # The numpy scalar type of the dtype: such a value needs no conversion.
        self.scalar = self.dtype.type if self.dtype.kind in "biufc" else None

    def convert(self, value) -> Any:
        """`value` as the array fed: checked, converted only where its dtype differs."""
        cls = type(value)
        if cls is self.scalar or (
            (cls is np.ndarray or isinstance(value, np.generic))
            and value.dtype == self.dtype
            and not self.is_string
        ):  # an object array may hold str: those become bytes
            array = value  # the common case: nothing to convert
        elif isinstance(value, jax.Array) and value.dtype == self.dtype:
            array = value  # already on a device: no round trip through the host
        elif self.is_string:
            array = to_numpy(value, dtypes.string)
        else:
            if isinstance(value, (Tensor, Operation)):
                raise TypeError(
                    "The value of a feed cannot be a tf.Tensor object. Acceptable feed values "
                    "include Python scalars, strings, lists, numpy ndarrays, or TensorHandles. "
                    f"For reference, the tensor object was {value} which was passed to the "
                    f"argument `feed_dict` with key {self.tensor}."
                )
            try:
                array = np.asarray(value, dtype=self.dtype)
            except OverflowError:  # numpy 2 refuses out-of-range Python ints
                array = None
            except (TypeError, ValueError) as e:  # numpy's error class, as TF raises it
                raise type(e)(
                    f"Cannot feed value {value!r} to Tensor "
                    f"'{self.tensor.name}' of dtype {self.dtype.name}: {e}"
                ) from None
            if array is None or (type(value) is int and array != value):
                raise TypeError(
                    f"Type of feed value {value} with type {type(value)} is not compatible "
                    f"with Tensor type {self.tensor.dtype.name}. Try explicitly setting the "
                    "type of the feed tensor to a larger type (e.g. int64)."
                )
        shape = self.shape
        if array.shape != shape and shape is not None and not _fits(array.shape, shape):
            raise ValueError(  # TF 2.21's words (TF 1.15 quoted the name and a '(?, 2)')
                f"Cannot feed value of shape {tuple(array.shape)} for Tensor "
                f"{self.tensor.name}, which has shape {_shape_v2(self.tensor.shape)}"
            )
        return array


def _shape_v2(shape) -> str:
    """TF 2.x's str(TensorShape): (None, 2), (3,), <unknown>."""
    dims = shape.as_list() if shape.ndims is not None else None
    if dims is None:
        return "<unknown>"
    if len(dims) == 1:
        return f"({dims[0]},)"
    return "(" + ", ".join(str(d) for d in dims) + ")"


def _fits(shape: tuple, static: tuple) -> bool:
    """Whether an array of `shape` fits a tensor of (partially known) `static` shape."""
    return len(shape) == len(static) and all(d is None or d == s for d, s in zip(static, shape))


class _Run:
    """A cached run: the plan plus how to convert feeds and rebuild the fetch structure."""

    __slots__ = (
        "plan", "feeds", "build", "epoch", "fed_fetches", "sparse_feeds", "context", "dead",
        "remote", "plain",
    )  # fmt: skip

    def __init__(
        self,
        plan,
        feeds: list[_FeedSpec],
        build: Callable,
        epoch: int,
        sparse_feeds: tuple | None = None,
        context: RunContext = NO_CONTEXT,
        dead: list | None = None,
    ):
        self.plan = plan
        self.remote = getattr(plan, "remote", False)  # the master runs it: only the deadline
        self.dead = dead  # fetches computed from cond branch values: `dead_checks`
        self.context = context  # the session's: its closing cancels the run's loops
        self.feeds = feeds
        self.build = build
        self.epoch = epoch
        self.sparse_feeds = sparse_feeds  # per feed key: whether it is a SparseTensor (3 feeds)
        # A fetched feed is the fed value itself; TF hands back a copy, never the caller's array.
        self.fed_fetches = tuple(
            i for i, slot in enumerate(plan.fetch_slots) if slot < plan.n_feeds
        )
        # Most runs need none of that (dense feeds, a local plan, fetches it computes):
        # without options they take `plain(feed_values)`, the least work per step.
        self.plain = None
        if not (sparse_feeds or self.remote or dead or self.fed_fetches):
            self.plain = _plain_run(plan, feeds, build, context)

    def __call__(self, feed_values, options=None, run_metadata=None) -> Any:
        if options is None and self.plain is not None:
            return self.plain(feed_values)
        if self.sparse_feeds is not None:
            feed_values = _expand_sparse_feeds(self.sparse_feeds, feed_values)
        values = [spec.convert(v) for spec, v in zip(self.feeds, feed_values)]
        if self.remote:
            fetched = self.plan.run(values, options)
        elif options is None:
            fetched = self.plan.run(values, self.context)
        else:
            ctx = _run_context(self.plan, options, run_metadata, self.context.cancelled)
            fetched = self.plan.run(values, ctx)
            _fill_metadata(self.plan, options, run_metadata, ctx)
        for i in self.fed_fetches:
            fetched[i] = np.array(fetched[i])
        try:
            values = _to_numpy(fetched)
        except Exception as e:
            _raise_host_error(e)
            raise
        if self.dead:  # their flags were fetched last
            flags = sum(len(f) for _, f in self.dead)
            cond_branch_values.raise_if_dead(self.dead, values[len(values) - flags :])
        return self.build(values)


def _plain_run(plan, feeds: list[_FeedSpec], build: Callable, context: RunContext) -> Callable:
    """`run(feed_values)` for a run with dense feeds and no options, on a local plan that
    fetches only values it computes: what every step does, with the least work."""
    run, convert = plan.run, _FeedSpec.convert
    single = build is _only_value  # one tensor fetched, as itself

    def plain(feed_values):
        fetched = run(list(map(convert, feeds, feed_values)) if feeds else [], context)
        try:
            return _writable(fetched[0]) if single else build(_to_numpy(fetched))
        except Exception as e:
            _raise_host_error(e)
            raise

    return plain


def _raise_host_error(e: Exception) -> None:
    """Raises the host op's error of which `e`, raised reading a fetched value, is jax's
    report (dispatched asynchronously, as on a GPU, a host op's error lands there)."""
    found = callbacks.raised(e)
    if found is not None:
        raise found from None


def _expand_sparse_feeds(sparse: tuple, feed_values) -> list:
    """Feed values with each sparse one split into its (indices, values, dense_shape)."""
    out = []
    for is_sparse, value in zip(sparse, feed_values):
        if not is_sparse:
            out.append(value)
        elif isinstance(value, SparseTensor):
            raise TypeError("The value of a feed cannot be a tf.SparseTensor object.")
        elif isinstance(value, SparseTensorValue) or (isinstance(value, tuple) and len(value) == 3):
            out.extend(value[:is_sparse])  # 2: the dense shape is a constant, not fed
        else:
            raise TypeError(
                f"Cannot feed {type(value).__name__} to a SparseTensor: feed a "
                "tf.SparseTensorValue or an (indices, values, dense_shape) tuple."
            )
    return out


def _sparse_feed_count(key) -> int:
    """0 for a dense feed key; else how many of a SparseTensor's tensors are fed (a constant
    dense shape is not: ops need it when the graph is compiled)."""
    if not isinstance(key, SparseTensor):
        return 0
    return 2 if key.dense_shape.op.type == "Const" else 3


def _to_numpy(values: list) -> list:
    """Fetched values as writable numpy arrays (numpy scalars for 0-d), as TF returns them."""
    if len(values) > 1 and _copies_pay():
        for v in values:  # start every device-to-host copy before waiting on any
            if isinstance(v, jax.Array):
                v.copy_to_host_async()
    return [_writable(v) for v in values]


@functools.cache
def _copies_pay() -> bool:
    # On the CPU the host reads the arrays where they are: an early copy is ~1 us wasted.
    return jax.default_backend() != "cpu"


def _writable(v):
    v = np.asarray(v)
    if v.ndim == 0:
        return v[()]
    return v if v.flags.writeable else v.copy()


# Local sessions, for `Session.reset("")` (TF resets every in-process session's containers).
_LOCAL_SESSIONS: "weakref.WeakSet[BaseSession]" = weakref.WeakSet()


class BaseSession:
    """Runs graphs: holds plans, compiled segments and (later) variable values."""

    def __init__(
        self, target: str = "", graph: Graph | None = None, config: ConfigProto | None = None
    ):
        if config is not None and not isinstance(config, ConfigProto):
            raise TypeError(f"config must be a tf.ConfigProto, but got {type(config)}")
        if target not in ("", "local") and not target.startswith("grpc://"):
            raise errors.UnimplementedError(
                None, None, f"Session target {target!r}: only in-process and grpc:// sessions"
            )
        self._graph = graph or get_default_graph()
        self._config = config or ConfigProto()
        self._remote = None  # a grpc:// session: a client of that server's master
        if target.startswith("grpc://"):
            from flowgraph.distributed.remote import RemoteSession

            self._remote = RemoteSession(target, self._config)
        self._target = target
        self._closed = False
        self._stopped = False  # closed or cancelled: what `run` reads first (no call)
        self._cancelled = threading.Event()  # set on close (or reset): running loops stop
        self._context = RunContext(cancelled=self._cancelled)
        self._runs: dict[Any, _Run] = {}
        self._listed: dict[tuple, _Run] = {}  # a flat list of tensors and ops: its run
        self._segments: dict = {}
        self._placements: dict = {}  # the graph's placement, per graph version
        self._store = Store()  # this session's variable values and RNG keys
        self._lock = threading.Lock()
        self._placement = PlacementOptions(
            allow_soft_placement=self._config.allow_soft_placement,
            log_device_placement=self._config.log_device_placement
            or placement_logging.get_log_device_placement(),
            device_count=tuple(sorted(self._config.device_count.items())),
        )
        _start_devices(self._config, self._placement)
        if self._remote is None:
            _LOCAL_SESSIONS.add(self)
        self._timeout = None  # `operation_timeout_in_ms`: the deadline of every waiting op
        # False: feeds are not checked against their tensors' static shapes, as TF's C++
        # `Session::Run` (TF Serving's servables) does; Python's `run` checks (ValueError).
        self._check_feed_shapes = True
        if self._config.operation_timeout_in_ms > 0:
            self._timeout = RunOptions(timeout_in_ms=self._config.operation_timeout_in_ms)

    @staticmethod
    def reset(target: str, containers=None, config=None) -> None:
        """Resets resource containers on `target`, and closes all connected sessions.

        On a `grpc://` target the master closes its sessions and each task (of those
        `config.device_filters` keep) drops the resources of `containers`; with none named,
        the default container, which holds the variables, so they are uninitialized after.
        In process (`""`), every local session's containers are reset so.

        Args:
          target: the execution engine to connect to (`""` or `grpc://host:port`).
          containers: a list of resource container name strings, or None for the default.
          config: an optional `ConfigProto` (its `device_filters`).
        """
        if target.startswith("grpc://"):
            from flowgraph.distributed.remote import reset

            reset(target, containers, config)
            return
        for session in list(_LOCAL_SESSIONS):
            if isinstance(session, (Session, InteractiveSession)):
                session._store.reset(list(containers or ()))
                session._cancel()  # as TF's DirectSession reset, closes the session

    @property
    def graph(self) -> Graph:
        """The graph this session runs."""
        return self._graph

    @property
    def sess_str(self) -> str:
        return self._target

    def list_devices(self) -> list["_DeviceAttributes"]:
        """The devices this session can place ops on."""
        if self._remote is not None:
            return self._remote.list_devices()
        return [_DeviceAttributes(d) for d in session_devices(self._placement.device_count)]

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Runs the ops needed for `fetches` and returns their values.

        Args:
          fetches: a Tensor, Operation (value None), tensor or op name, or any nesting of
            lists, tuples, namedtuples and dicts of these.
          feed_dict: maps tensors (or their names) to values that replace them.
          options: a `RunOptions` proto.
          run_metadata: a `RunMetadata` proto.

        Returns:
          Values with the same structure as `fetches`: numpy arrays, numpy scalars, bytes.
        """
        # The API boundary written out (`api_boundary`'s wrapper costs every run ~0.3 us).
        try:
            if self._stopped:
                self._check_open()  # raises
            keys = tuple(feed_dict) if feed_dict else ()
            if isinstance(fetches, (Tensor, Operation)):  # the common case, hashed in C
                run = self._runs.get((fetches, keys))
                if run is None or run.epoch != self._graph._epoch:
                    run = self._cached(fetches, keys)
            elif type(fetches) is list:  # a training step's [train_op, loss]: no nested key
                try:
                    run = self._listed.get((keys, *fetches))
                except TypeError:  # an unhashable element (a nested list or dict)
                    run = None
                if run is None or run.epoch != self._graph._epoch:
                    run = self._cached(fetches, keys)
                    if all(isinstance(f, (Tensor, Operation)) for f in fetches):
                        self._listed[(keys, *fetches)] = run
            else:
                run = self._cached(fetches, keys)
            if options is None and self._timeout is None and run.plain is not None:
                return run.plain(feed_dict.values() if feed_dict else ())
            if self._timeout is not None and (options is None or options.timeout_in_ms <= 0):
                options = _with_timeout(options, self._timeout)
            return run(feed_dict.values() if feed_dict else (), options, run_metadata)
        except Exception as e:
            raise at_boundary(e)  # noqa: B904  (its own cause and context stay as they were)

    def explain(self, fetches, feed_dict=None) -> Explanation:
        """How `run(fetches, feed_dict)` executes: the pruned ops and their devices, the
        segments (kind, device, ops, inputs, outputs, transfers, donated variables), the
        time spent planning and on first calls, what came from caches, the input shapes each
        segment was compiled for and whether the shapes in `feed_dict` compile it again (a
        new batch size compiles once). Runs nothing.

        Example:
          >>> print(sess.explain(loss, {x: batch}))      # or display it in Jupyter
        """
        run, hit = self._cached_run(fetches, tuple(feed_dict) if feed_dict else ())
        shapes = [np.shape(v) for v in feed_dict.values()] if feed_dict else []
        return explain_plan(run.plan, plan_cache_hit=hit, feed_shapes=shapes)

    def _cached_run(self, fetches, feed_keys: tuple) -> tuple["_Run", bool]:
        """The cached run of (fetches, feed keys), planned again if the graph changed;
        and whether it came from the cache."""
        key = _run_key(fetches, feed_keys)
        run = None if key is None else self._runs.get(key)
        hit = run is not None and run.epoch == self._graph._epoch
        return self._cached(fetches, feed_keys), hit

    def _cached(self, fetches, feed_keys: tuple) -> "_Run":
        """The cached run of (fetches, feed keys), planned again if the graph changed."""
        key = _run_key(fetches, feed_keys)
        run = None if key is None else self._runs.get(key)
        if run is not None and run.epoch == self._graph._epoch:
            return run
        run = self._make_run(fetches, feed_keys)
        if key is not None:
            self._runs[key] = run
        return run

    def make_callable(self, fetches, feed_list=None, accept_options=False) -> Callable:
        """A function that runs `fetches` with positional values for `feed_list`."""
        feed_keys = tuple(feed_list or ())
        run = self._make_run(fetches, feed_keys)

        @api_boundary
        def call(*args, options=None, run_metadata=None):
            self._check_open()
            if len(args) != len(feed_keys):
                raise errors.InvalidArgumentError(
                    None, None, f"Expected {len(feed_keys)} feed values, but got {len(args)}"
                )
            return run(args, options, run_metadata)

        if not accept_options:
            return lambda *args: call(*args)
        return call

    def _make_run(self, fetches, feed_keys) -> _Run:
        graph = self._graph
        if graph.version == 0:
            raise RuntimeError(
                "The Session graph is empty. Add operations to the graph before calling run()."
            )
        with self._lock:
            leaves, build = _flatten(fetches, graph)
            sparse = tuple(_sparse_feed_count(k) for k in feed_keys)
            feed_tensors = [
                t
                for k in feed_keys
                for t in (
                    (k.indices, k.values, k.dense_shape)[: _sparse_feed_count(k)]
                    if isinstance(k, SparseTensor)
                    else (_feed_tensor(k, graph),)
                )
            ]
            feeds = [_FeedSpec(t, self._check_feed_shapes) for t in feed_tensors]
            tensors = list(dict.fromkeys(x for x in leaves if isinstance(x, Tensor)))
            targets = [x.name for x in leaves if isinstance(x, Operation)]
            dead = cond_branch_values.dead_checks(graph, tensors, feed_tensors)
            flags = [f for _, fs in dead for f in fs]
            plan = self._plan(graph, tensors + flags, feeds, targets)
            return _Run(
                plan,
                feeds,
                _rebuilder(leaves, tensors, build),
                graph._epoch,
                sparse if any(sparse) else None,
                self._context,
                dead,
            )

    def _plan(self, graph: Graph, tensors: list[Tensor], feeds: list[_FeedSpec], targets):
        """The plan of one run: compiled here, or a step of the remote master's."""
        if self._remote is not None:
            self._remote.sync(graph)
            return self._remote.plan(
                [t.name for t in tensors], [s.tensor.name for s in feeds], targets
            )
        return make_plan(
            graph._as_ir(),
            fetches=[(t.op.name, t.value_index) for t in tensors],
            feeds=[(s.tensor.op.name, s.tensor.value_index) for s in feeds],
            targets=targets,
            options=self._placement,
            cache=self._segments,
            placements=self._placements,
            store=self._store,
        )

    def close(self) -> None:
        """Frees the session's plans and state; running it afterwards raises RuntimeError.

        Runs in progress in other threads end with `CancelledError`: ops waiting on queues
        and loops with no bound (they poll the session between chunks of steps)."""
        if self._remote is not None and not self._closed:
            self._remote.close()
        self._closed = True
        self._cancel()
        self._runs.clear()
        self._listed.clear()
        self._segments.clear()
        self._store = Store()

    def _cancel(self) -> None:
        """Cancels the runs in progress and refuses new ones, as TF's runtime session
        closes: loops stop and queue waits wake with CancelledError."""
        self._stopped = True
        self._cancelled.set()
        self._store.close()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        if self._cancelled.is_set():  # reset: TF's runtime closed the session
            raise errors.CancelledError(None, None, "Session has been closed.")

    @contextlib.contextmanager
    def as_default(self):
        """Makes this the default session (for `Tensor.eval`, `Operation.run`)."""
        _sessions.stack.append(self)
        try:
            yield self
        finally:
            _remove_last(_sessions.stack, self)  # an InteractiveSession may close out of order

    def __enter__(self):
        self._exit_stack = contextlib.ExitStack()
        self._exit_stack.enter_context(self._graph.as_default())
        self._exit_stack.enter_context(self.as_default())
        return self

    def __exit__(self, *exc):
        self._exit_stack.close()
        self.close()
        return False


class Session(BaseSession):
    """A TensorFlow session: runs a graph's ops on jax devices.

    Example:
      >>> a = tf.placeholder(tf.float32); b = a * 2
      >>> with tf.Session() as sess:
      ...     sess.run(b, {a: 3.0})
      6.0
    """


class InteractiveSession(BaseSession):
    """A session that installs itself as the default on construction (for notebooks)."""

    def __init__(self, target: str = "", graph: Graph | None = None, config=None):
        super().__init__(target, graph, config)
        self._defaults = contextlib.ExitStack()
        self._defaults.enter_context(self.as_default())
        if graph is not None:  # as in TF1, an explicit graph becomes the default graph too
            self._defaults.enter_context(graph.as_default())

    def close(self) -> None:
        super().close()
        self._defaults.close()


def _with_timeout(options: RunOptions | None, timeout: RunOptions) -> RunOptions:
    """`options` with the session's `operation_timeout_in_ms` (TF's default deadline)."""
    if options is None:
        return timeout
    merged = RunOptions()
    merged.CopyFrom(options)
    merged.timeout_in_ms = timeout.timeout_in_ms
    return merged


def _run_context(plan, options, run_metadata, cancelled: threading.Event) -> RunContext:
    """What a run needs from `options`: the deadline of its waiting ops
    (`timeout_in_ms`) and, for a traced run with `run_metadata`, a step recorder; and
    the session's `cancelled` event."""
    tracing = run_metadata is not None and options.trace_level
    recorder = trace.StepRecorder(plan) if tracing else None
    return RunContext.with_timeout(options.timeout_in_ms / 1000, recorder, cancelled)


def _fill_metadata(plan, options, run_metadata, ctx: RunContext) -> None:
    """Gives `run_metadata` what `options` asked for: step stats (any `trace_level`) and
    each segment's graph (`output_partition_graphs` or a trace)."""
    if run_metadata is None or not (options.trace_level or options.output_partition_graphs):
        return
    from flowgraph.framework import graph_def

    if ctx.recorder is not None:
        run_metadata.step_stats.CopyFrom(ctx.recorder.stats)
    del run_metadata.partition_graphs[:]
    run_metadata.partition_graphs.extend(trace.partition_graphs(plan, graph_def.ir_node_def))


def _start_devices(config: ConfigProto, placement: PlacementOptions) -> None:
    """Applies `device_count` and `gpu_options` (a warning if jax started too early) and,
    when placement is logged, prints the device mapping as TF does when a session starts."""
    cpus = dict(placement.device_count).get("CPU")
    if cpus:
        apply_cpu_device_count(cpus)
    if config.HasField("gpu_options"):
        gpu = config.gpu_options
        apply_gpu_options(
            gpu.per_process_gpu_memory_fraction, gpu.allow_growth, gpu.visible_device_list
        )
    if placement.log_device_placement:
        print(device_mapping(session_devices(placement.device_count)), file=sys.stderr)


class _DeviceAttributes:
    """A device as `Session.list_devices` describes it."""

    def __init__(self, device: jax.Device):
        self.name = device_name(device)
        self.device_type = self.name.rsplit(":", 2)[-2]
        stats = device.memory_stats() if hasattr(device, "memory_stats") else None
        self.memory_limit_bytes = (stats or {}).get("bytes_limit", 0)
        self.incarnation = id(device)


class _SessionStack(threading.local):
    def __init__(self):
        self.stack: list[BaseSession] = []


_sessions = _SessionStack()


def get_default_session() -> BaseSession | None:
    """The innermost session made default in this thread, or None."""
    stack = _sessions.stack
    return stack[-1] if stack else None


# -- fetch structures -------------------------------------------------------------------


def _rebuilder(leaves: list, tensors: list[Tensor], build: Callable) -> Callable:
    """Maps the plan's fetched values (one per distinct tensor) back onto `leaves`."""
    if len(leaves) == 1 and build is next:
        return _only_value if tensors else (lambda values: None)
    position = {t: i for i, t in enumerate(tensors)}
    slots = [position.get(x) for x in leaves]

    def rebuild(values):
        return build(iter([None if s is None else values[s] for s in slots]))

    return rebuild


def _only_value(values: list):
    return values[0]


def _run_key(fetches, feed_keys: tuple) -> tuple | None:
    """The key of a run's plan in the session's cache; None for an unhashable fetch (the
    slow path names it)."""
    if isinstance(fetches, (Tensor, Operation)):
        return fetches, feed_keys
    try:
        return _key(fetches), feed_keys
    except TypeError:
        return None


def _key(fetches) -> Any:
    """A hashable key for a (possibly nested) fetch structure."""
    if isinstance(fetches, list):
        return ("l",) + tuple(_key(f) for f in fetches)
    if isinstance(fetches, tuple):
        return (type(fetches),) + tuple(_key(f) for f in fetches)
    if isinstance(fetches, dict):
        return (type(fetches),) + tuple((k, _key(v)) for k, v in fetches.items())
    hash(fetches)
    return fetches


def _flatten(fetches, graph: Graph) -> tuple[list, Callable]:
    """The leaves of `fetches` (Tensors/Operations) and a function rebuilding the nesting."""
    if isinstance(fetches, (list, tuple)) and not isinstance(fetches, str):
        parts = [_flatten(f, graph) for f in fetches]
        leaves = [leaf for p in parts for leaf in p[0]]
        make = _sequence_maker(fetches)
        return leaves, lambda it: make([b(it) for _, b in parts])
    if isinstance(fetches, dict):
        keys = list(fetches)
        parts = [_flatten(fetches[k], graph) for k in keys]
        leaves = [leaf for p in parts for leaf in p[0]]
        cls = type(fetches)
        return leaves, lambda it: _make_dict(cls, keys, [b(it) for _, b in parts])
    if isinstance(fetches, IndexedSlices):  # values, indices (and dense_shape) as a value
        parts = [fetches.values, fetches.indices]
        if fetches.dense_shape is not None:
            parts.append(fetches.dense_shape)
        return parts, lambda it: IndexedSlicesValue(
            next(it), next(it), next(it) if fetches.dense_shape is not None else None
        )
    if isinstance(fetches, SparseTensor):  # fetched as its three tensors, rebuilt as a value
        return [fetches.indices, fetches.values, fetches.dense_shape], lambda it: SparseTensorValue(
            next(it), next(it), next(it)
        )
    if isinstance(fetches, RaggedTensor):  # its flat values and row splits, rebuilt as a value
        splits = fetches.nested_row_splits
        return [fetches.flat_values, *splits], lambda it: _ragged_value(next(it), len(splits), it)
    leaf = _fetch_element(fetches, graph)
    return [leaf], next


def _ragged_value(flat_values, ragged_rank: int, it) -> RaggedTensorValue:
    value = flat_values
    for splits in reversed([next(it) for _ in range(ragged_rank)]):
        value = RaggedTensorValue(value, splits)
    return value


def _sequence_maker(fetches) -> Callable[[list], Any]:
    if isinstance(fetches, list):
        return list
    if hasattr(fetches, "_fields"):  # a namedtuple
        return lambda values: type(fetches)(*values)
    return type(fetches)


def _make_dict(cls, keys, values):
    out = cls() if cls is not dict else {}
    for k, v in zip(keys, values):
        out[k] = v
    return out


def _fetch_element(fetch, graph: Graph):
    if fetch is None:
        raise TypeError('Argument `fetch` = None has invalid type "NoneType". Cannot be None')
    inner = getattr(fetch, "graph", None)
    if isinstance(fetch, (Tensor, Operation)) and inner is not graph and encloses(graph, inner):
        op = fetch.op if isinstance(fetch, Tensor) else fetch
        raise ValueError(  # TF's InaccessibleTensorError (a ValueError): in a branch or body
            f"Operation {op.name} has been marked as not fetchable. Typically this happens "
            "when it is defined in another function or code block. Use return values, "
            "explicit Python locals or TensorFlow collections to access it."
        )
    try:
        element = graph.as_graph_element(fetch, allow_tensor=True, allow_operation=True)
    except TypeError:
        raise TypeError(
            f'Argument `fetch` = {fetch} has invalid type "{type(fetch).__name__}" must be a '
            "string or Tensor. (Can not convert a "
            f"{type(fetch).__name__} into a Tensor or Operation.)"
        ) from None
    except (ValueError, KeyError) as e:  # TF 2.21's words (TF 1.15: "Fetch argument %r")
        raise ValueError(
            f"Argument `fetch` = {fetch} cannot be interpreted as a Tensor. ({e})"
        ) from None
    if not graph.is_fetchable(element):
        raise ValueError(f"Operation {element.name!r} has been marked as not fetchable.")
    return element


def _feed_tensor(key, graph: Graph) -> Tensor:
    try:
        tensor = graph.as_graph_element(key, allow_tensor=True, allow_operation=False)
    except (TypeError, ValueError, KeyError) as e:
        raise TypeError(f"Cannot interpret feed_dict key as Tensor: {e.args[0]}") from None
    if not graph.is_feedable(tensor):
        raise ValueError(f"Tensor {tensor.name} may not be fed.")
    return tensor
