"""tf.data iterators: per-session resources (IteratorV2, OneShotIterator) that `get_next`
pulls elements from."""

from __future__ import annotations

from flowgraph.data import structure
from flowgraph.framework import dtypes
from flowgraph.framework.func_graph import FuncGraph, to_function
from flowgraph.framework.ops import Operation, Tensor, apply_op, get_default_graph, init_scope
from flowgraph.framework.sparse_tensor import SparseTensor
from kernels import registry


class Iterator:
    """Represents the state of iterating through a Dataset (TF1's `tf.data.Iterator`).

    Example:
      >>> it = tf.data.Iterator.from_structure(tf.int64, tf.TensorShape([]))
      >>> init = it.make_initializer(tf.data.Dataset.range(3))
      >>> nxt = it.get_next()
      >>> sess.run(init); sess.run(nxt)   # 0
    """

    def __init__(self, iterator_resource: Tensor, initializer, specs):
        self._iterator_resource = iterator_resource
        self._initializer = initializer
        self._specs = specs

    @staticmethod
    def from_structure(output_types, output_shapes=None, shared_name=None, output_classes=None):
        """An uninitialized iterator over elements of this structure; `make_initializer`
        binds it to a dataset of the same structure."""
        specs = structure.specs_from(output_types, output_shapes, output_classes)
        resource = _resource(
            "IteratorV2",
            "Iterator",
            shared_name=shared_name or "",
            container="",
            output_types=structure.types_attr(specs),
            output_shapes=structure.shapes_attr(specs),
        )
        return Iterator(resource, None, specs)

    @staticmethod
    def from_string_handle(string_handle, output_types, output_shapes=None, output_classes=None):
        """An iterator that uses the iterator whose `string_handle()` value is fed to
        `string_handle` (switching between, e.g., training and validation iterators)."""
        specs = structure.specs_from(output_types, output_shapes, output_classes)
        resource = apply_op(
            "IteratorFromStringHandleV2",
            [string_handle],
            output_types=structure.types_attr(specs),
            output_shapes=structure.shapes_attr(specs),
        )
        resource._dtype = dtypes.resource
        return Iterator(resource, None, specs)

    @property
    def initializer(self):
        """The op that (re)starts this iterator over its dataset."""
        if self._initializer is None:
            raise ValueError(
                "Iterator does not have an initializer. Use make_initializable_iterator() or "
                "make_initializer(dataset)."
            )
        return self._initializer

    def make_initializer(self, dataset, name=None):
        """An op that starts this iterator over `dataset` (a `MakeIterator` op)."""
        if not structure.same_structure(self._specs, dataset._specs) or [
            s.dtype for s in structure.flatten(self._specs)
        ] != [s.dtype for s in structure.flatten(dataset._specs)]:
            raise TypeError(
                f"Expected output types {structure.describe(self._specs)} but got dataset "
                f"with output types {structure.describe(dataset._specs)}."
            )
        if [s.cls is SparseTensor for s in structure.flatten(self._specs)] != [
            s.cls is SparseTensor for s in structure.flatten(dataset._specs)
        ]:
            raise TypeError(
                f"Expected output classes {structure.output_classes(self._specs)} but got "
                f"dataset with output classes {dataset.output_classes}."
            )
        for mine, theirs in zip(structure.flatten(self._specs), structure.flatten(dataset._specs)):
            if not mine.shape.is_compatible_with(theirs.shape):
                raise TypeError(
                    f"Expected output shapes compatible with {structure.output_shapes(self._specs)}"
                    f" but got dataset with output shapes {dataset.output_shapes}."
                )
        return apply_op(
            "MakeIterator",
            [dataset._variant_tensor(), self._iterator_resource],
            name=name or "MakeIterator",
        )

    def get_next(self, name=None):
        """The next element (a nest like `output_types`); running it past the end raises
        `tf.errors.OutOfRangeError`."""
        out = apply_op(
            "IteratorGetNext",
            [self._iterator_resource],
            name=name or "IteratorGetNext",
            output_types=structure.types_attr(self._specs),
            output_shapes=structure.shapes_attr(self._specs),
        )
        outputs = list(out) if isinstance(out, tuple) else [out]
        return structure.from_components(self._specs, outputs)

    def string_handle(self, name=None):
        """A string tensor naming this iterator, to feed to `from_string_handle`."""
        return apply_op("IteratorToStringHandle", [self._iterator_resource], name=name)

    @property
    def output_types(self):
        return structure.output_types(self._specs)

    @property
    def output_shapes(self):
        return structure.output_shapes(self._specs)

    @property
    def output_classes(self):
        return structure.output_classes(self._specs)


def one_shot(dataset) -> Iterator:
    """A `OneShotIterator` whose dataset is built by a function of no arguments."""
    graph = _FactoryGraph("make_dataset", get_default_graph())
    with graph.as_default():
        variant = dataset._variant_tensor()
    factory = to_function(graph, [], [variant], [], (), None)
    resource = _resource(
        "OneShotIterator",
        "OneShotIterator",
        dataset_factory=factory,
        output_types=structure.types_attr(dataset._specs),
        output_shapes=structure.shapes_attr(dataset._specs),
        container="",
        shared_name="",
    )
    return Iterator(resource, None, dataset._specs)


class _FactoryGraph(FuncGraph):
    """A one-shot iterator's dataset function: it may copy constants of the outer graph,
    never capture its other tensors (they are not there when the iterator starts)."""

    def capture(self, tensor: Tensor) -> Tensor:
        if tensor.graph is self:
            return tensor
        inner = self.captures.get(tensor)
        if inner is None:
            inner = self.captures[tensor] = self._copy(tensor.op)[tensor.value_index]
        return inner

    def _copy(self, op) -> list[Tensor]:
        """`op` rebuilt in this graph from copies of its inputs (stateless ops only)."""
        if op.type == "Placeholder" or op.type.startswith("Placeholder"):
            raise ValueError(
                f"Cannot capture a placeholder (name:{op.name}, type:{op.type}) by value. "
                "Use make_initializable_iterator() for datasets that read placeholders."
            )
        if registry.lookup(op.type).stateful or any(t.dtype._is_ref_dtype for t in op.outputs):
            raise ValueError(
                f"Failed to capture {op.type} op '{op.name}' by value in "
                "make_one_shot_iterator(): it is stateful. Use make_initializable_iterator()."
            )
        inputs = [self.capture(t) for t in op.inputs]
        with self.as_default(), self.control_dependencies(None), self.name_scope(None):
            out = apply_op(op.type, inputs, name=op.name.rpartition("/")[2], **op._attrs)
        outs = out.outputs if isinstance(out, Operation) else out
        return list(outs) if isinstance(outs, (tuple, list)) else [outs]


def _resource(op_type: str, name: str, **attrs) -> Tensor:
    with init_scope():
        handle = apply_op(op_type, [], name=name, **attrs)
    handle._dtype = dtypes.resource
    return handle


def make_one_shot_iterator(dataset) -> Iterator:
    """`dataset.make_one_shot_iterator()` (tf.compat.v1.data.make_one_shot_iterator)."""
    return dataset.make_one_shot_iterator()


def make_initializable_iterator(dataset, shared_name=None) -> Iterator:
    """`dataset.make_initializable_iterator()`."""
    return dataset.make_initializable_iterator(shared_name)


def get_output_types(dataset_or_iterator):
    return dataset_or_iterator.output_types


def get_output_shapes(dataset_or_iterator):
    return dataset_or_iterator.output_shapes


def get_output_classes(dataset_or_iterator):
    return dataset_or_iterator.output_classes
