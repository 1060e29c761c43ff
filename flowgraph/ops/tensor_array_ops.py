"""`tf.TensorArray`: a list of same-shaped tensors, read and written inside loops.

A TensorArray is a value, not a resource: its storage is one dense tensor of shape
[size, *element_shape] (TF2's TensorList), and `write`, `unstack` and `scatter` return a
new TensorArray over an updated buffer, as TF1's flow-based API already requires
(`ta = ta.write(i, x)`). Inside a `while_loop` the buffer is a loop variable, updated in
place by XLA. A TensorArray created with an unknown element shape gets its buffer at the
first write; one first written inside a loop body is allocated by the loop.
"""

from __future__ import annotations

from flowgraph.framework import dtypes, tensor_shape
from flowgraph.framework.ops import Operation, Tensor, apply_op, constant_value
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, math_ops
from flowgraph.ops.constant_op import convert_to_tensor


class TensorArray:
    """TF1's TensorArray; its element shape is fixed by the first write. A `dynamic_size`
    array grows when written at constant indices, and in a counting `while_loop` that
    writes it at the counter it gets one element per iteration."""

    # A stack TF's gradients push (made by the importers): only its written elements are
    # ever read, so a loop may fill all of it with a shape it writes each step.
    _stack = False

    def __init__(
        self,
        dtype,
        size=None,
        dynamic_size=None,
        clear_after_read=None,
        tensor_array_name=None,
        handle=None,
        flow=None,
        infer_shape=True,
        element_shape=None,
        colocate_with_first_write_call=True,
        name=None,
    ):
        if handle is not None:
            raise ValueError("TensorArray handles do not exist in flowgraph: pass flow=")
        self._dtype = dtypes.as_dtype(dtype).base_dtype
        self._dynamic_size = bool(dynamic_size)
        self._infer_shape = infer_shape
        self._name = name or tensor_array_name or "TensorArray"
        self._element_shape = tensor_shape.as_shape(element_shape)
        self._buffer: Tensor | None = None
        if flow is not None:
            self._buffer = convert_to_tensor(flow, dtype=self._dtype)
            size = size if size is not None else _leading(self._buffer)
            self._element_shape = self._buffer.shape[1:]
        if size is None:
            raise ValueError("Size must be provided if handle is not provided")
        self._size = size
        if (
            self._buffer is None
            and not self._dynamic_size  # a growing array is allocated by its writes or loop
            and self._element_shape.is_fully_defined()
            and _static_int(size) is not None
        ):
            self._buffer = self._zeros(self._element_shape)

    # -- what it is ---------------------------------------------------------------------

    @property
    def dtype(self) -> dtypes.DType:
        return self._dtype

    @property
    def flow(self) -> Tensor | None:
        """The buffer holding the elements (TF1's flow tensor orders TensorArray ops)."""
        return self._buffer

    @property
    def handle(self):
        return self._buffer

    def element_shape(self) -> tensor_shape.TensorShape:
        return self._element_shape

    def size(self, name=None) -> Tensor:
        """The number of elements."""
        if self._dynamic_size and self._buffer is not None and self._buffer.shape.ndims is None:
            # growing in a loop run step by step from the host: as long as its buffer
            return array_ops.shape(self._buffer, out_type=dtypes.int32, name=name)[0]
        static = _static_int(self._size)
        if static is not None:
            return convert_to_tensor(static, dtype=dtypes.int32, name=name or "size")
        if self._buffer is not None:
            return array_ops.shape(self._buffer, out_type=dtypes.int32, name=name)[0]
        return math_ops.cast(self._size, dtypes.int32, name=name)

    def identity(self) -> "TensorArray":
        return self

    def close(self, name=None) -> Operation:
        from flowgraph.ops.control_flow_ops import no_op

        return no_op(name=name)

    # -- reading ------------------------------------------------------------------------

    def read(self, index, name=None) -> Tensor:
        """The element at `index`."""
        buffer = self._buffer_or_error()
        with name_scope(name, "TensorArrayRead", [buffer, index]):
            index = convert_to_tensor(index, dtype=dtypes.int32)
            value = apply_op("DenseListGetItem", [buffer, index])
            if self._element_shape.ndims is not None:
                value.set_shape(self._element_shape)
            return value

    def gather(self, indices, name=None) -> Tensor:
        """The elements at `indices`, stacked."""
        buffer = self._buffer_or_error()
        indices = convert_to_tensor(indices, dtype=dtypes.int32)
        return apply_op("DenseListGather", [buffer, indices], name=name or "TensorArrayGather")

    def stack(self, name=None) -> Tensor:
        """All elements stacked into one tensor of shape [size, *element_shape]."""
        if self._buffer is None and self._dynamic_size and self._element_shape.is_fully_defined():
            buffer = self._zeros(self._element_shape)  # never written: [size, ...] of zeros
        else:
            buffer = self._buffer_or_error()
        if not self._dynamic_size:
            return array_ops.identity(buffer, name=name or "TensorArrayStack")
        # As TF's shape functions: a growing array's length is unknown until run.
        return apply_op("DenseListStack", [buffer], name=name or "TensorArrayStack")

    def concat(self, name=None) -> Tensor:
        """All elements concatenated along their first axis."""
        buffer = self.stack()
        shape = array_ops.shape(buffer)
        new_shape = array_ops.concat([[-1], shape[2:]], 0)
        return array_ops.reshape(buffer, new_shape, name=name or "TensorArrayConcat")

    # -- writing: each returns a new TensorArray ------------------------------------------

    def write(self, index, value, name=None) -> "TensorArray":
        """A TensorArray whose element `index` is `value`."""
        with name_scope(name, "TensorArrayWrite", [index, value]):
            value = convert_to_tensor(value, dtype=self._dtype, name="value")
            self._check_element_shape(value.shape, index)
            index = convert_to_tensor(index, dtype=dtypes.int32)
            if self._dynamic_size and not self._in_loop():
                self = self._grown_to(index, value.shape)
            buffer = self._buffer
            if buffer is None:
                buffer = self._zeros(value.shape, array_ops.shape(value, out_type=dtypes.int32))
            size = _static_int(self._size)
            new = apply_op(
                "DenseListSetItem", [buffer, index, value], size=-1 if size is None else size
            )
            return self._with_buffer(new, value.shape)

    def unstack(self, value, name=None) -> "TensorArray":
        """A TensorArray whose elements are the slices of `value` along axis 0."""
        value = convert_to_tensor(value, dtype=self._dtype, name="value")
        self._check_element_shape(value.shape[1:], None)
        out = self._with_buffer(array_ops.identity(value, name=name or "TensorArrayUnstack"))
        out._size = _leading(value)
        return out

    def scatter(self, indices, value, name=None) -> "TensorArray":
        """A TensorArray whose elements at `indices` are the slices of `value`."""
        value = convert_to_tensor(value, dtype=self._dtype, name="value")
        self._check_element_shape(value.shape[1:], None)
        indices = convert_to_tensor(indices, dtype=dtypes.int32)
        buffer = self._buffer
        if buffer is None:
            buffer = self._zeros(value.shape[1:], array_ops.shape(value, out_type=dtypes.int32)[1:])
        new = apply_op(
            "DenseListScatter",
            [buffer, value, indices],
            name=name or "TensorArrayScatter",
        )
        return self._with_buffer(new, value.shape[1:])

    def split(self, value, lengths, name=None) -> "TensorArray":
        """A TensorArray of the pieces of `value` (equal `lengths` only)."""
        value = convert_to_tensor(value, dtype=self._dtype, name="value")
        lengths = constant_value(convert_to_tensor(lengths))
        if lengths is None or len(set(lengths.tolist())) > 1:
            raise ValueError("TensorArray.split needs constant, equal lengths in flowgraph")
        n, each = len(lengths), int(lengths[0])
        pieces = array_ops.reshape(
            value, array_ops.concat([[n, each], array_ops.shape(value)[1:]], 0)
        )
        out = self._with_buffer(array_ops.identity(pieces, name=name or "TensorArraySplit"))
        out._size = n
        return out

    # -- plumbing -----------------------------------------------------------------------

    def _with_buffer(self, buffer: Tensor, element_shape=None) -> "TensorArray":
        out = object.__new__(TensorArray)
        out.__dict__.update(self.__dict__)
        out._buffer = buffer
        if buffer.shape.ndims is not None:
            out._element_shape = buffer.shape[1:]
            if self._dynamic_size:
                out._size = _leading(buffer)  # a growing array is as long as its buffer
        elif element_shape is not None:
            out._element_shape = self._element_shape.merge_with(element_shape)
        return out

    def _in_loop(self) -> bool:
        # Inside a loop body a growing array's buffer is allocated by the loop.
        return (
            self._buffer is not None
            and self._buffer.graph._building_function
            and (self._buffer.shape.ndims is None)
        )

    def _grown_to(self, index: Tensor, element_shape) -> "TensorArray":
        """This growing array, long enough to write at the constant `index`."""
        position = constant_value(index)
        if position is None:
            raise errors_unimplemented(
                f"TensorArray {self._name} (dynamic_size=True): writing at an index only "
                "known at run time outside a counting while_loop; pass `size`."
            )
        needed = int(position) + 1
        current = _static_int(self._size) or 0
        if self._buffer is None:
            out = self._with_buffer(self._sized(max(current, needed))._zeros(element_shape))
        elif needed > current:
            padding = self._sized(needed - current)._zeros(self._buffer.shape[1:])
            out = self._with_buffer(array_ops.concat([self._buffer, padding], 0))
        else:
            return self
        out._size = max(current, needed)
        return out

    def _as_stack(self) -> "TensorArray":
        """This array as a stack TF's gradients push (`_stack`)."""
        out = self._sized(self._size)
        out._stack = True
        return out

    def _sized(self, size) -> "TensorArray":
        out = object.__new__(TensorArray)
        out.__dict__.update(self.__dict__)
        out._size = size
        return out

    def _buffer_or_error(self) -> Tensor:
        if self._buffer is None:
            raise ValueError(
                f"TensorArray {self._name}: could not read from TensorArray: it has not yet "
                "been written to and its element shape is unknown."
            )
        return self._buffer

    def _allocate_like(self, buffer: Tensor) -> Tensor:
        """The initial (zero) buffer for a TensorArray a loop writes first (`buffer` is
        what the body writes). With dims of its elements known only when run, the loop
        decides them when compiled for the run's shapes: the body's writes, `_deferred`,
        allocate the buffer."""
        if not buffer.shape[1:].is_fully_defined():
            mark_writes(buffer, "_deferred")
        return self._allocated(buffer.shape[1:])

    def _allocated(self, element_shape) -> Tensor:
        """Zeros of `[size, *element_shape]`, or where dims of `element_shape` are not
        known, a `DenseListReserve` whose loop decides them."""
        element_shape = tensor_shape.as_shape(element_shape)
        if element_shape.is_fully_defined():
            return self._zeros(element_shape)
        if element_shape.ndims is None:
            raise ValueError(
                f"TensorArray {self._name} is first written inside a while_loop with an "
                "element shape of unknown rank: pass element_shape."
            )
        known = [-1 if d is None else d for d in element_shape.as_list()]
        return apply_op(
            "DenseListReserve",
            [convert_to_tensor(known, dtype=dtypes.int32), self._size_tensor()],
            element_dtype=self._dtype.numpy_dtype,
            name="TensorArrayReserve",
        )

    def _zeros(self, element_shape, dynamic: Tensor | None = None) -> Tensor:
        """Zeros of `[size, *element_shape]`; dims of `element_shape` that are not known
        come from the int32 vector `dynamic` (the element's shape when run)."""
        element_shape = tensor_shape.as_shape(element_shape)
        if not element_shape.is_fully_defined():
            if dynamic is None:
                raise ValueError(
                    f"TensorArray {self._name}: element shape {element_shape} is not fully known"
                )
            dims = array_ops.concat([array_ops.reshape(self._size_tensor(), [1]), dynamic], 0)
            return array_ops.zeros(dims, self._dtype, name="TensorArrayZeros")
        size = _static_int(self._size)
        dims = [size if size is not None else self._size] + element_shape.as_list()
        shape = dims if size is not None else array_ops.stack(dims)
        return array_ops.zeros(shape, self._dtype, name="TensorArrayZeros")

    def _size_tensor(self) -> Tensor:
        size = _static_int(self._size)
        if size is not None:
            return convert_to_tensor(size, dtype=dtypes.int32)
        return math_ops.cast(self._size, dtypes.int32)

    def _check_element_shape(self, shape, index) -> None:
        if not self._infer_shape:
            return
        if not self._element_shape.is_compatible_with(shape):
            where = f" index {index}" if index is not None else ""
            raise ValueError(
                f"Could not write to TensorArray{where} because the value shape is {shape} "
                f"which is incompatible with the TensorArray's inferred element shape: "
                f"{self._element_shape} (consider setting infer_shape=False)."
            )
        self._element_shape = self._element_shape.merge_with(shape)


def mark_writes(buffer: Tensor, attr: str) -> None:
    """Sets `attr` on the chain of DenseListSetItem ops that made `buffer` in a loop body."""
    op = buffer.op
    while op.type == "DenseListSetItem":
        op._attrs[attr] = True
        op._node = None
        op.graph._mutated()
        op = op.inputs[0].op


def _static_int(value):
    if isinstance(value, Tensor):
        v = constant_value(value)
        return None if v is None else int(v)
    return None if value is None else int(value)


def _leading(tensor: Tensor):
    dim = tensor.shape[0] if tensor.shape.ndims else None
    dim = getattr(dim, "value", dim)
    return dim if dim is not None else array_ops.shape(tensor)[0]


def errors_unimplemented(message: str):
    from kernels import errors

    return errors.UnimplementedError(None, None, message)
