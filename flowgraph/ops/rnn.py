"""Recurrent networks from RNN cells: `dynamic_rnn` (one compiled loop), `static_rnn`
(unrolled), their bidirectional forms, `static_state_saving_rnn` and `raw_rnn`.

`dynamic_rnn` is TF1's: a `while_loop` over time reading the inputs from TensorArrays and
writing the outputs to others. With a static number of time steps the loop is a counting
loop, so it compiles to one `lax.scan` inside the session's segment whose outputs are the
scan's stacked outputs, and its gradient is a compiled loop too.
"""

from __future__ import annotations

from flowgraph.framework import dtypes, tensor_shape
from flowgraph.framework.ops import Tensor, get_default_graph
from flowgraph.ops import array_ops, math_ops
from flowgraph.ops.constant_op import constant, convert_to_tensor
from flowgraph.ops.control_flow_ops import while_loop
from flowgraph.ops.rnn_cell_impl import (
    _static_size,
    assert_like_rnncell,
    assert_same_structure,
    flatten,
    is_nested,
    map_structure,
    pack_sequence_as,
)
from flowgraph.ops.tensor_array_ops import TensorArray
from flowgraph.ops.variable_scope import variable_scope

# -- helpers ----------------------------------------------------------------------------------


def _transpose_batch_time(x: Tensor) -> Tensor:
    """`x` with its first two axes swapped (batch-major <-> time-major)."""
    x = convert_to_tensor(x)
    rank = x.shape.ndims
    if rank is not None and rank < 2:
        return x
    if rank is None:
        perm = array_ops.concat([[1, 0], math_ops.range(2, array_ops.rank(x))], 0)
    else:
        perm = [1, 0] + list(range(2, rank))
    out = array_ops.transpose(x, perm)
    if rank is not None:
        dims = x.shape.as_list()
        out.set_shape([dims[1], dims[0]] + dims[2:])
    return out


def _best_effort_input_batch_size(flat_input):
    """The batch size (axis 1 of time-major inputs): a Python int if known, else a tensor."""
    for x in flat_input:
        if x.shape.ndims is None:
            continue
        if x.shape.ndims < 2:
            raise ValueError(
                f"Input tensor should have rank >= 2. Received input={x} of rank {x.shape.ndims}"
            )
        batch = tensor_shape.dimension_value(x.shape[1])
        if batch is not None:
            return batch
    return array_ops.shape(flat_input[0])[1]


def _infer_state_dtype(explicit_dtype, state):
    if explicit_dtype is not None:
        return dtypes.as_dtype(explicit_dtype)
    flat = flatten(state)
    if not flat:
        raise ValueError(f"Unable to infer dtype from argument state={state}.")
    kinds = [x.dtype.base_dtype for x in flat]
    if any(k != kinds[0] for k in kinds):
        raise ValueError(
            f"Argument state={state} has tensors of different inferred dtypes. Unable to "
            f"infer a single representative dtype. Dtypes received: {kinds}"
        )
    return kinds[0]


def _zeros(batch_size, size, dtype) -> Tensor:
    """Zeros of shape [batch_size, *size] (batch_size an int or a scalar tensor)."""
    dims = _static_size(size)
    if isinstance(batch_size, int):
        return array_ops.zeros([batch_size] + dims, dtype=dtype)
    out = array_ops.zeros(array_ops.stack([batch_size] + dims), dtype=dtype)
    out.set_shape([None] + dims)
    return out


def _initial_state(cell, initial_state, batch_size, dtype):
    if initial_state is not None:
        return initial_state
    if not dtype:
        raise ValueError("If no initial_state is provided, argument `dtype` must be specified")
    return cell.zero_state(batch_size, dtype)


def _sequence_length(sequence_length, batch_size) -> Tensor:
    sequence_length = math_ops.cast(sequence_length, dtypes.int32)
    if sequence_length.shape.ndims not in (None, 1):
        raise ValueError(
            "Argument sequence_length must be a vector of length batch_size. Received "
            f"sequence_length={sequence_length} of shape: {sequence_length.shape}"
        )
    known = tensor_shape.dimension_value(sequence_length.shape[0])
    if isinstance(batch_size, int) and known is not None and known != batch_size:
        raise ValueError(
            f"Expected shape for Tensor sequence_length is [{batch_size}] but saw shape: [{known}]"
        )
    return array_ops.identity(sequence_length, name="sequence_length")


def _rnn_step(time, sequence_length, zero_output, state, call_cell):
    """One step of a masked RNN (TF's `_rnn_step` without conditionals): past a batch
    entry's length its output is zero and its state is copied through."""
    new_output, new_state = call_cell()
    assert_same_structure(zero_output, new_output)
    assert_same_structure(state, new_state)
    copy = math_ops.greater_equal(time, sequence_length)

    def select(old, new):
        if isinstance(old, TensorArray) or old.shape.ndims == 0:
            return new
        out = array_ops.where(copy, old, new)
        out.set_shape(old.shape)
        return out

    return map_structure(select, zero_output, new_output), map_structure(select, state, new_state)


# -- dynamic_rnn ------------------------------------------------------------------------------


def dynamic_rnn(
    cell,
    inputs,
    sequence_length=None,
    initial_state=None,
    dtype=None,
    parallel_iterations=None,
    swap_memory=False,
    time_major=False,
    scope=None,
):
    """Creates a recurrent neural network specified by RNNCell `cell`, as one loop.

    Past `sequence_length[b]` the outputs of batch entry `b` are zero and its state is
    copied through, so the final state is the state at each sequence's last step.

    Example:
      >>> cell = tf.nn.rnn_cell.BasicLSTMCell(128)
      >>> outputs, state = tf.nn.dynamic_rnn(cell, inputs, dtype=tf.float32)

    Args:
      cell: an instance of RNNCell.
      inputs: `[batch_size, max_time, ...]` (or `[max_time, batch_size, ...]` with
        `time_major`), or a nested tuple of such tensors.
      sequence_length: (optional) int32/int64 vector of size `[batch_size]`.
      initial_state: (optional) initial state of the RNN (else `cell.zero_state`).
      dtype: (optional) dtype of the initial state and outputs; required without
        `initial_state`.
      parallel_iterations: accepted for compatibility (XLA schedules the loop).
      swap_memory: accepted for compatibility.
      time_major: the layout of `inputs` and `outputs`.
      scope: VariableScope for the created subgraph; defaults to "rnn".

    Returns:
      A pair (outputs, state): outputs shaped like the inputs' leading axes plus
      `cell.output_size`, and the final state.

    A static number of time steps makes the loop a compiled `lax.scan`; with an unknown
    one it is a `lax.while_loop`. Both are differentiable.
    """
    del swap_memory
    assert_like_rnncell("cell", cell)
    with variable_scope(scope or "rnn"):
        flat_input = [convert_to_tensor(x) for x in flatten(inputs)]
        if not time_major:
            flat_input = [_transpose_batch_time(x) for x in flat_input]
        batch_size = _best_effort_input_batch_size(flat_input)
        if sequence_length is not None:
            sequence_length = _sequence_length(sequence_length, batch_size)
        state = _initial_state(cell, initial_state, batch_size, dtype)
        inputs = pack_sequence_as(inputs, flat_input)
        outputs, final_state = _dynamic_rnn_loop(
            cell, inputs, state, parallel_iterations or 32, sequence_length, dtype
        )
        if not time_major:
            outputs = map_structure(_transpose_batch_time, outputs)
        return outputs, final_state


def _dynamic_rnn_loop(cell, inputs, initial_state, parallel_iterations, sequence_length, dtype):
    """The time loop: `(outputs [time, batch, ...], final_state)`."""
    flat_input = flatten(inputs)
    flat_output_size = flatten(cell.output_size)
    shapes = [x.shape.with_rank_at_least(3) for x in flat_input]
    const_time_steps, const_batch_size = shapes[0].as_list()[:2]
    for x, shape in zip(flat_input, shapes):
        if not shape[2:].is_fully_defined():
            raise ValueError(
                "Input size (depth of inputs) must be accessible via shape inference, but saw "
                f"value None for input={x}."
            )
        if tensor_shape.dimension_value(shape[0]) != const_time_steps:
            raise ValueError(
                "Time steps is not the same for all the elements in the input in a batch. "
                f"Received time steps={shape[0]} for input={x}."
            )
        if tensor_shape.dimension_value(shape[1]) != const_batch_size:
            raise ValueError(
                "Batch_size is not the same for all the elements in the input. Received "
                f"batch size={shape[1]} for input={x}."
            )
    time_steps = const_time_steps
    if time_steps is None:
        time_steps = array_ops.shape(flat_input[0])[0]
    batch_size = _best_effort_input_batch_size(flat_input)
    out_dtype = _infer_state_dtype(dtype, initial_state)
    zero_output = pack_sequence_as(
        cell.output_size, [_zeros(batch_size, s, out_dtype) for s in flat_output_size]
    )
    input_ta = [
        TensorArray(x.dtype, size=time_steps, element_shape=x.shape[1:]).unstack(x)
        for x in flat_input
    ]
    output_ta = [_output_array(time_steps, batch_size, s, out_dtype) for s in flat_output_size]

    def time_step(time, output_ta_t, state):
        input_t = [ta.read(time) for ta in input_ta]
        for x, shape in zip(input_t, shapes):
            x.set_shape(shape[1:])
        input_t = pack_sequence_as(inputs, input_t)

        def call_cell():
            return cell(input_t, state)

        if sequence_length is not None:
            output, new_state = _rnn_step(time, sequence_length, zero_output, state, call_cell)
        else:
            output, new_state = call_cell()
        output_ta_t = [ta.write(time, out) for ta, out in zip(output_ta_t, flatten(output))]
        return time + 1, output_ta_t, new_state

    # `time < time_steps` from a constant 0, stepped by 1: a counting loop (one lax.scan
    # writing the outputs as scan outputs) when `time_steps` is static.
    _, final_ta, final_state = while_loop(
        lambda time, *_: time < time_steps,
        time_step,
        (constant(0, dtype=dtypes.int32, name="time"), output_ta, initial_state),
        parallel_iterations=parallel_iterations,
        maximum_iterations=time_steps,
    )
    final_outputs = []
    for ta, size in zip(final_ta, flat_output_size):
        output = ta.stack()
        output.set_shape([const_time_steps, const_batch_size] + _static_size(size))
        final_outputs.append(output)
    return pack_sequence_as(cell.output_size, final_outputs), final_state


def _output_array(time_steps, batch_size, size, dtype) -> TensorArray:
    """The TensorArray a loop writes one output per step into, allocated here (its element
    shape may hold an unknown batch size)."""
    element = [batch_size if isinstance(batch_size, int) else None] + _static_size(size)
    if isinstance(batch_size, int) and isinstance(time_steps, int):
        return TensorArray(dtype, size=time_steps, element_shape=element)
    dims = [time_steps, batch_size] + _static_size(size)
    buffer = array_ops.zeros(array_ops.stack(dims), dtype=dtype)
    buffer.set_shape([time_steps if isinstance(time_steps, int) else None] + element)
    return TensorArray(dtype, size=time_steps, flow=buffer)


def bidirectional_dynamic_rnn(
    cell_fw,
    cell_bw,
    inputs,
    sequence_length=None,
    initial_state_fw=None,
    initial_state_bw=None,
    dtype=None,
    parallel_iterations=None,
    swap_memory=False,
    time_major=False,
    scope=None,
):
    """A forward and a backward `dynamic_rnn` over `inputs` (the backward one reads each
    sequence reversed within its length, and its outputs are reversed back).

    Example:
      >>> (out_fw, out_bw), (state_fw, state_bw) = tf.nn.bidirectional_dynamic_rnn(
      ...     fw, bw, inputs, sequence_length=lengths, dtype=tf.float32)

    Returns:
      A tuple `((output_fw, output_bw), (output_state_fw, output_state_bw))`; concatenate
      the outputs with `tf.concat(outputs, 2)` if needed.
    """
    assert_like_rnncell("cell_fw", cell_fw)
    assert_like_rnncell("cell_bw", cell_bw)
    time_axis, batch_axis = (0, 1) if time_major else (1, 0)

    def reverse(x):
        if sequence_length is None:
            return array_ops.reverse(x, axis=[time_axis])
        return array_ops.reverse_sequence(
            x, seq_lengths=sequence_length, seq_axis=time_axis, batch_axis=batch_axis
        )

    common = dict(
        sequence_length=sequence_length,
        dtype=dtype,
        parallel_iterations=parallel_iterations,
        swap_memory=swap_memory,
        time_major=time_major,
    )
    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            output_fw, state_fw = dynamic_rnn(
                cell_fw, inputs, initial_state=initial_state_fw, scope=fw_scope, **common
            )
        with variable_scope("bw") as bw_scope:
            reversed_inputs = map_structure(reverse, inputs)
            tmp, state_bw = dynamic_rnn(
                cell_bw, reversed_inputs, initial_state=initial_state_bw, scope=bw_scope, **common
            )
    output_bw = map_structure(reverse, tmp)
    return (output_fw, output_bw), (state_fw, state_bw)


# -- static (unrolled) RNNs ---------------------------------------------------------------------


def static_rnn(cell, inputs, initial_state=None, dtype=None, sequence_length=None, scope=None):
    """Creates a recurrent neural network unrolled over the list `inputs` (one cell call
    per time step, sharing variables).

    Args:
      cell: an instance of RNNCell.
      inputs: a length T list of inputs, each `[batch_size, input_size]` (or a nested
        tuple of such).
      initial_state: (optional) initial state of the RNN.
      dtype: (optional) dtype of the initial state; required without `initial_state`.
      sequence_length: (optional) int32/int64 vector `[batch_size]`: outputs are zero and
        the state is copied through past each length.
      scope: VariableScope for the created subgraph; defaults to "rnn".

    Returns:
      A pair (outputs, state): the list of T outputs and the final state.
    """
    assert_like_rnncell("cell", cell)
    if not is_nested(inputs):
        raise TypeError(f"Argument `inputs` must be a sequence. Received: {inputs}")
    if not inputs:
        raise ValueError("Argument `inputs` must not be empty.")
    outputs = []
    with variable_scope(scope or "rnn") as varscope:
        first = inputs
        while is_nested(first):
            first = first[0]
        first = convert_to_tensor(first)
        fixed_batch = _static_batch(inputs, first)
        batch_size = fixed_batch if fixed_batch is not None else array_ops.shape(first)[0]
        state = _initial_state(cell, initial_state, batch_size, dtype)
        if sequence_length is not None:
            sequence_length = _sequence_length(sequence_length, batch_size)
            out_dtype = _infer_state_dtype(dtype, state)
            zero_output = pack_sequence_as(
                cell.output_size,
                [_zeros(batch_size, s, out_dtype) for s in flatten(cell.output_size)],
            )
        for time, input_ in enumerate(inputs):
            if time > 0:
                varscope.reuse_variables()

            def call_cell(input_=input_, state=state):
                return cell(input_, state)

            if sequence_length is not None:
                output, state = _rnn_step(time, sequence_length, zero_output, state, call_cell)
            else:
                output, state = call_cell()
            outputs.append(output)
        return outputs, state


def _static_batch(inputs, first: Tensor):
    if first.shape.ndims == 1:
        return tensor_shape.dimension_value(first.shape[0])
    fixed = first.shape.with_rank_at_least(2)[0]
    for x in flatten(inputs):
        shape = convert_to_tensor(x).shape.with_rank_at_least(2)
        fixed.assert_is_compatible_with(shape[0])
        for i, size in enumerate(shape[1:].as_list()):
            if size is None:
                raise ValueError(
                    f"Input size (dimension {i} of input {x}) must be accessible via shape "
                    "inference, but saw value None."
                )
    return tensor_shape.dimension_value(fixed)


def static_state_saving_rnn(
    cell, inputs, state_saver, state_name, sequence_length=None, scope=None
):
    """`static_rnn` whose initial state comes from `state_saver.state(name)` and whose
    final state is saved back with `state_saver.save_state(name, value)` before the last
    output and the final state are returned."""
    state_size = cell.state_size
    if is_nested(state_size) != is_nested(state_name):
        raise ValueError(
            "Argument `state_name` should be the same type as `cell.state_size`. Received: "
            f"state_name={state_name!s}, cell.state_size={state_size!s}."
        )
    names = flatten(state_name)
    if len(names) != len(flatten(state_size)):
        raise ValueError(
            "Number of elements in argument `state_name` and `cell.state_size` are "
            f"mismatched. Received state_name={state_name} and cell.state_size={state_size}."
        )
    initial_state = pack_sequence_as(state_size, [state_saver.state(n) for n in names])
    outputs, state = static_rnn(
        cell, inputs, initial_state=initial_state, sequence_length=sequence_length, scope=scope
    )
    flat_state = flatten(state)
    saves = [state_saver.save_state(n, s) for n, s in zip(names, flat_state)]
    with get_default_graph().control_dependencies(saves):
        outputs[-1] = map_structure(array_ops.identity, outputs[-1])
        state = pack_sequence_as(state, [array_ops.identity(s) for s in flat_state])
    return outputs, state


def _reverse_seq(input_seq, lengths):
    """The list `input_seq` reversed in time (within each entry's length if given)."""
    if lengths is None:
        return list(reversed(input_seq))
    flat_seq = [flatten(x) for x in input_seq]
    flat_results = [[] for _ in input_seq]
    for sequence in zip(*flat_seq):
        shape = tensor_shape.unknown_shape(rank=sequence[0].shape.ndims)
        for x in sequence:
            shape = shape.merge_with(x.shape)
        reversed_ = array_ops.reverse_sequence(
            array_ops.stack(sequence), lengths, seq_axis=0, batch_axis=1
        )
        for r, result in zip(array_ops.unstack(reversed_), flat_results):
            r.set_shape(shape)
            result.append(r)
    return [pack_sequence_as(x, r) for x, r in zip(input_seq, flat_results)]


def static_bidirectional_rnn(
    cell_fw,
    cell_bw,
    inputs,
    initial_state_fw=None,
    initial_state_bw=None,
    dtype=None,
    sequence_length=None,
    scope=None,
):
    """A forward and a backward `static_rnn`; the outputs are the forward and backward
    outputs concatenated at each time step.

    Returns:
      A tuple (outputs, output_state_fw, output_state_bw), outputs a list of
      `[batch_size, fw.output_size + bw.output_size]` tensors.
    """
    assert_like_rnncell("cell_fw", cell_fw)
    assert_like_rnncell("cell_bw", cell_bw)
    if not is_nested(inputs):
        raise TypeError(f"Argument `inputs` must be a sequence. Received: {inputs}")
    if not inputs:
        raise ValueError("Argument `inputs` must not be empty.")
    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            output_fw, state_fw = static_rnn(
                cell_fw, inputs, initial_state_fw, dtype, sequence_length, scope=fw_scope
            )
        with variable_scope("bw") as bw_scope:
            reversed_inputs = _reverse_seq(inputs, sequence_length)
            tmp, state_bw = static_rnn(
                cell_bw, reversed_inputs, initial_state_bw, dtype, sequence_length, scope=bw_scope
            )
    output_bw = _reverse_seq(tmp, sequence_length)
    flat = [array_ops.concat([fw, bw], 1) for fw, bw in zip(flatten(output_fw), flatten(output_bw))]
    return pack_sequence_as(output_fw, flat), state_fw, state_bw


# -- raw_rnn ----------------------------------------------------------------------------------


def raw_rnn(cell, loop_fn, parallel_iterations=None, swap_memory=False, scope=None):
    """An RNN driven by `loop_fn(time, cell_output, cell_state, loop_state)`, which returns
    `(finished, next_input, next_cell_state, emit_output, next_loop_state)`; it runs until
    every batch entry is finished.

    Returns:
      `(emit_ta, final_state, final_loop_state)`: `emit_ta` holds one emitted structure
      per step (zeros for finished entries), `final_loop_state` is None if `loop_fn`
      gave none.

    The number of steps is known only when the loop runs, so the loop runs step by step
    from the host (each step compiled) and has no gradient.
    """
    del swap_memory
    assert_like_rnncell("cell", cell)
    if not callable(loop_fn):
        raise TypeError(f"Argument `loop_fn` must be a callable. Received: {loop_fn}.")
    with variable_scope(scope or "rnn"):
        time = constant(0, dtype=dtypes.int32)
        finished, next_input, initial_state, emit_structure, init_loop_state = loop_fn(
            time, None, None, None
        )
        flat_input = [convert_to_tensor(x) for x in flatten(next_input)]
        batch = tensor_shape.dimension_value(flat_input[0].shape[0])
        batch_size = batch if batch is not None else array_ops.shape(flat_input[0])[0]
        assert_same_structure(initial_state, cell.state_size)
        state = map_structure(convert_to_tensor, initial_state)
        loop_state = init_loop_state if init_loop_state is not None else constant(0)
        if emit_structure is not None:
            flat_emit = [convert_to_tensor(e) for e in flatten(emit_structure)]
            zero_emit = pack_sequence_as(
                emit_structure, [array_ops.zeros_like(e) for e in flat_emit]
            )
        else:
            emit_structure = cell.output_size
            zero_emit = pack_sequence_as(
                emit_structure,
                [_zeros(batch_size, s, flatten(state)[0].dtype) for s in flatten(emit_structure)],
            )
        emit_buffers = [array_ops.expand_dims(z, 0)[:0] for z in flatten(zero_emit)]
        loop_vars = (
            time,
            finished,
            pack_sequence_as(next_input, flat_input),
            emit_buffers,
            state,
            loop_state,
        )

        def body(time, finished, current_input, buffers, state, loop_state):
            next_output, cell_state = cell(current_input, state)
            assert_same_structure(state, cell_state)
            next_time = time + 1
            next_finished, next_input, next_state, emit, next_loop_state = loop_fn(
                next_time, next_output, cell_state, loop_state
            )
            assert_same_structure(state, next_state)
            assert_same_structure(current_input, next_input)
            loop_state = loop_state if next_loop_state is None else next_loop_state

            def copy_through(current, candidate):
                if isinstance(current, TensorArray) or current.shape.ndims == 0:
                    return candidate
                return array_ops.where(finished, current, candidate)

            emit = map_structure(copy_through, zero_emit, emit)
            next_state = map_structure(copy_through, state, next_state)
            buffers = [
                array_ops.concat([b, array_ops.expand_dims(e, 0)], 0)
                for b, e in zip(buffers, flatten(emit))
            ]
            finished = math_ops.logical_or(finished, next_finished)
            return next_time, finished, next_input, buffers, next_state, loop_state

        # the emitted buffers grow by one step per iteration (a loop run from the host)
        invariants = list(map_structure(_own_shape, loop_vars))
        invariants[3] = [
            tensor_shape.TensorShape([None]).concatenate(b.shape[1:]) for b in emit_buffers
        ]
        _, _, _, buffers, final_state, final_loop_state = while_loop(
            lambda time, finished, *_: math_ops.logical_not(math_ops.reduce_all(finished)),
            body,
            loop_vars,
            shape_invariants=invariants,
            parallel_iterations=parallel_iterations or 32,
        )
        emit_ta = pack_sequence_as(
            emit_structure,
            [TensorArray(b.dtype, flow=b, name=f"rnn_output_{i}") for i, b in enumerate(buffers)],
        )
        return emit_ta, final_state, (final_loop_state if init_loop_state is not None else None)


def _own_shape(x):
    return x.shape if isinstance(x, Tensor) else None
