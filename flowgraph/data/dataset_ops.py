"""tf.data.Dataset in TF1 graph mode: a dataset is a graph op producing a variant tensor.

A Dataset object describes its op (type, input datasets, tensors, attrs); the op is added
to a graph when an iterator (or another op) needs it, once per graph. Functions given to
`map`, `filter`, `flat_map`, ... are traced once, when the dataset is built, into function
attrs (as `tf.cond` branches are) and compiled by the runtime.
"""

from __future__ import annotations

import weakref
from typing import Callable

import numpy as np

from flowgraph.data import structure
from flowgraph.data.map_vectorization import batched_parse
from flowgraph.data.structure import Spec
from flowgraph.framework import dtypes, random_seed, tensor_shape
from flowgraph.framework.func_graph import FuncGraph, to_function
from flowgraph.framework.ops import (
    Graph,
    Tensor,
    apply_op,
    get_default_graph,
)
from flowgraph.framework.sparse_tensor import SparseTensor

AUTOTUNE = -1


class _DatasetClass:
    """The `output_classes` leaf of a nested dataset (an element of `window`)."""

    def __init__(self, specs):
        self.specs = specs

    def __repr__(self) -> str:
        return f"DatasetSpec({structure.describe(self.specs)})"

    def wrap(self, variant: Tensor) -> "Dataset":
        return _Variant(variant, self.specs)


class Dataset:
    """A potentially large set of elements (TF1's `tf.data.Dataset`).

    Example:
      >>> ds = tf.data.Dataset.from_tensor_slices(([1, 2, 3], [4, 5, 6])).map(lambda a, b: a + b)
      >>> nxt = ds.make_one_shot_iterator().get_next()
      >>> sess.run(nxt)   # 5
    """

    def __init__(self, specs, op_type: str, inputs=(), tensors=(), **attrs):
        self._specs = specs
        self._op_type = op_type
        self._input_datasets = list(inputs)
        self._tensors = list(tensors)
        self._attrs = attrs
        self._variants: "weakref.WeakKeyDictionary[Graph, Tensor]" = weakref.WeakKeyDictionary()

    # -- the op -------------------------------------------------------------------------------

    def _variant_tensor(self) -> Tensor:
        """This dataset's variant tensor in the default graph (built there once)."""
        graph = get_default_graph()
        variant = self._variants.get(graph)
        if variant is None:
            variant = self._variants[graph] = self._build()
        return variant

    def _build(self) -> Tensor:
        inputs = [d._variant_tensor() for d in self._input_datasets] + list(self._tensors)
        attrs = dict(self._attrs)
        for key, value in (
            ("output_types", structure.types_attr(self._specs)),
            ("output_shapes", structure.shapes_attr(self._specs)),
        ):
            if key not in attrs:
                attrs[key] = value
            elif attrs[key] is None:  # an op type without this attr
                del attrs[key]
        out = apply_op(self._op_type, inputs, **attrs)
        out._dtype = dtypes.variant
        return out

    # -- structure ----------------------------------------------------------------------------

    @property
    def output_types(self):
        """The type of each component of an element (a nest like the elements)."""
        return structure.output_types(self._specs)

    @property
    def output_shapes(self):
        """The static shape of each component of an element."""
        return structure.output_shapes(self._specs)

    @property
    def output_classes(self):
        """The class (Tensor, SparseTensor) of each component of an element."""
        return structure.output_classes(self._specs)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} shapes: {self.output_shapes}, types: {self.output_types}>"

    # -- iterators ----------------------------------------------------------------------------

    def make_one_shot_iterator(self):
        """An iterator that initializes itself on first use (a `OneShotIterator` op).

        The dataset may capture constants but no placeholders or variables.
        """
        from flowgraph.data import iterator_ops

        return iterator_ops.one_shot(self)

    def make_initializable_iterator(self, shared_name=None):
        """An iterator whose `initializer` op (re)starts it; its dataset may read fed
        placeholders (fed to the initializer run)."""
        from flowgraph.data import iterator_ops

        iterator = iterator_ops.Iterator.from_structure(
            self.output_types, self.output_shapes, shared_name, self.output_classes
        )
        iterator._initializer = iterator.make_initializer(self)
        return iterator

    # -- sources ------------------------------------------------------------------------------

    @staticmethod
    def from_tensors(tensors):
        """A dataset of one element, `tensors`."""
        tensors = structure.to_tensors(tensors)
        specs = structure.map_structure(structure.spec_of, tensors)
        components = structure.components(tensors)
        return Dataset(
            specs,
            "TensorDataset",
            tensors=components,
            Toutput_types=tuple(c.dtype.base_dtype.numpy_dtype for c in components),
            output_shapes=structure.shapes_attr(specs),
            output_types=None,
        )

    @staticmethod
    def from_tensor_slices(tensors):
        """A dataset whose elements are the slices of `tensors` along their first dimension
        (a SparseTensor's slices are SparseTensors of one rank less)."""
        tensors = structure.to_tensors(tensors)
        leaves = structure.flatten(tensors)
        first = tensor_shape.Dimension(None)
        for leaf in leaves:
            leaf.shape.with_rank_at_least(1)
            if not isinstance(leaf, SparseTensor):  # TF checks a sparse one's size at run time
                first = _merge_dim(first, leaf.shape[0])
        specs = structure.map_structure(
            lambda t: Spec(t.dtype.base_dtype, t.shape[1:], structure.spec_of(t).cls), tensors
        )
        components = structure.components(tensors, rows=True)
        return Dataset(
            specs,
            "TensorSliceDataset",
            tensors=components,
            Toutput_types=tuple(c.dtype.base_dtype.numpy_dtype for c in components),
            output_shapes=structure.shapes_attr(specs),
            output_types=None,
        )

    @staticmethod
    def from_sparse_tensor_slices(sparse_tensor):
        """(indices, values, dense_shape) triples of dense tensors, one per slice of
        `sparse_tensor` along its first dimension (TF1's deprecated form of
        `from_tensor_slices` of a SparseTensor)."""
        if not isinstance(sparse_tensor, SparseTensor):
            raise TypeError(
                "`sparse_tensor` must be a `tf.sparse.SparseTensor` object. Was "
                f"{sparse_tensor!r}."
            )
        rank = tensor_shape.dimension_value(sparse_tensor.dense_shape.shape[0])
        slice_rank = None if rank is None else rank - 1
        specs = (
            Spec(dtypes.int64, tensor_shape.TensorShape([None, slice_rank]), Tensor),
            Spec(sparse_tensor.dtype.base_dtype, tensor_shape.TensorShape([None]), Tensor),
            Spec(dtypes.int64, tensor_shape.TensorShape([slice_rank]), Tensor),
        )
        return Dataset(
            specs,
            "SparseTensorSliceDataset",
            tensors=[sparse_tensor.indices, sparse_tensor.values, sparse_tensor.dense_shape],
            Tvalues=sparse_tensor.dtype.base_dtype.numpy_dtype,
            output_types=None,
            output_shapes=None,
        )

    @staticmethod
    def range(*args):
        """`range(stop)`, `range(start, stop)` or `range(start, stop, step)` as int64."""
        start, stop, step = _range_args(args)
        from flowgraph.ops.constant_op import convert_to_tensor

        tensors = [convert_to_tensor(v, dtype=dtypes.int64) for v in (start, stop, step)]
        return Dataset(
            Spec(dtypes.int64, tensor_shape.TensorShape([]), Tensor),
            "RangeDataset",
            tensors=tensors,
        )

    @staticmethod
    def zip(datasets):
        """Elements of `datasets` (a nest of datasets) side by side, like Python's zip."""
        leaves = structure.flatten(datasets)
        for d in leaves:
            if not isinstance(d, Dataset):
                raise TypeError(
                    f"The argument to `Dataset.zip()` must be a (nested) structure "
                    f"of `Dataset` objects, got {type(d).__name__}."
                )
        specs = structure.pack(datasets, [d._specs for d in leaves])
        return Dataset(specs, "ZipDataset", inputs=leaves, N=len(leaves))

    @staticmethod
    def from_generator(generator, output_types, output_shapes=None, args=None):
        """A dataset of the values a Python generator yields (each call starts it anew).

        The generator runs in the session's process; such a graph cannot be serialised.
        """
        from kernels import dataset as dataset_kernels

        specs = structure.specs_from(output_types, output_shapes)
        call = (lambda: generator(*args)) if args else generator
        flat_specs = structure.flatten(specs)

        def flat():
            for value in call():
                leaves = structure.flatten(value) if isinstance(value, (tuple, dict)) else [value]
                if len(leaves) != len(flat_specs):
                    yield value  # the kernel reports the mismatch
                else:
                    yield tuple(leaves) if len(leaves) > 1 else leaves[0]

        token = dataset_kernels.register_generator(flat)
        return Dataset(specs, "PyGeneratorDataset", _generator_token=token)

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None):
        """The file names matching `file_pattern` (shuffled unless `shuffle=False`)."""
        from flowgraph.ops import array_ops, file_io_ops

        names = file_io_ops.matching_files(file_pattern)
        files = Dataset.from_tensor_slices(array_ops.reshape(names, [-1]))
        if shuffle is False:
            return files
        from flowgraph.ops.array_ops import size

        return files.shuffle(size(names, out_type=dtypes.int64), seed=seed)

    # -- transformations ----------------------------------------------------------------------

    def map(self, map_func, num_parallel_calls=None):
        """Applies `map_func` to each element. A tuple element is passed as arguments.

        `map_func` is traced once into a graph function; with `num_parallel_calls`
        (or `tf.data.experimental.AUTOTUNE`) several elements are mapped at once.
        """
        fn = _trace(map_func, self._specs, "Dataset.map()", vectorize=True)
        if num_parallel_calls is None:
            return fn.dataset(self, "MapDataset", preserve_cardinality=True)
        return fn.dataset(
            self,
            "ParallelMapDatasetV2",
            extra=[_int64(num_parallel_calls)],
            deterministic="default",
            preserve_cardinality=True,
        )

    def flat_map(self, map_func):
        """Maps each element to a dataset and flattens the results in order."""
        fn = _trace(map_func, self._specs, "Dataset.flat_map()", datasets=True)
        return fn.dataset(self, "FlatMapDataset", specs=fn.specs.cls.specs)

    def interleave(self, map_func, cycle_length=AUTOTUNE, block_length=1, num_parallel_calls=None):
        """Maps each element to a dataset and interleaves `cycle_length` of them,
        `block_length` consecutive elements from each in turn."""
        fn = _trace(map_func, self._specs, "Dataset.interleave()", datasets=True)
        extra = [_int64(cycle_length), _int64(block_length)]
        specs = fn.specs.cls.specs
        if num_parallel_calls is None:
            return fn.dataset(self, "InterleaveDataset", extra=extra, specs=specs)
        extra += [_int64(-1), _int64(-1), _int64(num_parallel_calls)]
        return fn.dataset(
            self, "ParallelInterleaveDatasetV4", extra=extra, specs=specs, deterministic="default"
        )

    def filter(self, predicate):
        """Keeps the elements for which `predicate` returns a scalar `True`."""
        fn = _trace(predicate, self._specs, "Dataset.filter()")
        out = fn.specs
        if (
            not isinstance(out, Spec)
            or out.dtype != dtypes.bool
            or out.shape.ndims
            not in (
                0,
                None,
            )
        ):
            raise ValueError(
                "`predicate` return type must be convertible to a scalar boolean "
                f"tensor. Was {structure.describe(out)}."
            )
        return fn.dataset(self, "FilterDataset", specs=self._specs, func_attr="predicate")

    def batch(self, batch_size, drop_remainder=False):
        """Stacks `batch_size` consecutive elements into one (the last may be smaller)."""
        specs = _batched(self._specs, batch_size if drop_remainder else None)
        return Dataset(
            specs,
            "BatchDatasetV2",
            inputs=[self],
            tensors=[_int64(batch_size), _bool(drop_remainder)],
            parallel_copy=False,
        )

    def padded_batch(self, batch_size, padded_shapes, padding_values=None, drop_remainder=False):
        """Like `batch`, padding each component to `padded_shapes` (-1/None: the longest
        in the batch) with `padding_values` (default 0 or b"")."""
        leaves = structure.flatten(self._specs)
        shapes = _broadcast_structure(padded_shapes, self._specs, "padded_shapes")
        values = _broadcast_structure(padding_values, self._specs, "padding_values")
        shape_tensors, value_tensors, out = [], [], []
        from flowgraph.ops.constant_op import convert_to_tensor

        for spec, shape, value in zip(leaves, shapes, values):
            if spec.cls is not Tensor:
                raise TypeError(
                    "`padded_batch` is only supported for datasets that produce tensor "
                    "elements but type spec of elements in the input dataset is not a "
                    f"subclass of TensorSpec: `{_spec_name(spec)}`."
                )
            shape = tensor_shape.as_shape(shape)
            dims = [-1 if d is None else d for d in shape.as_tuple()]
            shape_tensors.append(convert_to_tensor(np.array(dims, np.int64)))
            default = b"" if spec.dtype == dtypes.string else 0
            value_tensors.append(
                convert_to_tensor(default if value is None else value, dtype=spec.dtype)
            )
            static = [d if d is not None and d >= 0 else None for d in shape.as_tuple()]
            out.append(Spec(spec.dtype, tensor_shape.TensorShape(static), Tensor))
        specs = _batched(structure.pack(self._specs, out), batch_size if drop_remainder else None)
        return Dataset(
            specs,
            "PaddedBatchDatasetV2",
            inputs=[self],
            tensors=[_int64(batch_size), *shape_tensors, *value_tensors, _bool(drop_remainder)],
            Toutput_types=structure.types_attr(specs),
            output_types=None,
            N=len(leaves),
            parallel_copy=False,
        )

    def unbatch(self):
        """Splits each element along its first dimension into separate elements."""
        flat = structure.flatten(self._specs)
        if any(s.shape.ndims == 0 and s.cls is SparseTensor for s in flat):
            raise ValueError(
                "Unbatching a sparse tensor is only supported for rank >= 1. Obtained input: "
                f"{_spec_name(next(s for s in flat if s.cls is SparseTensor))}."
            )
        if any(s.shape.ndims == 0 for s in flat):
            raise ValueError("Cannot unbatch an input with scalar components.")
        specs = structure.map_structure(
            lambda s: Spec(s.dtype, s.shape.with_rank_at_least(1)[1:], s.cls), self._specs
        )
        return Dataset(specs, "UnbatchDataset", inputs=[_sparse_as_rows(self)])

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None):
        """Shuffles elements through a buffer of `buffer_size` (a uniform shuffle when it
        holds the whole dataset); each pass reshuffles unless `reshuffle_each_iteration`
        is False."""
        seed, seed2 = random_seed.get_seed(seed)
        return Dataset(
            self._specs,
            "ShuffleDataset",
            inputs=[self],
            tensors=[_int64(buffer_size), _int64(seed or 0), _int64(seed2 or 0)],
            reshuffle_each_iteration=reshuffle_each_iteration is not False,
        )

    def repeat(self, count=None):
        """Repeats this dataset `count` times (forever if None or -1)."""
        return Dataset(
            self._specs,
            "RepeatDataset",
            inputs=[self],
            tensors=[_int64(-1 if count is None else count)],
        )

    def take(self, count):
        """The first `count` elements (all if -1)."""
        return Dataset(self._specs, "TakeDataset", inputs=[self], tensors=[_int64(count)])

    def skip(self, count):
        """All but the first `count` elements (none if -1)."""
        return Dataset(self._specs, "SkipDataset", inputs=[self], tensors=[_int64(count)])

    def shard(self, num_shards, index):
        """Every `num_shards`-th element, starting at `index`."""
        return Dataset(
            self._specs,
            "ShardDataset",
            inputs=[self],
            tensors=[_int64(num_shards), _int64(index)],
            require_non_empty=False,
        )

    def concatenate(self, dataset):
        """This dataset's elements followed by `dataset`'s (same types and structure)."""
        if not structure.same_structure(self._specs, dataset._specs) or (
            self.output_types != dataset.output_types
        ):
            raise TypeError(
                f"Two datasets to concatenate have different types {self.output_types} and "
                f"{dataset.output_types}"
            )
        specs = structure.pack(
            self._specs,
            [
                Spec(a.dtype, a.shape.most_specific_compatible_shape(b.shape), a.cls)
                for a, b in zip(structure.flatten(self._specs), structure.flatten(dataset._specs))
            ],
        )
        return Dataset(specs, "ConcatenateDataset", inputs=[self, dataset])

    def prefetch(self, buffer_size):
        """Produces up to `buffer_size` elements ahead on a background thread, overlapping
        input work with the training step."""
        return Dataset(self._specs, "PrefetchDataset", inputs=[self], tensors=[_int64(buffer_size)])

    def cache(self, filename=""):
        """Keeps the elements of the first complete pass (in memory, or in files under
        `filename`) and replays them on later passes."""
        from flowgraph.ops.constant_op import convert_to_tensor

        return Dataset(
            self._specs,
            "CacheDataset",
            inputs=[self],
            tensors=[convert_to_tensor(filename, dtype=dtypes.string)],
        )

    def window(self, size, shift=None, stride=1, drop_remainder=False):
        """Elements of nested datasets, each of up to `size` consecutive elements, windows
        starting every `shift` elements and taking every `stride`-th."""
        specs = structure.map_structure(
            lambda s: Spec(
                dtypes.variant,
                tensor_shape.TensorShape([]),
                _DatasetClass(Spec(s.dtype, s.shape, s.cls)),
            ),
            self._specs,
        )
        shift = size if shift is None else shift
        return Dataset(
            specs,
            "WindowDataset",
            inputs=[self],
            tensors=[_int64(size), _int64(shift), _int64(stride), _bool(drop_remainder)],
        )

    def enumerate(self, start=0):
        """(index, element) pairs, counting from `start`."""
        counter = Dataset.range(start, np.iinfo(np.int64).max)
        return Dataset.zip((counter, self))

    def apply(self, transformation_func):
        """`transformation_func(self)`, which must return a Dataset."""
        out = transformation_func(self)
        if not isinstance(out, Dataset):
            raise TypeError("`transformation_func` must return a Dataset.")
        return out

    def reduce(self, initial_state, reduce_func):
        """Folds `reduce_func(state, element) -> state` over the dataset; a tensor."""
        state = structure.to_tensors(initial_state)
        state_specs = structure.map_structure(structure.spec_of, state)
        fn = _trace(
            reduce_func,
            (state_specs, self._specs),
            "Dataset.reduce()",
            unpack=True,
            split=len(structure.components(state)),
        )
        if not structure.same_structure(fn.specs, state_specs) or [
            s.dtype for s in structure.flatten(fn.specs)
        ] != [s.dtype for s in structure.flatten(state_specs)]:
            raise TypeError(
                f"The element types for the new state must match the initial state. Expected "
                f"{structure.describe(state_specs)}; got {structure.describe(fn.specs)}."
            )
        components = structure.components(state)
        out = apply_op(
            "ReduceDataset",
            [self._variant_tensor(), *components, *fn.captured],
            f=fn.function,
            Tstate=tuple(c.dtype.base_dtype.numpy_dtype for c in components),
            Targuments=tuple(c.dtype.base_dtype.numpy_dtype for c in fn.captured),
            output_types=structure.types_attr(state_specs),
            output_shapes=structure.shapes_attr(state_specs),
            use_inter_op_parallelism=True,
            _host=fn.host,
            _seeds=fn.seeds,
        )
        outs = list(out) if isinstance(out, tuple) else [out]
        return structure.from_components(state_specs, outs)


DatasetV1 = Dataset


class _Variant(Dataset):
    """A dataset known only as a variant tensor (an element of `window`)."""

    def __init__(self, variant: Tensor, specs):
        super().__init__(specs, "")
        self._variant = variant

    def _variant_tensor(self) -> Tensor:
        return self._variant


# -- tracing functions --------------------------------------------------------------------------


class _Traced:
    """A function traced for a dataset op: its Function, captured tensors, output specs;
    `seeds` (seed, seed2) when it draws random numbers (the kernel feeds it keys)."""

    def __init__(self, function, captured, specs, host, seeds, batched=None):
        self.function, self.captured, self.specs = function, captured, specs
        self.host, self.seeds = host, seeds
        self.batched = batched  # the function over a batch, where batch-then-map may fuse

    def dataset(self, input_dataset, op_type, extra=(), specs=None, func_attr="f", **attrs):
        return Dataset(
            self.specs if specs is None else specs,
            op_type,
            inputs=[input_dataset],
            tensors=[*self.captured, *extra],
            Targuments=tuple(t.dtype.base_dtype.numpy_dtype for t in self.captured),
            _host=self.host,
            _seeds=self.seeds,
            **({"_batched": self.batched} if self.batched is not None else {}),
            **{func_attr: self.function},
            **attrs,
        )


def _trace(
    fn: Callable,
    specs,
    what: str,
    datasets=False,
    unpack=True,
    split=None,
    vectorize=False,
    rows=False,
) -> _Traced:
    """Traces `fn` over an element of `specs` into a function attr (TF's
    StructuredFunctionWrapper); with `vectorize`, also its batched form where one exists;
    with `rows`, SparseTensor results as rows along their first dimension."""
    outer = get_default_graph()
    graph = FuncGraph(_function_name(fn, what), outer)
    with graph.as_default():
        arguments = [
            graph.add_argument(dtype, shape, "arg")
            for dtype, shape in structure.component_specs(specs)
        ]
        element = _element(specs, arguments, split)
        if unpack and isinstance(element, tuple) and not hasattr(element, "_fields"):
            result = fn(*element)
        else:
            result = fn(element)
        result = _normalize_result(result, what, datasets)
        out_specs = structure.map_structure(_result_spec, result)
        outputs = [_in_graph(graph, t) for t in structure.components(result, rows)]
    captured = list(graph.captured_outer)
    seeds, rng = (), None
    if graph.uses_rng():
        seed, seed2 = random_seed.get_seed(None)
        seeds, rng = (seed or 0, seed2 or 0), len(arguments) + len(captured)
    function = to_function(graph, arguments, outputs, arguments + captured, (), rng)
    batched = batched_parse(graph, outputs) if vectorize else None
    return _Traced(function, captured, out_specs, bool(graph.host_ops()), seeds, batched)


def _sparse_as_rows(dataset: Dataset) -> Dataset:
    """`dataset` with its SparseTensor components as rows [n, 3] along their first
    dimension, so that unbatch splits them as dense ones (TF's normalize_to_dense)."""
    if all(s.cls is not SparseTensor for s in structure.flatten(dataset._specs)):
        return dataset
    fn = _trace(lambda *x: x[0] if len(x) == 1 else x, dataset._specs, "unbatch", rows=True)
    return fn.dataset(dataset, "MapDataset", specs=dataset._specs, preserve_cardinality=True)


def _spec_name(spec: Spec) -> str:
    kind = "SparseTensorSpec" if spec.cls is SparseTensor else "TypeSpec"
    dims = "None" if spec.shape.ndims is None else spec.shape.as_list()
    return f"{kind}(TensorShape({dims}), tf.{spec.dtype.name})"


def _element(specs, arguments, split):
    if split is None:
        return structure.from_components(specs, arguments)
    state_specs, element_specs = specs
    state = structure.from_components(state_specs, arguments[:split])
    element = structure.from_components(element_specs, arguments[split:])
    return (state, element)


def _function_name(fn, what: str) -> str:
    base = getattr(fn, "__name__", "fn").replace("<", "").replace(">", "")
    return f"{what.split('(')[0].replace('.', '_')}_{base}"


def _normalize_result(result, what: str, datasets: bool):
    if datasets:
        if not isinstance(result, Dataset):
            raise TypeError(
                f"`map_func` of {what} must return a `Dataset` object. Got {type(result).__name__}."
            )
        return result
    if isinstance(result, list):
        result = tuple(result)  # TF converts a returned list to a tuple, with a warning
    return structure.to_tensors(result)


def _result_spec(value) -> Spec:
    if isinstance(value, Dataset):
        return Spec(dtypes.variant, tensor_shape.TensorShape([]), _DatasetClass(value._specs))
    return structure.spec_of(value)


def _in_graph(graph: FuncGraph, value) -> Tensor:
    if isinstance(value, Dataset):
        return value._variant_tensor()
    if value.graph is not graph:
        return graph.capture(value)
    if value.dtype._is_ref_dtype:
        from flowgraph.ops import array_ops

        return array_ops.identity(value)
    return value


# -- helpers ------------------------------------------------------------------------------------


def _int64(value) -> Tensor:
    from flowgraph.ops.constant_op import convert_to_tensor
    from flowgraph.ops.math_ops import cast

    if isinstance(value, (int, np.integer)):
        return convert_to_tensor(value, dtype=dtypes.int64)
    t = convert_to_tensor(value)
    return t if t.dtype.base_dtype == dtypes.int64 else cast(t, dtypes.int64)


def _bool(value) -> Tensor:
    from flowgraph.ops.constant_op import convert_to_tensor

    return convert_to_tensor(value, dtype=dtypes.bool)


def _merge_dim(a, b):
    try:
        return a.merge_with(b)
    except ValueError:
        raise ValueError(
            f"Dimensions {a} and {b} are not compatible: all components must have the same "
            "size in dimension 0"
        ) from None


def _range_args(args):
    if len(args) == 1:
        return 0, args[0], 1
    if len(args) == 2:
        return args[0], args[1], 1
    if len(args) == 3:
        return args
    raise ValueError(f"Invalid arguments to Dataset.range: {args}")


def _batched(specs, batch: int | None):
    size = batch if isinstance(batch, (int, np.integer)) else None

    def one(s: Spec) -> Spec:
        if isinstance(s.cls, _DatasetClass):
            raise TypeError("Cannot batch a dataset of datasets")
        return Spec(s.dtype, tensor_shape.TensorShape([size]).concatenate(s.shape), s.cls)

    return structure.map_structure(one, specs)


def _broadcast_structure(value, specs, what: str) -> list:
    """`value` as one entry per leaf of `specs` (None or a scalar applies to all)."""
    leaves = structure.flatten(specs)
    if value is None:
        return [None] * len(leaves)
    if isinstance(specs, Spec):
        return [value]
    if not structure.same_structure(value, specs):
        raise ValueError(f"The structure of `{what}` does not match the dataset's elements")
    return structure.flatten(value)
