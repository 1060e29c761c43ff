"""TF1 input pipelines: producers (`string_input_producer`, ...) fill queues from tensors,
batchers (`batch`, `shuffle_batch`, ...) group elements into batches; each adds a
QueueRunner whose threads (`start_queue_runners`) keep its queue full."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import GraphKeys, Tensor, constant_value
from flowgraph.framework.scopes import control_dependencies, name_scope
from flowgraph.framework.sparse_tensor import SparseTensor
from flowgraph.ops import array_ops, check_ops, math_ops, random_ops
from flowgraph.ops.constant_op import constant, convert_to_tensor
from flowgraph.ops.data_flow_ops import FIFOQueue, PaddingFIFOQueue, RandomShuffleQueue, count_up_to
from flowgraph.ops.file_io_ops import matching_files
from flowgraph.ops.variables import Variable
from flowgraph.train.queue_runner import QueueRunner, add_queue_runner


def match_filenames_once(pattern, name=None) -> Variable:
    """A local variable holding the file names matching `pattern` (a glob), computed when
    local variables are initialized."""
    with name_scope(name, "matching_filenames", [pattern]) as name:
        return Variable(
            matching_files(pattern),
            name=name,
            trainable=False,
            validate_shape=False,
            collections=[GraphKeys.LOCAL_VARIABLES],
        )


def limit_epochs(tensor, num_epochs=None, name=None) -> Tensor:
    """Returns `tensor` `num_epochs` times, then fails with OutOfRangeError.

    The count is a local variable (`epochs`): run `tf.local_variables_initializer()`.
    """
    if num_epochs is None:
        return tensor
    if num_epochs <= 0:
        raise ValueError(f"num_epochs must be > 0 not {num_epochs}.")
    with name_scope(name, "limit_epochs", [tensor]) as name:
        epochs = Variable(
            constant(0, dtype=dtypes.int64),
            name="epochs",
            trainable=False,
            collections=[GraphKeys.LOCAL_VARIABLES],
        )
        counter = count_up_to(epochs, num_epochs)
        with control_dependencies([counter]):
            return array_ops.identity(tensor, name=name)


def input_producer(
    input_tensor,
    element_shape=None,
    num_epochs=None,
    shuffle=True,
    seed=None,
    capacity=32,
    shared_name=None,
    summary_name=None,
    name=None,
    cancel_op=None,
) -> FIFOQueue:
    """A queue filled (by a QueueRunner) with the rows of `input_tensor`, shuffled each
    epoch if `shuffle`, for `num_epochs` epochs (None: forever)."""
    with name_scope(name, "input_producer", [input_tensor]):
        input_tensor = convert_to_tensor(input_tensor, name="input_tensor")
        element_shape = input_tensor.shape[1:].merge_with(element_shape)
        if not element_shape.is_fully_defined():
            raise ValueError(
                "Either `input_tensor` must have a fully defined shape or `element_shape` "
                "must be specified"
            )
        if shuffle:
            input_tensor = random_ops.random_shuffle(input_tensor, seed=seed)
        input_tensor = limit_epochs(input_tensor, num_epochs)
        q = FIFOQueue(
            capacity=capacity,
            dtypes=[input_tensor.dtype.base_dtype],
            shapes=[element_shape],
            shared_name=shared_name,
            name=name,
        )
        enq = q.enqueue_many([input_tensor])
        add_queue_runner(QueueRunner(q, [enq], cancel_op=cancel_op))
        return q


def string_input_producer(
    string_tensor,
    num_epochs=None,
    shuffle=True,
    seed=None,
    capacity=32,
    shared_name=None,
    name=None,
    cancel_op=None,
) -> FIFOQueue:
    """A queue of the strings (file names) of `string_tensor`, for a reader.

    Example:
      >>> queue = tf.train.string_input_producer(["a.csv", "b.csv"], num_epochs=2)
      >>> key, line = tf.TextLineReader().read(queue)
    """
    not_null_err = "string_input_producer requires a non-null input tensor"
    if isinstance(string_tensor, (list, tuple, np.ndarray)) and not len(string_tensor):
        raise ValueError(not_null_err)  # a Tensor or Variable is checked when run
    with name_scope(name, "input_producer", [string_tensor]) as name:
        string_tensor = convert_to_tensor(string_tensor, dtype=dtypes.string)
        with control_dependencies(
            [check_ops.Assert(math_ops.greater(array_ops.size(string_tensor), 0), [not_null_err])]
        ):
            string_tensor = array_ops.identity(string_tensor)
        return input_producer(
            input_tensor=string_tensor,
            element_shape=[],
            num_epochs=num_epochs,
            shuffle=shuffle,
            seed=seed,
            capacity=capacity,
            shared_name=shared_name,
            name=name,
            summary_name=f"fraction_of_{capacity}_full",
            cancel_op=cancel_op,
        )


def range_input_producer(
    limit, num_epochs=None, shuffle=True, seed=None, capacity=32, shared_name=None, name=None
) -> FIFOQueue:
    """A queue of the integers `0 ... limit - 1` (int32), each epoch."""
    with name_scope(name, "input_producer", [limit]) as name:
        range_tensor = array_ops.range(limit)
        return input_producer(
            range_tensor,
            [],
            num_epochs,
            shuffle,
            seed,
            capacity,
            shared_name,
            f"fraction_of_{capacity}_full",
            name,
        )


def slice_input_producer(
    tensor_list, num_epochs=None, shuffle=True, seed=None, capacity=32, shared_name=None, name=None
) -> list[Tensor]:
    """One row of each tensor of `tensor_list` at a time (the same row of each)."""
    with name_scope(name, "input_producer", tensor_list):
        tensor_list = [convert_to_tensor(t) for t in tensor_list]
        if not tensor_list:
            raise ValueError("Expected at least one tensor in slice_input_producer().")
        range_size = array_ops.shape(tensor_list[0])[0]
        queue = range_input_producer(
            range_size,
            num_epochs=num_epochs,
            shuffle=shuffle,
            seed=seed,
            capacity=capacity,
            shared_name=shared_name,
        )
        index = queue.dequeue()
        return [array_ops.gather(t, index) for t in tensor_list]


# -- batching ----------------------------------------------------------------------------------


def _as_tensor_list(tensors) -> list:
    if isinstance(tensors, dict):
        return [tensors[k] for k in sorted(tensors, key=str)]
    return tensors


def _as_tensor_list_list(tensors_list) -> list:
    if not tensors_list:
        raise ValueError("Expected at least one set of tensors")
    if isinstance(tensors_list[0], dict):
        keys = set(tensors_list[0])
        if any(set(t) != keys for t in tensors_list[1:]):
            raise ValueError("All dictionaries in tensors_list must have the same keys")
    return [list(_as_tensor_list(t)) for t in tensors_list]


def _as_original_type(original, tensor_list):
    if isinstance(original, dict):
        if len(original) == 1:
            tensor_list = [tensor_list]
        return {k: tensor_list[i] for i, k in enumerate(sorted(original, key=str))}
    return tensor_list


def _validate(tensor_list_list) -> list[list[Tensor]]:
    out = []
    for tensor_list in tensor_list_list:
        if any(isinstance(t, SparseTensor) for t in tensor_list):
            raise NotImplementedError("batching SparseTensors is not supported yet")
        out.append([convert_to_tensor(t) for t in tensor_list])
    if not out or not out[0]:
        raise ValueError("Expected at least one tensor in batch().")
    return out


def _validate_keep_input(keep_input, enqueue_many) -> Tensor:
    keep_input = convert_to_tensor(keep_input)
    if keep_input.shape.ndims is None:
        raise ValueError("`keep_input` dimensions must be known at graph construction.")
    if not enqueue_many and keep_input.shape.ndims == 1:
        raise ValueError("`keep_input` cannot be a vector when `enqueue_many=False`.")
    if keep_input.shape.ndims > 1:
        raise ValueError("`keep_input` must be 0 or 1 dimensions.")
    return keep_input


def _dtypes(tensor_list_list) -> list:
    types = [t.dtype for t in tensor_list_list[0]]
    for tensor_list in tensor_list_list[1:]:
        other = [t.dtype for t in tensor_list]
        if other != types:
            raise TypeError(
                "Expected types to be consistent: "
                f"{', '.join(x.name for x in types)} vs. {', '.join(x.name for x in other)}."
            )
    return types


def _shapes(tensor_list_list, shapes, enqueue_many) -> list:
    if shapes is not None:
        return shapes
    merged = []
    for i in range(len(tensor_list_list[0])):
        shape = None
        for tensor_list in tensor_list_list:
            s = tensor_list[i].shape
            if s.ndims is None:
                raise ValueError(f"Cannot infer Tensor's rank: {tensor_list[i]}")
            s = s.with_rank_at_least(1)[1:] if enqueue_many else s
            shape = s if shape is None else shape.merge_with(s)
        merged.append(shape.as_list())
    return merged


def _enqueue_ops(queue, tensor_list_list, threads, enqueue_many, keep_input) -> list:
    """One enqueue op per tensor list (repeated `threads` times for a single list)."""
    ops = []
    for tensor_list in tensor_list_list:
        if constant_value(keep_input) is not None and keep_input.shape.ndims == 0:
            if not constant_value(keep_input):
                raise ValueError("keep_input is always False: nothing would be enqueued")
            op = (queue.enqueue_many if enqueue_many else queue.enqueue)(tensor_list)
        else:  # keep the selected elements: an enqueue_many of zero or more of them
            op = queue.enqueue_many(_select(tensor_list, keep_input, enqueue_many))
        ops.append(op)
    return ops * threads


def _select(tensor_list, keep_input, enqueue_many) -> list[Tensor]:
    keep = math_ops.cast(keep_input, dtypes.int32)
    if not enqueue_many:
        tensor_list = [array_ops.expand_dims(t, 0) for t in tensor_list]
        keep = array_ops.reshape(keep, [1])
    return [array_ops.dynamic_partition(t, keep, num_partitions=2)[1] for t in tensor_list]


def _batch(
    tensors_list,
    batch_size,
    keep_input,
    make_queue,
    default_name,
    num_threads=1,
    enqueue_many=False,
    shapes=None,
    allow_smaller_final_batch=False,
    name=None,
):
    """Enqueues each tensor list (by a QueueRunner) into `make_queue(types, shapes)`;
    returns a batch dequeued from it, structured like `tensors_list[0]`."""
    tensor_list_list = _as_tensor_list_list(tensors_list)
    values = [t for tl in tensor_list_list for t in tl] + [keep_input]
    with name_scope(name, default_name, values) as name:
        tensor_list_list = _validate(tensor_list_list)
        keep_input = _validate_keep_input(keep_input, enqueue_many)
        types = _dtypes(tensor_list_list)
        shapes = _shapes(tensor_list_list, shapes, enqueue_many)
        queue = make_queue(types, shapes)
        enqueue_ops = _enqueue_ops(queue, tensor_list_list, num_threads, enqueue_many, keep_input)
        add_queue_runner(QueueRunner(queue, enqueue_ops))
        if allow_smaller_final_batch:
            dequeued = queue.dequeue_up_to(batch_size, name=name)
        else:
            dequeued = queue.dequeue_many(batch_size, name=name)
        return _as_original_type(tensors_list[0], dequeued)  # one tensor: not in a list, as TF


def _fifo(capacity, dynamic_pad, shared_name):
    kind = PaddingFIFOQueue if dynamic_pad else FIFOQueue
    return lambda types, shapes: kind(
        capacity=capacity, dtypes=types, shapes=shapes, shared_name=shared_name
    )


def _shuffling(capacity, min_after_dequeue, seed, shared_name):
    if capacity <= min_after_dequeue:
        raise ValueError(
            f"capacity {capacity} must be bigger than min_after_dequeue {min_after_dequeue}."
        )
    return lambda types, shapes: RandomShuffleQueue(
        capacity=capacity,
        min_after_dequeue=min_after_dequeue,
        seed=seed,
        dtypes=types,
        shapes=shapes,
        shared_name=shared_name,
    )


def batch(
    tensors,
    batch_size,
    num_threads=1,
    capacity=32,
    enqueue_many=False,
    shapes=None,
    dynamic_pad=False,
    allow_smaller_final_batch=False,
    shared_name=None,
    name=None,
):
    """Batches `tensors` (a list or dict) with `num_threads` enqueuing threads.

    Each output has a new leading dimension `batch_size` (None with
    `allow_smaller_final_batch`, whose last batch may be smaller). `enqueue_many` treats
    each input's first dimension as elements; `dynamic_pad` pads dims None in the
    shapes to the batch's largest.

    Example:
      >>> images, labels = tf.train.batch([image, label], batch_size=32)
    """
    return maybe_batch(
        tensors,
        True,
        batch_size,
        num_threads,
        capacity,
        enqueue_many,
        shapes,
        dynamic_pad,
        allow_smaller_final_batch,
        shared_name,
        name,
    )


def maybe_batch(
    tensors,
    keep_input,
    batch_size,
    num_threads=1,
    capacity=32,
    enqueue_many=False,
    shapes=None,
    dynamic_pad=False,
    allow_smaller_final_batch=False,
    shared_name=None,
    name=None,
):
    """Like `batch`, enqueuing only the elements for which `keep_input` is True."""
    return _batch(
        [tensors],
        batch_size,
        keep_input,
        _fifo(capacity, dynamic_pad, shared_name),
        "batch",
        num_threads,
        enqueue_many,
        shapes,
        allow_smaller_final_batch,
        name,
    )


def batch_join(
    tensors_list,
    batch_size,
    capacity=32,
    enqueue_many=False,
    shapes=None,
    dynamic_pad=False,
    allow_smaller_final_batch=False,
    shared_name=None,
    name=None,
):
    """Batches from several tensor lists, one enqueuing thread per list (e.g. one per
    reader), mixing their elements."""
    return maybe_batch_join(
        tensors_list,
        True,
        batch_size,
        capacity,
        enqueue_many,
        shapes,
        dynamic_pad,
        allow_smaller_final_batch,
        shared_name,
        name,
    )


def maybe_batch_join(
    tensors_list,
    keep_input,
    batch_size,
    capacity=32,
    enqueue_many=False,
    shapes=None,
    dynamic_pad=False,
    allow_smaller_final_batch=False,
    shared_name=None,
    name=None,
):
    """Like `batch_join`, enqueuing only elements for which `keep_input` is True."""
    return _batch(
        tensors_list,
        batch_size,
        keep_input,
        _fifo(capacity, dynamic_pad, shared_name),
        "batch_join",
        1,
        enqueue_many,
        shapes,
        allow_smaller_final_batch,
        name,
    )


def shuffle_batch(
    tensors,
    batch_size,
    capacity,
    min_after_dequeue,
    num_threads=1,
    seed=None,
    enqueue_many=False,
    shapes=None,
    allow_smaller_final_batch=False,
    shared_name=None,
    name=None,
):
    """Batches `tensors` in a random order, drawing from a RandomShuffleQueue that keeps
    at least `min_after_dequeue` elements (until its input ends) to mix.

    Example:
      >>> x, y = tf.train.shuffle_batch([x, y], 32, capacity=1000, min_after_dequeue=500)
    """
    return maybe_shuffle_batch(
        tensors,
        batch_size,
        capacity,
        min_after_dequeue,
        True,
        num_threads,
        seed,
        enqueue_many,
        shapes,
        allow_smaller_final_batch,
        shared_name,
        name,
    )


def maybe_shuffle_batch(
    tensors,
    batch_size,
    capacity,
    min_after_dequeue,
    keep_input,
    num_threads=1,
    seed=None,
    enqueue_many=False,
    shapes=None,
    allow_smaller_final_batch=False,
    shared_name=None,
    name=None,
):
    """Like `shuffle_batch`, enqueuing only elements for which `keep_input` is True."""
    return _batch(
        [tensors],
        batch_size,
        keep_input,
        _shuffling(capacity, min_after_dequeue, seed, shared_name),
        "shuffle_batch",
        num_threads,
        enqueue_many,
        shapes,
        allow_smaller_final_batch,
        name,
    )


def shuffle_batch_join(
    tensors_list,
    batch_size,
    capacity,
    min_after_dequeue,
    seed=None,
    enqueue_many=False,
    shapes=None,
    allow_smaller_final_batch=False,
    shared_name=None,
    name=None,
):
    """`shuffle_batch` from several tensor lists, one enqueuing thread per list."""
    return maybe_shuffle_batch_join(
        tensors_list,
        batch_size,
        capacity,
        min_after_dequeue,
        True,
        seed,
        enqueue_many,
        shapes,
        allow_smaller_final_batch,
        shared_name,
        name,
    )


def maybe_shuffle_batch_join(
    tensors_list,
    batch_size,
    capacity,
    min_after_dequeue,
    keep_input,
    seed=None,
    enqueue_many=False,
    shapes=None,
    allow_smaller_final_batch=False,
    shared_name=None,
    name=None,
):
    """Like `shuffle_batch_join`, enqueuing only elements for which `keep_input` is True."""
    return _batch(
        tensors_list,
        batch_size,
        keep_input,
        _shuffling(capacity, min_after_dequeue, seed, shared_name),
        "shuffle_batch_join",
        1,
        enqueue_many,
        shapes,
        allow_smaller_final_batch,
        name,
    )
