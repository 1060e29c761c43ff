"""Queues and conditional accumulators: `tf.FIFOQueue`, `tf.ConditionalAccumulator`, ....

A queue lives in each session (two sessions on one graph have separate queues); the graph
holds only the op that makes it, whose output is a handle that the queue's ops take.
"""

from __future__ import annotations

import functools
import hashlib

from flowgraph.framework import dtypes as _dtypes, random_seed, tensor_shape
from flowgraph.framework.indexed_slices import IndexedSlices
from flowgraph.framework.ops import Tensor, apply_op, constant_value, init_scope
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, cond_branch_values, math_ops
from flowgraph.ops.constant_op import convert_to_tensor
from kernels import data_flow  # noqa: F401  (registers the kernels)


def _as_type_list(dtypes) -> list[_dtypes.DType]:
    if not isinstance(dtypes, (list, tuple)):
        dtypes = [dtypes]
    return [_dtypes.as_dtype(t) for t in dtypes]


def _as_shape_list(shapes, unknown_dim_allowed=False) -> list | None:
    """TF1's reading of a queue's `shapes`: one shape or a list of them."""
    if unknown_dim_allowed and (
        not isinstance(shapes, (list, tuple))
        or not shapes
        or any(s is None or isinstance(s, int) for s in shapes)
    ):
        raise ValueError("When providing partial shapes, a list of shapes must be provided.")
    if shapes is None:
        return None
    if isinstance(shapes, tensor_shape.TensorShape):
        shapes = [shapes]
    if not isinstance(shapes, (tuple, list)):
        raise TypeError(
            "Shapes must be a TensorShape or a list or tuple of TensorShapes, "
            f"got {type(shapes)} instead."
        )
    if all(s is None or isinstance(s, int) for s in shapes):
        shapes = [shapes]  # a single shape
    shapes = [tensor_shape.as_shape(s) for s in shapes]
    if not unknown_dim_allowed and any(not s.is_fully_defined() for s in shapes):
        raise ValueError(f"All shapes must be fully defined: {shapes}")
    if any(s.dims is None for s in shapes):
        raise ValueError(f"All shapes must have a defined rank: {shapes}")
    return shapes


def _as_name_list(names, dtypes) -> list | None:
    if names is None:
        return None
    if not isinstance(names, (list, tuple)):
        names = [names]
    if len(names) != len(dtypes):
        raise ValueError("List of names must have the same length as the list of dtypes")
    return list(names)


def _shape_attr(shapes) -> tuple:
    return tuple(s.as_tuple() for s in shapes) if shapes else ()


def _handle(op_type: str, name: str, **attrs) -> Tensor:
    """The op that makes a session resource, built outside control dependencies."""
    with init_scope():
        ref = apply_op(op_type, [], name=name, **attrs)
    ref._dtype = _dtypes.resource
    return ref


class QueueBase:
    """Base class for queue implementations: a queue of tuples of tensors.

    Holds the queue's handle (`queue_ref`); `enqueue`, `dequeue`, ... build ops on it. In
    each session the queue is a resource of its own: ops wait when it is full or empty,
    and fail with `OutOfRangeError` once it is closed and drained.
    """

    def __init__(self, dtypes, shapes, names, queue_ref):
        self._dtypes = dtypes
        if shapes is not None:
            if len(shapes) != len(dtypes):
                raise ValueError("Queue shapes must have the same length as dtypes")
            self._shapes = [tensor_shape.TensorShape(s) for s in shapes]
        else:
            self._shapes = [tensor_shape.unknown_shape() for _ in dtypes]
        if names is not None:
            if len(names) != len(dtypes):
                raise ValueError("Queue names must have the same length as dtypes")
            self._names = names
        else:
            self._names = None
        self._queue_ref = queue_ref
        self._name = queue_ref.op.name.split("/")[-1]

    @staticmethod
    def from_list(index, queues) -> "QueueBase":
        """A queue whose ops act on `queues[index]` (all with the same dtypes and names)."""
        if (
            not queues
            or not isinstance(queues, list)
            or not all(isinstance(q, QueueBase) for q in queues)
        ):
            raise TypeError("A list of queues expected")
        dtypes = queues[0].dtypes
        if not all(dtypes == q.dtypes for q in queues[1:]):
            raise TypeError("Queues do not have matching component dtypes.")
        names = queues[0].names
        if not all(names == q.names for q in queues[1:]):
            raise TypeError("Queues do not have matching component names.")
        shapes = [functools.reduce(_shape_common, s) for s in zip(*(q.shapes for q in queues))]
        refs = array_ops.stack([q.queue_ref for q in queues])
        selected = array_ops.gather(refs, index)
        selected._dtype = _dtypes.resource
        return QueueBase(dtypes=dtypes, shapes=shapes, names=names, queue_ref=selected)

    @property
    def queue_ref(self) -> Tensor:
        """The queue's handle."""
        return self._queue_ref

    @property
    def name(self) -> str:
        """The name of the op that makes the queue (its last component)."""
        return self._queue_ref.op.name

    @property
    def dtypes(self) -> list:
        """The dtype of each component of an element."""
        return self._dtypes

    @property
    def shapes(self) -> list:
        """The static shape of each component of an element."""
        return self._shapes

    @property
    def names(self) -> list | None:
        """The name of each component, or None."""
        return self._names

    def _check_enqueue_dtypes(self, vals) -> list[Tensor]:
        if isinstance(vals, dict):
            if not self._names:
                raise ValueError("Queue must have names to enqueue a dictionary")
            if sorted(self._names, key=str) != sorted(vals.keys(), key=str):
                raise ValueError(
                    f"Keys in dictionary to enqueue do not match names of Queue.  "
                    f"Dictionary: {sorted(vals.keys())}, Queue: {sorted(self._names)}"
                )
            vals = [vals[k] for k in self._names]
        else:
            if self._names:
                raise ValueError("You must enqueue a dictionary in a Queue with names")
            if not isinstance(vals, (list, tuple)):
                vals = [vals]
        if len(vals) != len(self._dtypes):
            raise ValueError(
                f"Queue expects {len(self._dtypes)} components, but got {len(vals)}: {vals}"
            )
        return [
            convert_to_tensor(v, dtype=t, name=f"component_{i}")
            for i, (v, t) in enumerate(zip(vals, self._dtypes))
        ]

    def _scope_vals(self, vals) -> list:
        if isinstance(vals, (list, tuple)):
            return list(vals)
        if isinstance(vals, dict):
            return list(vals.values())
        return [vals]

    def enqueue(self, vals, name=None):
        """Enqueues one element; the op waits while the queue is full.

        Args:
          vals: a tensor, a list or tuple of tensors, or a dict (for a queue with names).
          name: a name for the operation.

        Returns:
          The operation that enqueues the element.

        Example:
          >>> q = tf.FIFOQueue(3, tf.float32)
          >>> sess.run(q.enqueue(1.0)); sess.run(q.dequeue())
          1.0
        """
        with name_scope(name, f"{self._name}_enqueue", self._scope_vals(vals)) as scope:
            vals = self._check_enqueue_dtypes(vals)
            for val, shape in zip(vals, self._shapes):
                val.shape.assert_is_compatible_with(shape)
            return cond_branch_values.live_op(
                vals,
                lambda vals: apply_op(
                    "QueueEnqueueV2", [self._queue_ref, *vals], name=scope, **self._types(vals)
                ),
            )

    def enqueue_many(self, vals, name=None):
        """Enqueues the slices of `vals` along dimension 0 as separate elements."""
        with name_scope(name, f"{self._name}_EnqueueMany", self._scope_vals(vals)) as scope:
            vals = self._check_enqueue_dtypes(vals)
            batch = tensor_shape.dimension_at_index(vals[0].shape.with_rank_at_least(1), 0)
            for val, shape in zip(vals, self._shapes):
                val_shape = val.shape.with_rank_at_least(1)
                batch = batch.merge_with(tensor_shape.dimension_at_index(val_shape, 0))
                val_shape[1:].assert_is_compatible_with(shape)
            return cond_branch_values.live_op(
                vals,
                lambda vals: apply_op(
                    "QueueEnqueueManyV2",
                    [self._queue_ref, *vals],
                    name=scope,
                    **self._types(vals),
                ),
            )

    def _types(self, vals) -> dict:
        return {"Tcomponents": tuple(v.dtype.base_dtype.numpy_dtype for v in vals)}

    def _component_types(self) -> tuple:
        return tuple(t.base_dtype.numpy_dtype for t in self._dtypes)

    def _dequeue_return_value(self, tensors):
        if self._names:
            return {n: tensors[i] for i, n in enumerate(self._names)}
        if len(tensors) == 1:
            return tensors[0]
        return list(tensors)

    def _outputs(self, op_or_tensors) -> list[Tensor]:
        if isinstance(op_or_tensors, Tensor):
            return [op_or_tensors]
        return list(op_or_tensors)

    def dequeue(self, name=None):
        """Dequeues one element; the op waits while the queue is empty and fails with
        `OutOfRangeError` once it is closed and empty."""
        name = self._op_name(name, "Dequeue")
        return self._dequeue("QueueDequeueV2", [], name, tensor_shape.TensorShape([]))

    def dequeue_many(self, n, name=None):
        """Dequeues `n` elements stacked along a new dimension 0 (waits for all `n`)."""
        name = self._op_name(name, "DequeueMany")
        return self._dequeue_n("QueueDequeueManyV2", n, name, known_batch=True)

    def dequeue_up_to(self, n, name=None):
        """Like `dequeue_many`, but once the queue is closed returns the fewer elements
        left (OutOfRangeError only when none are)."""
        name = self._op_name(name, "DequeueUpTo")
        return self._dequeue_n("QueueDequeueUpToV2", n, name, known_batch=False)

    def _dequeue_n(self, op_type, n, name, known_batch: bool):
        n = convert_to_tensor(n, dtype=_dtypes.int32, name="n")
        value = constant_value(n) if known_batch else None
        batch = tensor_shape.TensorShape([None if value is None else int(value)])
        return self._dequeue(op_type, [n], name, batch)

    def _dequeue(self, op_type, inputs, name, batch_shape):
        """Runs `op_type` on the queue; each component's static shape is `batch_shape`
        followed by the queue's shape for it."""
        ret = self._outputs(
            apply_op(
                op_type,
                [self._queue_ref, *inputs],
                name=name,
                component_types=self._component_types(),
                timeout_ms=-1,
            )
        )
        for t, shape in zip(ret, self._shapes):
            t.set_shape(batch_shape.concatenate(shape))
        return self._dequeue_return_value(ret)

    def _op_name(self, name, suffix) -> str:
        """`name`, or the queue's name followed by `suffix` when None."""
        return f"{self._name}_{suffix}" if name is None else name

    def close(self, cancel_pending_enqueues=False, name=None):
        """Closes the queue: later enqueues fail; dequeues drain what is left, then fail
        with OutOfRangeError. `cancel_pending_enqueues` fails waiting enqueues too."""
        return apply_op(
            "QueueCloseV2",
            [self._queue_ref],
            name=self._op_name(name, "Close"),
            cancel_pending_enqueues=bool(cancel_pending_enqueues),
        )

    def is_closed(self, name=None) -> Tensor:
        """A bool scalar: whether the queue is closed."""
        return apply_op("QueueIsClosedV2", [self._queue_ref], name=self._op_name(name, "IsClosed"))

    def size(self, name=None) -> Tensor:
        """An int32 scalar: the number of elements in the queue."""
        return apply_op("QueueSizeV2", [self._queue_ref], name=self._op_name(name, "Size"))


def _shape_common(s1, s2) -> tensor_shape.TensorShape:
    """The most specific shape compatible with both."""
    s1, s2 = tensor_shape.TensorShape(s1), tensor_shape.TensorShape(s2)
    if s1.ndims is None or s2.ndims is None or s1.ndims != s2.ndims:
        return tensor_shape.unknown_shape()
    dims = [a if a == b else None for a, b in zip(s1.as_tuple(), s2.as_tuple())]
    return tensor_shape.TensorShape(dims)


def _shared(shared_name) -> str:
    return shared_name or ""


def _queue_handle(op_type, name, dtypes, shapes, capacity, shared_name, **attrs) -> Tensor:
    """The handle of a new queue of `op_type` whose elements have `dtypes` and `shapes`."""
    return _handle(
        op_type,
        name,
        component_types=tuple(t.numpy_dtype for t in dtypes),
        shapes=_shape_attr(shapes),
        capacity=int(capacity),
        container="",
        shared_name=_shared(shared_name),
        **attrs,
    )


class FIFOQueue(QueueBase):
    """A queue that dequeues elements in first-in first-out order.

    Example:
      >>> q = tf.FIFOQueue(2, [tf.int32, tf.string], shapes=[[], []])
      >>> sess.run(q.enqueue([1, "a"])); sess.run(q.dequeue())
      [1, b'a']
    """

    def __init__(
        self, capacity, dtypes, shapes=None, names=None, shared_name=None, name="fifo_queue"
    ):
        dtypes = _as_type_list(dtypes)
        shapes = _as_shape_list(shapes)
        names = _as_name_list(names, dtypes)
        ref = _queue_handle("FIFOQueueV2", name, dtypes, shapes, capacity, shared_name)
        super().__init__(dtypes, shapes, names, ref)


class PaddingFIFOQueue(QueueBase):
    """A FIFOQueue whose `dequeue_many` pads components of unknown dims (None in `shapes`)
    with zeros (empty strings) up to the largest in the batch."""

    def __init__(
        self, capacity, dtypes, shapes, names=None, shared_name=None, name="padding_fifo_queue"
    ):
        dtypes = _as_type_list(dtypes)
        shapes = _as_shape_list(shapes, unknown_dim_allowed=True)
        names = _as_name_list(names, dtypes)
        if len(dtypes) != len(shapes):
            raise ValueError(
                "Shapes must be provided for all components, but received "
                f"{len(dtypes)} dtypes and {len(shapes)} shapes."
            )
        ref = _queue_handle("PaddingFIFOQueueV2", name, dtypes, shapes, capacity, shared_name)
        super().__init__(dtypes, shapes, names, ref)


class RandomShuffleQueue(QueueBase):
    """A queue that dequeues elements in a random order; until it is closed, a dequeue
    waits while it holds `min_after_dequeue` elements or fewer (so they mix)."""

    def __init__(
        self,
        capacity,
        min_after_dequeue,
        dtypes,
        shapes=None,
        names=None,
        seed=None,
        shared_name=None,
        name="random_shuffle_queue",
    ):
        dtypes = _as_type_list(dtypes)
        shapes = _as_shape_list(shapes)
        names = _as_name_list(names, dtypes)
        seed1, seed2 = random_seed.get_seed(seed)
        if seed1 is not None and seed is None and shared_name is not None:
            # As TF: a graph seed and a shared name, no op seed: seed2 depends on them only
            # (not on the op count), so every graph sharing the queue makes the same one.
            digest = hashlib.md5((str(seed1) + shared_name).encode("utf-8")).hexdigest()
            seed2 = int(digest[:8], 16) & 0x7FFFFFFF
        ref = _queue_handle(
            "RandomShuffleQueueV2",
            name,
            dtypes,
            shapes,
            capacity,
            shared_name,
            min_after_dequeue=int(min_after_dequeue),
            seed=int(seed1 or 0),
            seed2=int(seed2 or 0),
        )
        super().__init__(dtypes, shapes, names, ref)


class PriorityQueue(QueueBase):
    """A queue that dequeues the element with the smallest priority first.

    Each element's first component is its int64 scalar priority, followed by components
    of `types`.
    """

    def __init__(
        self, capacity, types, shapes=None, names=None, shared_name=None, name="priority_queue"
    ):
        types = _as_type_list(types)
        shapes = _as_shape_list(shapes)
        ref = _queue_handle("PriorityQueueV2", name, types, shapes, capacity, shared_name)
        priority_dtypes = [_dtypes.int64] + types
        priority_shapes = [()] + shapes if shapes else shapes
        super().__init__(priority_dtypes, priority_shapes, names, ref)


# -- conditional accumulators ------------------------------------------------------------------


class ConditionalAccumulatorBase:
    """A session resource that aggregates gradients applied at a recent enough step."""

    def __init__(self, dtype, shape, accumulator_ref):
        self._dtype = dtype
        self._shape = tensor_shape.TensorShape(shape) if shape is not None else None
        self._accumulator_ref = accumulator_ref
        self._name = accumulator_ref.op.name.split("/")[-1]

    @property
    def accumulator_ref(self) -> Tensor:
        """The accumulator's handle."""
        return self._accumulator_ref

    @property
    def name(self) -> str:
        """The name of the op that makes the accumulator (its last component)."""
        return self._name

    @property
    def dtype(self) -> _dtypes.DType:
        """The dtype of the gradients."""
        return self._dtype

    def _generic_op(self, op_type, inputs, name) -> Tensor:
        """`op_type` on the handle, as its Resource variant for a resource handle."""
        if self._accumulator_ref.dtype == _dtypes.resource:
            op_type = f"Resource{op_type}"
        return apply_op(op_type, [self._accumulator_ref, *inputs], name=name)

    def _typed_op(self, op_type, inputs, name, **attrs):
        """`op_type` on the handle and `inputs`, for gradients of the accumulator's dtype."""
        return apply_op(
            op_type,
            [self._accumulator_ref, *inputs],
            name=name,
            dtype=self._dtype.numpy_dtype,
            **attrs,
        )

    def num_accumulated(self, name=None) -> Tensor:
        """An int32 scalar: how many gradients were applied since the last take."""
        return self._generic_op("AccumulatorNumAccumulated", [], name)

    def set_global_step(self, new_global_step, name=None):
        """Sets the step below which applied gradients count as stale (dropped)."""
        return self._generic_op("AccumulatorSetGlobalStep", [_int64(new_global_step)], name)


def _int64(value) -> Tensor:
    return math_ops.cast(convert_to_tensor(value), _dtypes.int64)


def _int32(value) -> Tensor:
    return convert_to_tensor(value, _dtypes.int32)


def _accumulator_handle(op_type, name, dtype, shape, shared_name, reduction_type) -> Tensor:
    """The handle of a new accumulator of `op_type` for gradients of `dtype` and `shape`."""
    if reduction_type not in ("MEAN", "SUM"):
        raise ValueError(f"reduction_type must be 'MEAN' or 'SUM', got {reduction_type!r}")
    shape = tensor_shape.TensorShape(shape)
    return _handle(
        op_type,
        name,
        dtype=dtype.numpy_dtype,
        shape=shape.as_tuple() if shape.ndims is not None else None,
        container="",
        shared_name=_shared(shared_name),
        reduction_type=reduction_type,
    )


class ConditionalAccumulator(ConditionalAccumulatorBase):
    """Averages dense gradients applied with a `local_step` no older than its global step.

    Example:
      >>> acc = tf.ConditionalAccumulator(tf.float32, shape=[2])
      >>> sess.run(acc.apply_grad([1.0, 2.0])); sess.run(acc.apply_grad([3.0, 4.0]))
      >>> sess.run(acc.take_grad(2))
      array([2., 3.], dtype=float32)
    """

    def __init__(
        self,
        dtype,
        shape=None,
        shared_name=None,
        name="conditional_accumulator",
        reduction_type="MEAN",
    ):
        dtype = _dtypes.as_dtype(dtype)
        ref = _accumulator_handle(
            "ResourceConditionalAccumulator", name, dtype, shape, shared_name, reduction_type
        )
        super().__init__(dtype, shape, ref)

    def apply_grad(self, grad, local_step=0, name=None):
        """Adds `grad` unless `local_step` is older than the accumulator's global step."""
        grad = convert_to_tensor(grad, self._dtype)
        if self._shape is not None:
            grad.shape.assert_is_compatible_with(self._shape)
        return self._typed_op("ResourceAccumulatorApplyGradient", [_int64(local_step), grad], name)

    def take_grad(self, num_required, name=None) -> Tensor:
        """Waits until `num_required` gradients are applied; returns their average, resets
        the accumulator and increments its global step."""
        out = self._typed_op("ResourceAccumulatorTakeGradient", [_int32(num_required)], name)
        if self._shape is not None:
            out.set_shape(self._shape)
        return out


class SparseConditionalAccumulator(ConditionalAccumulatorBase):
    """Averages sparse gradients (IndexedSlices); each row over the gradients that had it."""

    def __init__(
        self,
        dtype,
        shape=None,
        shared_name=None,
        name="sparse_conditional_accumulator",
        reduction_type="MEAN",
    ):
        dtype = _dtypes.as_dtype(dtype)
        ref = _accumulator_handle(
            "SparseConditionalAccumulator", name, dtype, shape, shared_name, reduction_type
        )
        ref._dtype = _dtypes.string._as_ref  # TF1's ref-string handle
        super().__init__(dtype, shape, ref)

    def apply_indexed_slices_grad(self, grad, local_step=0, name=None):
        """Applies an IndexedSlices gradient."""
        return self.apply_grad(
            grad.indices, grad.values, grad.dense_shape, local_step=local_step, name=name
        )

    def apply_grad(self, grad_indices, grad_values, grad_shape=None, local_step=0, name=None):
        """Applies the sparse gradient `grad_values` at rows `grad_indices`."""
        local_step = _int64(local_step)
        values = convert_to_tensor(grad_values, self._dtype)
        shape = [] if grad_shape is None else grad_shape
        return self._typed_op(
            "SparseAccumulatorApplyGradient",
            [
                local_step,
                _int64(grad_indices),
                values,
                math_ops.cast(convert_to_tensor(shape, dtype_hint=_dtypes.int64), _dtypes.int64),
            ],
            name,
            has_known_shape=grad_shape is not None,
        )

    def take_grad(self, num_required, name=None):
        """Waits for `num_required` gradients; returns (indices, values, shape)."""
        return self._typed_op("SparseAccumulatorTakeGradient", [_int32(num_required)], name)

    def take_indexed_slices_grad(self, num_required, name=None) -> IndexedSlices:
        """Like `take_grad`, as an IndexedSlices."""
        indices, values, shape = self.take_grad(num_required, name=name)
        return IndexedSlices(values, indices, shape)


def count_up_to(ref, limit, name=None) -> Tensor:
    """Increments the variable `ref` until it reaches `limit`; returns its old value.

    Raises `OutOfRangeError` (when run) once the value has reached `limit`.
    """
    tensor = ref._as_graph_element() if hasattr(ref, "_as_graph_element") else ref
    return apply_op(
        "CountUpTo", [tensor], name=name, limit=int(limit), T=tensor.dtype.base_dtype.numpy_dtype
    )
