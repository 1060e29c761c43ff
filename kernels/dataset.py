"""tf.data kernels (host): dataset ops make immutable pipeline descriptions (TF's variant
tensors); iterator ops are session resources that pull elements through them.

An element is a tuple of numpy arrays (a SparseTensor component is three of them). Each
dataset value's `iterate()` starts a fresh pass over its elements; iterators are plain
Python iterators whose `__next__` may raise an `OpError` for one element and go on
(`ignore_errors` relies on that). Functions (map, filter, flat_map, ...) arrive from the
runtime as callables: compiled with `jax.jit` unless they hold host ops.
"""

from __future__ import annotations

import collections
import concurrent.futures
import functools
import itertools
import os
import threading
import time
from typing import Callable, Iterator, Sequence

import jax
import numpy as np

from kernels.errors import (
    CancelledError,
    DataLossError,
    FailedPreconditionError,
    InvalidArgumentError,
    OpError,
    OutOfRangeError,
)
from kernels import dataset_sparse
from kernels.input_threads import quick_handoff
from kernels.op_def import declare
from kernels.registry import HOST, MAKES_RESOURCE, Effects, Spec, register
from kernels.resource_names import resource_name

_OBJECT = np.dtype(object)
Element = tuple

# Shared by every parallel stage; jitted functions and protobuf parsing release the GIL.
_POOL = concurrent.futures.ThreadPoolExecutor(max(4, os.cpu_count() or 1), "tf_data")


class DatasetValue:
    """A dataset: what a variant tensor holds. `iterate()` starts a new pass.

    A dataset of scalar strings (records) may also hand them over in bulk: where
    `chunkable()`, `record_chunks()` starts a pass yielding lists of the records' bytes,
    with errors in the same places in the stream as `iterate()` raises them. Sources,
    shuffle and repeat pass chunks on; batch stacks them without a tuple per record.
    """

    def iterate(self) -> Iterator[Element]:
        raise NotImplementedError

    def chunkable(self) -> bool:
        return False

    def record_chunks(self) -> Iterator[list]:
        raise NotImplementedError


def as_dataset(value) -> DatasetValue:
    """The DatasetValue in a variant tensor's value."""
    value = np.asarray(value, dtype=object)
    return value.item() if value.ndim == 0 else value.reshape(-1)[0]


def _variant(dataset: DatasetValue) -> np.ndarray:
    out = np.empty((), _OBJECT)
    out[()] = dataset
    return out


def _variant_shape(specs, attrs, static_values):
    return [Spec((), _OBJECT)]


def _dataset_op(op_type: str):
    """Registers a dataset-making kernel: its one output is a variant scalar."""

    def decorate(fn):
        @functools.wraps(fn)
        def kernel(*args, **attrs):
            return _variant(fn(*args, **attrs))

        register(op_type, kind=HOST, shape=_variant_shape)(kernel)
        return fn

    return decorate


class Function:
    """A traced dataset function: `fn(*element_components, *captured[, key]) -> components`.

    Compiled once per element signature unless it holds host ops (strings, parsing).
    A function with random ops gets one more argument, a key folded with a per-call
    counter from this dataset's seed, so each element draws afresh.
    """

    def __init__(self, fn: Callable, captured: Sequence, host: bool, seeds=None, eager=None):
        self._fn = fn if eager is None else eager  # what runs where compiling cannot
        self.captured = tuple(captured)
        self.host = host
        self._base_key = None if seeds is None else _base_key(*seeds)
        self._calls = 0
        self._lock = threading.Lock()
        self._compiled = self._fn if host else jax.jit(fn)

    def __call__(self, components: Sequence) -> Element:
        args = (*components, *self.captured)
        if self._base_key is not None:
            args += (self._next_key(),)
        try:
            out = self._compiled(*args)
        except OpError:
            if self._compiled is self._fn:
                raise
            out = self._fn(*args)  # shapes that depend on values: run it op by op from now on
            self._compiled = self._fn
        if self._compiled is self._fn:  # host values: nothing to fetch from a device
            return tuple(np.asarray(v) for v in out)
        return tuple(np.asarray(v) for v in jax.device_get(tuple(out)))

    def _next_key(self) -> np.ndarray:
        with self._lock:
            count, self._calls = self._calls, self._calls + 1
        return np.asarray(jax.random.key_data(jax.random.fold_in(self._base_key, count)))

    def vectorized(self) -> "Function | None":
        """This function mapped over a leading batch dimension (None if it cannot be)."""
        if self.host or self._base_key is not None:
            return None
        n_captured = len(self.captured)

        def batched(*args):
            axes = (0,) * (len(args) - n_captured) + (None,) * n_captured
            return jax.vmap(self._fn, in_axes=axes)(*args)

        def one_by_one(*args):  # shapes that depend on values: map each element, then stack
            components = args[: len(args) - n_captured]
            rows = [self([c[i] for c in components]) for i in range(len(components[0]))]
            return tuple(_stack(column) for column in zip(*rows))

        return Function(batched, self.captured, host=False, eager=one_by_one)


def _base_key(seed: int, seed2: int):
    if seed == 0 and seed2 == 0:  # unseeded: fresh randomness for each dataset
        seed, seed2 = (int(x) for x in np.random.SeedSequence().generate_state(2))
    return jax.random.wrap_key_data(np.array([seed, seed2], np.uint32), impl="threefry2x32")


def _function(f, captured, _host, _seeds) -> Function:
    return Function(f, captured, bool(_host), tuple(_seeds) if _seeds else None)


def _autotuned(parallel: int) -> int:
    """AUTOTUNE (-1) as one call per core."""
    return parallel if parallel > 0 else (os.cpu_count() or 2)


def _ints(value) -> int:
    return int(np.asarray(value))


# -- sources ------------------------------------------------------------------------------------


class TensorSlices(DatasetValue):
    def __init__(self, components: Sequence[np.ndarray]):
        self.components = [np.asarray(c) for c in components]
        sizes = {c.shape[0] if c.ndim else None for c in self.components}
        if None in sizes or len(sizes) != 1:
            shapes = ", ".join(str(list(c.shape)) for c in self.components)
            raise InvalidArgumentError(
                None, None, f"All components must have the same size in the 0th dimension: {shapes}"
            )
        self.size = sizes.pop()

    def iterate(self):
        cs = self.components
        return (tuple(c[i] for c in cs) for i in range(self.size))


@_dataset_op("TensorSliceDataset")
def tensor_slice_dataset(*components, Toutput_types=(), output_shapes=()):
    return TensorSlices(components)


class Tensors(DatasetValue):
    def __init__(self, components):
        self.element = tuple(np.asarray(c) for c in components)

    def iterate(self):
        return iter([self.element])


@_dataset_op("TensorDataset")
def tensor_dataset(*components, Toutput_types=(), output_shapes=()):
    return Tensors(components)


class SparseSlices(DatasetValue):
    """(indices, values, dense_shape) of each slice of a SparseTensor along its first
    dimension, as dense components."""

    def __init__(self, indices, values, dense_shape):
        self.rows = dataset_sparse.sparse_rows(indices, values, dense_shape)

    def iterate(self):
        return (tuple(row) for row in self.rows)


@_dataset_op("SparseTensorSliceDataset")
def sparse_tensor_slice_dataset(indices, values, dense_shape, *, Tvalues=None):
    return SparseSlices(indices, values, dense_shape)


class Range(DatasetValue):
    def __init__(self, start, stop, step, dtype):
        if step == 0:
            raise InvalidArgumentError(None, None, "step must be a non-zero integer.")
        self.range, self.dtype = range(start, stop, step), np.dtype(dtype)

    def iterate(self):
        dtype = self.dtype.type
        return ((dtype(i),) for i in self.range)


@_dataset_op("RangeDataset")
def range_dataset(start, stop, step, *, output_types=(np.int64,), output_shapes=()):
    return Range(_ints(start), _ints(stop), _ints(step), output_types[0])


# Python generators of `from_generator`, by token (as TF's py_func registry holds them).
_GENERATORS: dict[int, Callable] = {}
_generator_tokens = iter(range(1, 1 << 62))


def register_generator(generator: Callable) -> int:
    """Keeps `generator` for GeneratorDataset ops; returns its token."""
    token = next(_generator_tokens)
    _GENERATORS[token] = generator
    return token


class Generated(DatasetValue):
    def __init__(self, generator, types, shapes):
        self.generator, self.types, self.shapes = generator, types, shapes

    def iterate(self):
        for value in self.generator():
            yield self._element(value)

    def _element(self, value) -> Element:
        values = value if isinstance(value, tuple) and len(self.types) > 1 else (value,)
        if len(values) != len(self.types):
            raise InvalidArgumentError(
                None,
                None,
                f"`generator` yielded an element of {len(values)} components "
                f"where {len(self.types)} were expected.",
            )
        out = []
        for v, t, s in zip(values, self.types, self.shapes):
            try:
                array = np.asarray(v, dtype=t)
            except (TypeError, ValueError):
                raise InvalidArgumentError(
                    None,
                    None,
                    f"`generator` yielded an element that could not be converted "
                    f"to the expected type. The expected type was {np.dtype(t).name}, but "
                    f"the yielded element was {v!r}.",
                ) from None
            if s is not None and (
                len(s) != array.ndim
                or any(d is not None and d != a for d, a in zip(s, array.shape))
            ):
                raise InvalidArgumentError(
                    None,
                    None,
                    f"`generator` yielded an element of shape {list(array.shape)} "
                    f"where an element of shape {_dims(s)} was expected.",
                )
            out.append(array)
        return tuple(out)


# flowgraph-specific: TF's GeneratorDataset calls py_func'd init/next/finalize functions;
# this one names a Python generator kept in the process (so the graph is not serialisable).
declare(
    "PyGeneratorDataset",
    outputs=("handle: variant",),
    attrs=(
        "_generator_token: int",
        "output_types: list(type) >= 1",
        "output_shapes: list(shape) >= 1",
    ),
    stateful=True,
)


@_dataset_op("PyGeneratorDataset")
def generator_dataset(*, _generator_token, output_types=(), output_shapes=()):
    return Generated(_GENERATORS[_generator_token], output_types, output_shapes)


def _dims(shape) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


# -- element-wise transformations ---------------------------------------------------------------


class Map(DatasetValue):
    """`fn` on each element; `batched`, where given, is `fn` over a batch of elements (a
    following `batch` runs it once per batch)."""

    def __init__(self, input: DatasetValue, fn: Function, parallel: int = 1, batched=None):
        self.input, self.fn, self.parallel, self.batched = input, fn, parallel, batched

    def iterate(self):
        if self.parallel > 1:
            return _ParallelMapIterator(self.input.iterate(), self.fn, self.parallel)
        return _MapIterator(self.input.iterate(), self.fn)


class _MapIterator:
    """Applies `fn` to each element; an error in one element leaves the rest to come."""

    def __init__(self, upstream, fn):
        self.upstream, self.fn = upstream, fn

    def __iter__(self):
        return self

    def __next__(self):
        return self.fn(next(self.upstream))


class _ParallelMapIterator:
    """Keeps `parallel` calls of `fn` in flight on the shared pool; yields in order.

    A host function (its ops run in Python: parsing, string ops) whose calls are cheap runs
    on the consumer's thread instead: its first `_PROBES` calls on the pool are timed in
    CPU seconds, and below `_INLINE_CPU_S` each the hop to a pool thread and back (a
    submit, a wake-up, a wait on the result, GIL switches between the threads) costs more
    than a parallel call could gain, on a GIL it mostly holds (tf.data's batch parse took
    ~16% more process CPU per record through the pool). Every `_RECHECK`th inline call is
    timed too; one over twice the bound sends calls to the pool again. Elements, their order and
    errors are the same either way: calls start in order and results are taken in order.
    """

    def __init__(self, upstream, fn, parallel):
        self.upstream, self.fn, self.parallel = upstream, fn, parallel
        self.pending: collections.deque = collections.deque()
        self.done = False
        self.inline = False
        self._probed: list[float] = []  # CPU seconds of timed calls on the pool
        self._calls = 0  # inline calls so far
        self._lock = threading.Lock()
        self._submit = self._timed if getattr(fn, "host", False) else fn
        quick_handoff()

    def __iter__(self):
        return self

    def __next__(self):
        if self.inline:  # calls made on the pool first, in order
            if self.pending:
                return self.pending.popleft().result()
            return self._inline_call(next(self.upstream))
        while not self.done and len(self.pending) < self.parallel:
            try:
                element = next(self.upstream)
            except StopIteration:
                self.done = True
                break
            self.pending.append(_POOL.submit(self._submit, element))
        if not self.pending:
            raise StopIteration
        return self.pending.popleft().result()

    def _timed(self, element) -> Element:
        """`fn(element)` on a pool thread, timed until `_PROBES` calls decide the mode."""
        if len(self._probed) >= _PROBES:
            return self.fn(element)
        start = time.thread_time()
        try:
            return self.fn(element)
        finally:
            seconds = time.thread_time() - start
            with self._lock:
                self._probed.append(seconds)
                if len(self._probed) == _PROBES:
                    self.inline = sorted(self._probed)[_PROBES // 2] < _INLINE_CPU_S

    def _inline_call(self, element) -> Element:
        self._calls += 1
        if self._calls % _RECHECK:
            return self.fn(element)
        start = time.thread_time()
        try:
            return self.fn(element)
        finally:
            if time.thread_time() - start >= 2 * _INLINE_CPU_S:
                self.inline, self._probed = False, []  # to the pool, timed afresh


_PROBES = 5  # pool calls timed before a host function's calls may run inline (median)
_INLINE_CPU_S = 1e-3  # a host call's CPU time below which the pool's hop costs more
_RECHECK = 64  # every how many inline calls one is timed


def _map_kernel(input_dataset, other_arguments, f, parallel, _host, _seeds, _batched):
    fn = _function(f, other_arguments, _host, _seeds)
    batched = None if _batched is None else Function(_batched, (), host=True)
    return Map(as_dataset(input_dataset), fn, parallel, batched)


@_dataset_op("MapDataset")
def map_dataset(
    input_dataset,
    *other_arguments,
    f,
    Targuments=(),
    output_types=(),
    output_shapes=(),
    use_inter_op_parallelism=True,
    preserve_cardinality=False,
    _host=False,
    _seeds=(),
    _batched=None,
):
    return _map_kernel(input_dataset, other_arguments, f, 1, _host, _seeds, _batched)


@_dataset_op("ParallelMapDatasetV2")
def parallel_map_dataset_v2(
    input_dataset,
    *other_arguments_and_calls,
    f,
    Targuments=(),
    output_types=(),
    output_shapes=(),
    deterministic="default",
    preserve_cardinality=False,
    use_inter_op_parallelism=True,
    _host=False,
    _seeds=(),
    _batched=None,
):
    *other_arguments, num_parallel_calls = other_arguments_and_calls
    parallel = _ints(num_parallel_calls)
    parallel = _autotuned(parallel)
    return _map_kernel(input_dataset, other_arguments, f, parallel, _host, _seeds, _batched)


class Filter(DatasetValue):
    def __init__(self, input, predicate: Function):
        self.input, self.predicate = input, predicate

    def iterate(self):
        return _FilterIterator(self.input.iterate(), self.predicate)


class _FilterIterator(_MapIterator):
    def __next__(self):
        while True:
            element = next(self.upstream)
            keep = np.asarray(self.fn(element)[0])
            if keep.shape != ():
                raise InvalidArgumentError(
                    None, None, "Filter predicate `f` must return a scalar bool."
                )
            if keep:
                return element


@_dataset_op("FilterDataset")
def filter_dataset(
    input_dataset,
    *other_arguments,
    predicate,
    Targuments=(),
    output_types=(),
    output_shapes=(),
    _host=False,
    _seeds=(),
):
    return Filter(as_dataset(input_dataset), _function(predicate, other_arguments, _host, _seeds))


class FlatMap(DatasetValue):
    def __init__(self, input, fn):
        self.input, self.fn = input, fn

    def iterate(self):
        for element in self.input.iterate():
            yield from as_dataset(self.fn(element)[0]).iterate()


@_dataset_op("FlatMapDataset")
def flat_map_dataset(
    input_dataset,
    *other_arguments,
    f,
    Targuments=(),
    output_types=(),
    output_shapes=(),
    _host=True,
    _seeds=(),
):
    return FlatMap(as_dataset(input_dataset), _function(f, other_arguments, True, _seeds))


class Interleave(DatasetValue):
    """TF's InterleaveDataset order: `block_length` elements from each of `cycle_length`
    open datasets in turn, a finished one replaced by the next input's."""

    def __init__(self, input, fn, cycle_length, block_length, parallel=1):
        if block_length <= 0:
            raise InvalidArgumentError(None, None, "block_length must be greater than zero.")
        self.input, self.fn = input, fn
        self.cycle_length = cycle_length if cycle_length > 0 else (os.cpu_count() or 2)
        self.block_length, self.parallel = block_length, parallel

    def _open(self, element):
        inner = as_dataset(self.fn(element)[0]).iterate()
        return _Prefetcher(inner, 2 * self.block_length) if self.parallel > 1 else inner

    def iterate(self):
        inputs = self.input.iterate()
        current: list = [None] * self.cycle_length
        cycle = block = num_open = 0
        end_of_input = False
        while not end_of_input or num_open:
            if current[cycle] is not None:
                try:
                    element = next(current[cycle])
                except StopIteration:
                    current[cycle], num_open = None, num_open - 1
                    cycle, block = (cycle + 1) % self.cycle_length, 0
                    continue
                block += 1
                if block == self.block_length:
                    cycle, block = (cycle + 1) % self.cycle_length, 0
                yield element
            elif not end_of_input:
                try:
                    current[cycle] = iter(self._open(next(inputs)))
                    num_open += 1
                except StopIteration:
                    end_of_input = True
            else:
                cycle, block = (cycle + 1) % self.cycle_length, 0


@_dataset_op("InterleaveDataset")
def interleave_dataset(
    input_dataset,
    *args,
    f,
    Targuments=(),
    output_types=(),
    output_shapes=(),
    _host=True,
    _seeds=(),
):
    *other_arguments, cycle_length, block_length = args
    fn = _function(f, other_arguments, True, _seeds)
    return Interleave(as_dataset(input_dataset), fn, _ints(cycle_length), _ints(block_length))


@_dataset_op("ParallelInterleaveDatasetV4")
def parallel_interleave_dataset_v4(
    input_dataset,
    *args,
    f,
    Targuments=(),
    output_types=(),
    output_shapes=(),
    deterministic="default",
    _host=True,
    _seeds=(),
):
    *other_arguments, cycle, block, _buffer, _prefetch, parallel = args
    fn = _function(f, other_arguments, True, _seeds)
    parallel = _ints(parallel)
    return Interleave(
        as_dataset(input_dataset), fn, _ints(cycle), _ints(block), parallel if parallel else 2
    )


# -- batching -----------------------------------------------------------------------------------


class Batch(DatasetValue):
    def __init__(self, input, batch_size: int, drop_remainder: bool, padding=None):
        if batch_size <= 0:
            raise InvalidArgumentError(None, None, "Batch size must be greater than zero.")
        self.input, self.batch_size, self.drop_remainder = input, batch_size, drop_remainder
        self.padding = padding  # (padded shapes, padding values) for padded_batch

    def iterate(self):
        fused = self._fused()
        if fused is not None:
            return fused
        if self.padding is None and self.input.chunkable():
            return _RecordBatchIterator(self.input.record_chunks(), self)
        return _BatchIterator(self.input.iterate(), self)

    def _fused(self):
        """map(f).batch(n) runs as batch(n).map(vmap(f)): one call per batch."""
        if self.padding is not None or not isinstance(self.input, Map):
            return None
        if self.input.batched is not None:
            return _BatchThenMap(self.input.input.iterate(), self, self.input)
        vectorized = self.input.fn.vectorized()
        if vectorized is None:
            return None
        inner = Batch(self.input.input, self.batch_size, self.drop_remainder)
        return Map(inner, vectorized, self.input.parallel).iterate()

    def stack(self, elements: list) -> Element:
        if self.padding is None:
            return tuple(_stack(column) for column in zip(*elements))
        shapes, values = self.padding
        return tuple(
            _pad_stack(column, shape, value)
            for column, shape, value in zip(zip(*elements), shapes, values)
        )


class _BatchIterator:
    def __init__(self, upstream, batch: Batch):
        self.upstream, self.batch = upstream, batch

    def __iter__(self):
        return self

    def __next__(self):
        elements = []
        size = self.batch.batch_size
        for element in self.upstream:
            elements.append(element)
            if len(elements) == size:
                break
        if not elements or (self.batch.drop_remainder and len(elements) < size):
            raise StopIteration
        return self.batch.stack(elements)


class _RecordBatchIterator:
    """Batches of records cut from chunks: one array per batch, no tuple per record."""

    def __init__(self, chunks, batch: Batch):
        self.chunks, self.batch = chunks, batch
        self.pending: collections.deque = collections.deque()  # chunks not yet batched
        self.start = 0  # of the first pending chunk's records, those batched already
        self.available = 0

    def __iter__(self):
        return self

    def __next__(self):
        size = self.batch.batch_size
        while self.available < size:
            try:
                chunk = next(self.chunks)
            except StopIteration:
                break
            except OpError:  # the partial batch is lost, as element by element
                self.pending.clear()
                self.start = self.available = 0
                raise
            self.pending.append(chunk)
            self.available += len(chunk)
        if not self.available or (self.batch.drop_remainder and self.available < size):
            raise StopIteration
        return (records_array(self._take(min(size, self.available))),)

    def _take(self, n: int) -> list:
        out: list = []
        while len(out) < n:
            chunk = self.pending[0]
            stop = min(len(chunk), self.start + n - len(out))
            out += chunk[self.start : stop]
            self.start = stop
            if stop == len(chunk):
                self.pending.popleft()
                self.start = 0
        self.available -= n
        return out


def records_array(records: list) -> np.ndarray:
    """A 1-D string tensor of `records` (bytes)."""
    out = np.empty(len(records), _OBJECT)
    out[:] = records
    return out


class _BatchThenMap:
    """map(fn).batch(n) as map(batched) of each batch of inputs. A batch `batched` fails on
    is mapped element by element: the first failing element's error is raised, and the
    inputs after it start the next batch, as map-then-batch would have them."""

    def __init__(self, upstream, batch: Batch, map: Map):
        self.upstream, self.batch, self.map = upstream, batch, map
        self.pending: collections.deque = collections.deque()

    def __iter__(self):
        return self

    def __next__(self):
        size = self.batch.batch_size
        inputs = [self.pending.popleft() for _ in range(min(size, len(self.pending)))]
        inputs += itertools.islice(self.upstream, size - len(inputs))
        if not inputs:
            raise StopIteration
        if len(inputs) == size:
            try:
                return self.map.batched(_stack_inputs(inputs))
            except OpError:
                pass
        return self._one_by_one(inputs)

    def _one_by_one(self, inputs: list) -> Element:
        outputs = []
        for i, element in enumerate(inputs):
            try:
                outputs.append(self.map.fn(element))
            except OpError:
                self.pending.extend(inputs[i + 1 :])
                raise
        if self.batch.drop_remainder and len(outputs) < self.batch.batch_size:
            raise StopIteration
        return self.batch.stack(outputs)


def _stack_inputs(inputs: list) -> tuple:
    return tuple(_np_stack(column) for column in zip(*inputs))


def _np_stack(column: Sequence) -> np.ndarray:
    """np.stack, keeping strings whole: it would make bytes elements a fixed-width "S"
    array, which drops each one's trailing NUL bytes (serialized records end in them)."""
    if isinstance(column[0], bytes):
        return records_array(list(column))
    return np.stack(column)


def _stack(column: Sequence[np.ndarray]) -> np.ndarray:
    shapes = {np.shape(c) for c in column}
    if len(shapes) > 1:
        a, b = list(shapes)[:2]
        raise InvalidArgumentError(
            None,
            None,
            "Cannot batch tensors with different shapes in component 0. First "
            f"element had shape {list(a)} and element 1 had shape {list(b)}.",
        )
    return _np_stack(column)


def _pad_stack(column, padded_shape, value) -> np.ndarray:
    ranks = {np.ndim(c) for c in column}
    longest = tuple(max(dims) for dims in zip(*(np.shape(c) for c in column)))
    shape = tuple(n if d is None or d < 0 else d for d, n in zip(padded_shape, longest))
    for c in column:
        if any(a > s for a, s in zip(np.shape(c), shape)):
            raise DataLossError(  # TF's class and text
                None, None, "Attempted to pad to a smaller size than the input element."
            )
    if len(ranks) > 1:
        raise InvalidArgumentError(None, None, "All elements in a batch must have the same rank")
    dtype = np.asarray(column[0]).dtype
    out = np.full((len(column),) + shape, np.asarray(value, dtype), dtype)
    for i, c in enumerate(column):
        out[(i,) + tuple(slice(0, d) for d in np.shape(c))] = c
    return out


@_dataset_op("BatchDatasetV2")
def batch_dataset_v2(
    input_dataset,
    batch_size,
    drop_remainder,
    *,
    output_types=(),
    output_shapes=(),
    parallel_copy=False,
):
    return Batch(as_dataset(input_dataset), _ints(batch_size), bool(np.asarray(drop_remainder)))


@_dataset_op("PaddedBatchDatasetV2")
def padded_batch_dataset_v2(
    input_dataset,
    batch_size,
    *args,
    Toutput_types=(),
    output_shapes=(),
    N=0,
    parallel_copy=False,
):
    shapes, values, drop = args[:N], args[N : 2 * N], args[2 * N]
    padded = [tuple(int(d) for d in np.asarray(s).reshape(-1)) for s in shapes]
    padding = (padded, [np.asarray(v) for v in values])
    return Batch(as_dataset(input_dataset), _ints(batch_size), bool(np.asarray(drop)), padding)


class DenseToSparseBatch(DatasetValue):
    """Batches of `batch_size` dense elements, each batch one SparseTensor (variant row)."""

    def __init__(self, input, batch_size: int, row_shape: tuple):
        if batch_size <= 0:
            raise InvalidArgumentError(None, None, "Batch size must be greater than zero.")
        self.input, self.batch_size, self.row_shape = input, batch_size, row_shape

    def iterate(self):
        upstream = self.input.iterate()
        while True:
            elements = [e[0] for e in itertools.islice(upstream, self.batch_size)]
            if not elements:
                return
            yield (dataset_sparse.dense_to_sparse_batch(elements, self.row_shape),)


@_dataset_op("DenseToSparseBatchDataset")
def dense_to_sparse_batch_dataset(
    input_dataset, batch_size, row_shape, *, output_types=(), output_shapes=()
):
    row_shape = tuple(int(d) for d in np.asarray(row_shape).reshape(-1))
    return DenseToSparseBatch(as_dataset(input_dataset), _ints(batch_size), row_shape)


class MapAndBatch(DatasetValue):
    """map then batch; a compiled function runs once per batch (vectorized by vmap)."""

    def __init__(self, input, fn, batch_size, parallel, drop_remainder, batched=None):
        self.plan = Batch(Map(input, fn, parallel, batched), batch_size, drop_remainder)

    def iterate(self):
        return self.plan.iterate()


@_dataset_op("MapAndBatchDataset")
def map_and_batch_dataset(
    input_dataset,
    *args,
    f,
    Targuments=(),
    output_types=(),
    output_shapes=(),
    preserve_cardinality=False,
    _host=False,
    _seeds=(),
    _batched=None,
):
    *other_arguments, batch_size, parallel, drop = args
    fn = _function(f, other_arguments, _host, _seeds)
    parallel = _ints(parallel)
    return MapAndBatch(
        as_dataset(input_dataset),
        fn,
        _ints(batch_size),
        _autotuned(parallel),
        bool(np.asarray(drop)),
        None if _batched is None else Function(_batched, (), host=True),
    )


class Unbatch(DatasetValue):
    def __init__(self, input):
        self.input = input

    def iterate(self):
        for element in self.input.iterate():
            sizes = {np.shape(c)[0] for c in element}
            if len(sizes) != 1:
                raise InvalidArgumentError(
                    None, None, "Input element must have the same batch size in each component."
                )
            for i in range(sizes.pop()):
                yield tuple(c[i] for c in element)


@_dataset_op("UnbatchDataset")
def unbatch_dataset(input_dataset, *, output_types=(), output_shapes=()):
    return Unbatch(as_dataset(input_dataset))


class Window(DatasetValue):
    """Elements are tuples of datasets (one per component) of up to `size` elements."""

    def __init__(self, input, size, shift, stride, drop_remainder):
        for what, v in (("size", size), ("shift", shift), ("stride", stride)):
            if v <= 0:
                raise InvalidArgumentError(None, None, f"Window {what} must be positive.")
        self.input, self.size, self.shift, self.stride = input, size, shift, stride
        self.drop_remainder = drop_remainder

    def iterate(self):
        span = (self.size - 1) * self.stride + 1
        buffer: list = []
        upstream = self.input.iterate()
        exhausted = False
        while True:
            while not exhausted and len(buffer) < span:
                try:
                    buffer.append(next(upstream))
                except StopIteration:
                    exhausted = True
            window = buffer[: span : self.stride]
            if not window or (self.drop_remainder and len(window) < self.size):
                return
            yield tuple(
                _variant(TensorSlices([np.stack(col)]) if window else Tensors(()))
                for col in zip(*window)
            )
            drop = min(self.shift, len(buffer))
            buffer = buffer[drop:]
            while drop < self.shift and not exhausted:  # shift beyond the buffer: skip more
                try:
                    next(upstream)
                    drop += 1
                except StopIteration:
                    exhausted = True
            if exhausted and not buffer:
                return


@_dataset_op("WindowDataset")
def window_dataset(
    input_dataset, size, shift, stride, drop_remainder, *, output_types=(), output_shapes=()
):
    return Window(
        as_dataset(input_dataset),
        _ints(size),
        _ints(shift),
        _ints(stride),
        bool(np.asarray(drop_remainder)),
    )


# -- order and count ----------------------------------------------------------------------------


class Shuffle(DatasetValue):
    """TF's shuffle buffer: fill `buffer_size` elements, hand out a random one, refill its
    slot. Each pass (a new iterator, a repeat's next epoch) reshuffles unless told not to."""

    def __init__(self, input, buffer_size, seed, seed2, reshuffle, count=1):
        if buffer_size <= 0:
            raise InvalidArgumentError(None, None, "buffer_size must be greater than zero.")
        self.input, self.buffer_size = input, buffer_size
        self.seeds = None if seed == 0 and seed2 == 0 else (seed, seed2)
        self.reshuffle, self.count = reshuffle, count
        self._passes = 0
        self._entropy = np.random.SeedSequence().entropy  # unseeded: fixed per dataset
        self._lock = threading.Lock()

    def _rng(self) -> np.random.Generator:
        with self._lock:
            epoch, self._passes = self._passes, self._passes + (1 if self.reshuffle else 0)
        base = self.seeds if self.seeds is not None else (self._entropy % (1 << 63), 0)
        return np.random.default_rng([*base, epoch])

    def iterate(self):
        epochs = 0
        while self.count < 0 or epochs < self.count:
            produced = False
            for element in self._one_pass(self._rng()):
                produced = True
                yield element
            epochs += 1
            if not produced:
                return

    def chunkable(self) -> bool:
        return self.input.chunkable()

    def record_chunks(self):
        epochs = 0
        while self.count < 0 or epochs < self.count:
            produced = False
            for chunk in self._one_pass_chunks(self._rng()):
                produced = produced or bool(chunk)
                yield chunk
            epochs += 1
            if not produced:
                return

    def _one_pass_chunks(self, rng):
        """`_one_pass` over chunks: the same draws, so the same order, each chunk's
        exchanges with the buffer made in a few numpy calls (`_exchange`)."""
        buffer = records_array([])
        draws = np.empty(0, np.int64)  # drawn and not used yet, in the order drawn
        for chunk in self.input.record_chunks():
            records = records_array(chunk)
            fill = self.buffer_size - len(buffer)
            if fill > 0:
                buffer = np.concatenate([buffer, records[:fill]])
                records = records[fill:]
            while len(draws) < len(records):
                draws = np.concatenate([draws, rng.integers(len(buffer), size=1024)])
            slots, draws = draws[: len(records)], draws[len(records) :]
            yield _exchange(buffer, slots, records).tolist()
        yield buffer[rng.permutation(len(buffer))].tolist()

    def _one_pass(self, rng):
        upstream = self.input.iterate()
        buffer = []
        for element in upstream:
            buffer.append(element)
            if len(buffer) == self.buffer_size:
                break
        draws: list = []
        for element in upstream:  # the buffer is full: its size stays fixed, draw in blocks
            if not draws:
                draws = rng.integers(len(buffer), size=1024).tolist()[::-1]
            i = draws.pop()
            yield buffer[i]
            buffer[i] = element
        order = rng.permutation(len(buffer))
        for i in order:
            yield buffer[i]


def _exchange(buffer: np.ndarray, slots: np.ndarray, records: np.ndarray) -> np.ndarray:
    """What `for j: out[j] = buffer[slots[j]]; buffer[slots[j]] = records[j]` hands out,
    with `buffer` updated in place: out[j] is the record the latest earlier j' with the
    same slot put there, else the slot's record before the chunk."""
    order = np.argsort(slots, kind="stable")  # by slot, then position
    same = slots[order[1:]] == slots[order[:-1]]
    earlier, later = order[:-1][same], order[1:][same]
    out = buffer[slots]
    out[later] = records[earlier]
    last = np.ones(len(slots), bool)
    last[earlier] = False
    buffer[slots[last]] = records[last]
    return out


@_dataset_op("ShuffleDataset")
def shuffle_dataset(
    input_dataset,
    buffer_size,
    seed,
    seed2,
    *,
    output_types=(),
    output_shapes=(),
    reshuffle_each_iteration=True,
):
    return Shuffle(
        as_dataset(input_dataset),
        _ints(buffer_size),
        _ints(seed),
        _ints(seed2),
        reshuffle_each_iteration,
    )


@_dataset_op("ShuffleAndRepeatDataset")
def shuffle_and_repeat_dataset(
    input_dataset,
    buffer_size,
    seed,
    seed2,
    count,
    *,
    output_types=(),
    output_shapes=(),
    reshuffle_each_iteration=True,
):
    return Shuffle(
        as_dataset(input_dataset),
        _ints(buffer_size),
        _ints(seed),
        _ints(seed2),
        reshuffle_each_iteration,
        _ints(count),
    )


class Repeat(DatasetValue):
    def __init__(self, input, count):
        self.input, self.count = input, count

    def iterate(self):
        return self._passes(self.input.iterate)

    def chunkable(self) -> bool:
        return self.input.chunkable()

    def record_chunks(self):
        return self._passes(self.input.record_chunks)

    def _passes(self, start):
        epochs = 0
        while self.count < 0 or epochs < self.count:
            produced = False
            for item in start():
                produced = produced or not isinstance(item, list) or bool(item)
                yield item
            epochs += 1
            if not produced:  # an empty dataset repeated forever is still empty
                return


@_dataset_op("RepeatDataset")
def repeat_dataset(input_dataset, count, *, output_types=(), output_shapes=()):
    return Repeat(as_dataset(input_dataset), _ints(count))


class Take(DatasetValue):
    def __init__(self, input, count):
        self.input, self.count = input, count

    def iterate(self):
        if self.count < 0:
            return self.input.iterate()
        return _islice(self.input.iterate(), 0, self.count)


def _islice(it, start, stop):
    n = 0
    for element in it:
        if stop is not None and n >= stop:
            return
        if n >= start:
            yield element
        n += 1


class Skip(Take):
    def iterate(self):
        if self.count < 0:
            return iter(())
        return _islice(self.input.iterate(), self.count, None)


@_dataset_op("TakeDataset")
def take_dataset(input_dataset, count, *, output_types=(), output_shapes=()):
    return Take(as_dataset(input_dataset), _ints(count))


@_dataset_op("SkipDataset")
def skip_dataset(input_dataset, count, *, output_types=(), output_shapes=()):
    return Skip(as_dataset(input_dataset), _ints(count))


class Shard(DatasetValue):
    def __init__(self, input, num_shards, index):
        if num_shards <= 0:
            raise InvalidArgumentError(None, None, "Number of shards must be greater than zero")
        if not 0 <= index < num_shards:
            raise InvalidArgumentError(
                None,
                None,
                f"Index must be between 0 and {num_shards - 1} (currently index = {index}).",
            )
        self.input, self.num_shards, self.index = input, num_shards, index

    def iterate(self):
        for i, element in enumerate(self.input.iterate()):
            if i % self.num_shards == self.index:
                yield element


@_dataset_op("ShardDataset")
def shard_dataset(
    input_dataset,
    num_shards,
    index,
    *,
    output_types=(),
    output_shapes=(),
    require_non_empty=False,
):
    return Shard(as_dataset(input_dataset), _ints(num_shards), _ints(index))


class Concatenate(DatasetValue):
    def __init__(self, first, second):
        self.first, self.second = first, second

    def iterate(self):
        yield from self.first.iterate()
        yield from self.second.iterate()


@_dataset_op("ConcatenateDataset")
def concatenate_dataset(input_dataset, another_dataset, *, output_types=(), output_shapes=()):
    return Concatenate(as_dataset(input_dataset), as_dataset(another_dataset))


class Zip(DatasetValue):
    def __init__(self, inputs):
        self.inputs = inputs

    def iterate(self):
        for parts in zip(*(d.iterate() for d in self.inputs)):
            yield tuple(c for part in parts for c in part)


@_dataset_op("ZipDataset")
def zip_dataset(*input_datasets, output_types=(), output_shapes=(), N=0):
    return Zip([as_dataset(d) for d in input_datasets])


class IgnoreErrors(DatasetValue):
    def __init__(self, input):
        self.input = input

    def iterate(self):
        upstream = self.input.iterate()
        while True:
            try:
                yield next(upstream)
            except StopIteration:
                return
            except OpError as e:
                if isinstance(e, CancelledError):
                    raise


@_dataset_op("IgnoreErrorsDataset")
def ignore_errors_dataset(input_dataset, *, output_types=(), output_shapes=(), log_warning=False):
    return IgnoreErrors(as_dataset(input_dataset))


class Cache(DatasetValue):
    """Keeps the first complete pass (in memory, or in `filename`) and replays it."""

    def __init__(self, input, filename: str):
        self.input, self.filename = input, filename
        self._elements: list | None = None
        self._lock = threading.Lock()

    def iterate(self):
        cached = self._cached()
        if cached is not None:
            yield from cached
            return
        elements = []
        for element in self.input.iterate():
            elements.append(element)
            yield element
        self._store(elements)

    def _cached(self):
        with self._lock:
            if self._elements is not None:
                return self._elements
            if self.filename and os.path.exists(self._path()):
                with np.load(self._path(), allow_pickle=True) as data:
                    self._elements = [tuple(e) for e in data["elements"]]
            return self._elements

    def _store(self, elements):
        with self._lock:
            self._elements = elements
            if self.filename and not os.path.exists(self._path()):
                array = np.empty(len(elements), _OBJECT)
                array[:] = [list(e) for e in elements] if elements else []
                tmp = self._path() + ".tmp.npz"
                np.savez(tmp, elements=array)
                os.replace(tmp, self._path())

    def _path(self) -> str:
        return self.filename + ".fgcache.npz"


@_dataset_op("CacheDataset")
def cache_dataset(input_dataset, filename, *, output_types=(), output_shapes=()):
    name = np.asarray(filename, dtype=object).item()
    name = name.decode() if isinstance(name, bytes) else str(name)
    return Cache(as_dataset(input_dataset), name)


class Prefetch(DatasetValue):
    """Elements produced ahead by a background thread, up to `buffer_size` of them."""

    def __init__(self, input, buffer_size, device=None):
        self.input, self.buffer_size, self.device = input, buffer_size, device

    def iterate(self):
        size = self.buffer_size if self.buffer_size > 0 else 8  # AUTOTUNE
        return _Prefetcher(self.input.iterate(), size, self.device)


class _Prefetcher:
    """Runs `upstream` on a daemon thread, up to `size` items ahead; errors travel in order.

    One deque and one condition hand items over. The consumer takes a ready item without
    the lock (`deque.popleft` is atomic) and takes the lock only to wake a producer waiting
    for room or to wait for an item itself: a step whose batch is ready never blocks on a
    lock the producer holds, where each blocked hand-off could cost it a GIL switch interval
    (kernels/input_threads.py).
    """

    _END = object()

    def __init__(self, upstream, size, device=None):
        self._items: collections.deque = collections.deque()
        self._size = max(1, size)
        self._cond = threading.Condition(threading.Lock())
        self._waiting = 0  # threads waiting on `_cond` (the producer for room, the consumer)
        self._stopped = False
        self._device = device
        self._finished = False
        quick_handoff()
        self._thread = threading.Thread(
            target=self._run, args=(upstream,), daemon=True, name="tf_data_prefetch"
        )
        self._thread.start()

    def _run(self, upstream):
        item = None
        while item is not self._END and not self._stopped:
            item = self._produce(upstream)
            with self._cond:
                while len(self._items) >= self._size and not self._stopped:
                    self._wait(_STOP_POLL_S)  # woken by a take; polls `_stopped` (`__del__`)
                self._items.append(item)
                if self._waiting:
                    self._cond.notify()

    def _produce(self, upstream):
        try:
            item = next(upstream)
            if self._device is not None:  # strings and SparseTensor rows stay on the host
                item = tuple(
                    jax.device_put(c, self._device) if _numeric(c) else c for c in item
                )
        except StopIteration:
            return self._END
        except BaseException as e:  # handed to the consumer, in order
            return e
        return item

    def _wait(self, timeout=None) -> None:
        """Waits on `_cond` (held), counted in `_waiting`."""
        self._waiting += 1
        try:
            self._cond.wait(timeout)
        finally:
            self._waiting -= 1

    def __iter__(self):
        return self

    def __next__(self):
        if self._finished:
            raise StopIteration
        try:
            item = self._items.popleft()
        except IndexError:
            item = self._take_waiting()
        else:
            if self._waiting:  # the producer may wait for the room this take made
                with self._cond:
                    self._cond.notify()
        if item is self._END:
            self._finished = True
            raise StopIteration
        if isinstance(item, BaseException):
            raise item
        return item

    def _take_waiting(self):
        """The next item, waiting for the producer (woken first: it may wait for room that
        a take without the lock made before it began waiting)."""
        with self._cond:
            while not self._items:
                if self._stopped:
                    raise CancelledError(None, None, "Prefetching was cancelled")
                self._cond.notify()
                self._wait()
            return self._items.popleft()

    def close(self):
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def __del__(self):
        self._stopped = True  # no lock here: the collector may run while it is held


_STOP_POLL_S = 0.1


@_dataset_op("PrefetchDataset")
def prefetch_dataset(
    input_dataset,
    buffer_size,
    *,
    output_types=(),
    output_shapes=(),
    slack_period=0,
    legacy_autotune=True,
    buffer_size_min=0,
    _device="",
):
    device = _jax_device(_device) if _device else None
    return Prefetch(as_dataset(input_dataset), _ints(buffer_size), device)


def _numeric(value) -> bool:
    return np.asarray(value).dtype.kind in "biufc"


def _jax_device(spec: str):
    """The jax device of a `/device:GPU:0`-style name (the default one if absent)."""
    kind, _, index = spec.rstrip("/").rpartition(":")
    kind = kind.rpartition(":")[2].lower() or "cpu"
    devices = [d for d in jax.devices() if d.platform == kind] or jax.devices()
    return devices[min(int(index or 0), len(devices) - 1)]


@register(
    "ReduceDataset",
    kind=HOST,
    shape=lambda specs, attrs, static_values: [
        Spec(tuple(s) if s is not None else None, np.dtype(t))
        for t, s in zip(attrs["output_types"], attrs["output_shapes"])
    ],
)
def reduce_dataset(
    input_dataset,
    *args,
    f,
    Tstate=(),
    Targuments=(),
    output_types=(),
    output_shapes=(),
    use_inter_op_parallelism=True,
    _host=False,
    _seeds=(),
):
    state = tuple(np.asarray(s) for s in args[: len(Tstate)])
    fn = _function(f, args[len(Tstate) :], _host, _seeds)
    for element in as_dataset(input_dataset).iterate():
        state = fn(state + tuple(element))
    return state


# -- iterators ----------------------------------------------------------------------------------


class IteratorResource:
    """A session's iterator: `initialize` starts a pass over a dataset, `get_next` pulls."""

    def __init__(self, name: str, output_types, output_shapes, factory=None):
        self.name = name
        self.output_types = tuple(np.dtype(t) for t in output_types)
        self.output_shapes = output_shapes
        self._factory = factory
        self._elements = None
        self._lock = threading.Lock()
        self._cancelled = False

    def initialize(self, dataset: DatasetValue) -> None:
        with self._lock:
            self._close()
            self._elements = dataset.iterate()

    def get_next(self) -> Element:
        with self._lock:
            if self._cancelled:
                raise CancelledError(None, None, "Iterator was cancelled (session closed)")
            if self._elements is None and self._factory is not None:
                self._elements = as_dataset(self._factory()[0]).iterate()
            if self._elements is None:
                raise FailedPreconditionError(
                    None,
                    None,
                    "GetNext() failed because the iterator has not been "
                    "initialized. Ensure that you have run the initializer operation for this "
                    f"iterator before getting the next element (iterator '{self.name}').",
                )
            try:
                element = next(self._elements)
            except StopIteration:
                raise OutOfRangeError(None, None, "End of sequence") from None
        self._check(element)
        return element

    def _check(self, element: Element) -> None:
        for i, (c, t) in enumerate(zip(element, self.output_types)):
            if np.asarray(c).dtype != t and not (t == _OBJECT and np.asarray(c).dtype.kind in "SO"):
                raise InvalidArgumentError(
                    None,
                    None,
                    f"Iterator '{self.name}': component {i} has dtype "
                    f"{np.asarray(c).dtype.name}, expected {t.name}",
                )

    def _close(self) -> None:
        close = getattr(self._elements, "close", None)
        if close is not None:
            close()
        self._elements = None

    def cancel(self) -> None:
        """Stops background work (the session is closing); a running get_next finishes."""
        self._cancelled = True
        close = getattr(self._elements, "close", None)
        if close is not None:
            try:
                close()
            except ValueError:  # a generator running in another thread: it ends with it
                pass


def _handle_shape(specs, attrs, static_values):
    return [Spec((), _OBJECT)]


def _element_specs(specs, attrs, static_values):
    return [
        Spec(tuple(s) if s is not None else None, np.dtype(t))
        for t, s in zip(attrs["output_types"], attrs["output_shapes"])
    ]


@register("IteratorV2", kind=HOST, effects=MAKES_RESOURCE, shape=_handle_shape)
def iterator_v2(name, *, shared_name="", container="", output_types=(), output_shapes=()):
    resource_name(name, shared_name, container)  # its id in TF's count; messages name the op
    return IteratorResource(name, output_types, output_shapes)


@register("OneShotIterator", kind=HOST, effects=MAKES_RESOURCE, shape=_handle_shape)
def one_shot_iterator(
    name, *, dataset_factory, output_types=(), output_shapes=(), container="", shared_name=""
):
    resource_name(name, shared_name, container)  # its id in TF's count; messages name the op
    return IteratorResource(name, output_types, output_shapes, factory=dataset_factory)


@register("MakeIterator", kind=HOST, effects=Effects(resources=("iterator",)), shape=lambda *a: [])
def make_iterator(dataset, iterator):
    iterator.initialize(as_dataset(dataset))
    return ()


@register(
    "IteratorGetNext", kind=HOST, effects=Effects(resources=("iterator",)), shape=_element_specs
)
def iterator_get_next(iterator, *, output_types=(), output_shapes=()):
    return iterator.get_next()


@register(
    "IteratorToStringHandle",
    kind=HOST,
    effects=Effects(resources=("resource_handle",)),
    shape=lambda *a: [Spec((), _OBJECT)],
)
def iterator_to_string_handle(resource_handle):
    return np.array(resource_handle.name.encode(), dtype=object)


@register("IteratorFromStringHandleV2", kind=HOST, shape=_handle_shape)
def iterator_from_string_handle_v2(string_handle, *, output_types=(), output_shapes=()):
    return np.asarray(string_handle, dtype=object)
