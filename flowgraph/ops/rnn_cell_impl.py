"""`tf.nn.rnn_cell`: TF1's RNN cells, their wrappers and `LSTMStateTuple`.

Cells behave as TF1's layer-based cells: the first call opens the cell's variable scope
(the snake-cased class name, made unique in the enclosing variable scope, e.g.
`rnn/basic_lstm_cell`), builds the variables there with `get_variable`, and every later
call re-enters that scope with `reuse=True`, so a cell shares its weights across the time
steps of `static_rnn` and across the calls of a `dynamic_rnn` loop body.
"""

from __future__ import annotations

import collections
import hashlib
import inspect
import itertools
import numbers
import re

import jax

from flowgraph.framework import dtypes, tensor_shape
from flowgraph.framework.ops import Tensor, constant_value, get_default_graph
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, clip_ops, init_ops, math_ops, nn_ops, random_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.tensor_array_ops import TensorArray
from flowgraph.ops.variable_scope import get_variable, get_variable_scope, variable_scope

_BIAS_VARIABLE_NAME = "bias"
_WEIGHTS_VARIABLE_NAME = "kernel"

# -- nested structures (TF's `nest`): lists, tuples and namedtuples nest; all else is a leaf --


def _is_leaf(x) -> bool:
    return not isinstance(x, (list, tuple, dict))


def is_nested(x) -> bool:
    return not _is_leaf(x)


def flatten(structure) -> list:
    """The leaves of `structure`, in TF's `nest.flatten` order."""
    return jax.tree_util.tree_leaves(structure, is_leaf=_is_leaf)


def pack_sequence_as(structure, flat_sequence):
    """`flat_sequence` arranged like `structure`."""
    treedef = jax.tree_util.tree_structure(structure, is_leaf=_is_leaf)
    return jax.tree_util.tree_unflatten(treedef, list(flat_sequence))


def map_structure(fn, *structures):
    """`fn` applied to the corresponding leaves of `structures` (which must match)."""
    assert_same_structure(*structures)
    return jax.tree_util.tree_map(fn, *structures, is_leaf=_is_leaf)


def assert_same_structure(first, *others) -> None:
    expected = jax.tree_util.tree_structure(first, is_leaf=_is_leaf)
    for other in others:
        got = jax.tree_util.tree_structure(other, is_leaf=_is_leaf)
        if got.num_leaves != expected.num_leaves or _shape_of(first) != _shape_of(other):
            raise ValueError(
                "The two structures don't have the same nested structure.\n\n"
                f"First structure: {first}\n\nSecond structure: {other}"
            )


def _shape_of(structure):
    if _is_leaf(structure):
        return None
    if isinstance(structure, dict):
        return {k: _shape_of(v) for k, v in structure.items()}
    return [_shape_of(x) for x in structure]


# -- helpers --------------------------------------------------------------------------------


def _to_snake_case(name: str) -> str:
    """TF's layer naming: `BasicLSTMCell` -> `basic_lstm_cell`."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()


def _activation(activation):
    if not activation:
        return math_ops.tanh
    if callable(activation):
        return activation
    from flowgraph import nn

    fn = getattr(nn, activation, None) or getattr(math_ops, activation, None)
    if fn is None:
        raise ValueError(f"Unknown activation function: {activation}")
    return fn


def _check_supported_dtypes(dtype) -> None:
    if dtype is None:
        return
    dtype = dtypes.as_dtype(dtype)
    if not (dtype.is_floating or dtype.is_complex):
        raise ValueError(
            f"RNN cell only supports floating point inputs, but saw dtype: {dtype.name}"
        )


def _check_rnn_cell_input_dtypes(inputs) -> None:
    for t in flatten(inputs):
        _check_supported_dtypes(t.dtype)


def _hasattr(obj, name: str) -> bool:
    try:
        getattr(obj, name)
    except AttributeError:
        return False
    return True


def assert_like_rnncell(cell_name, cell) -> None:
    """Raises a TypeError if `cell` lacks what an RNNCell has."""
    conditions = [
        (_hasattr(cell, "output_size"), "'output_size' property is missing"),
        (_hasattr(cell, "state_size"), "'state_size' property is missing"),
        (
            _hasattr(cell, "get_initial_state") or _hasattr(cell, "zero_state"),
            "either 'zero_state' or 'get_initial_state' method is required",
        ),
        (callable(cell), "is not callable"),
    ]
    missing = [message for ok, message in conditions if not ok]
    if missing:
        raise TypeError(
            f"The argument {cell_name!r} ({cell}) is not an RNNCell: {', '.join(missing)}."
        )


def _static_size(size) -> list:
    return tensor_shape.as_shape(size).as_list()


def _zero_state_tensors(state_size, batch_size, dtype):
    """Zeros of shape [batch_size, *s] for each size `s` of `state_size`."""
    static_batch = batch_size if isinstance(batch_size, int) else constant_value(batch_size)

    def zeros(size):
        dims = _static_size(size)
        if static_batch is not None:
            return array_ops.zeros([int(static_batch)] + dims, dtype=dtype)
        shape = array_ops.concat([array_ops.reshape(batch_size, [1]), dims], 0)
        out = array_ops.zeros(shape, dtype=dtype)
        out.set_shape([None] + dims)
        return out

    return pack_sequence_as(state_size, [zeros(s) for s in flatten(state_size)])


# -- LSTMStateTuple ---------------------------------------------------------------------------

_LSTMStateTuple = collections.namedtuple("LSTMStateTuple", ("c", "h"))


class LSTMStateTuple(_LSTMStateTuple):
    """Tuple used by LSTM cells for `state_size`, `zero_state` and the output state:
    `(c, h)`, the cell state and the output, in that order."""

    __slots__ = ()

    @property
    def dtype(self):
        c, h = self
        if c.dtype != h.dtype:
            raise TypeError(f"Inconsistent internal state: {c.dtype} vs {h.dtype}")
        return c.dtype


# -- the cell base classes -------------------------------------------------------------------


class RNNCell:
    """Abstract RNN cell: `(output, next_state) = cell(inputs, state)`.

    Subclasses define `state_size`, `output_size` and `call(inputs, state)`, and create
    their variables in `build(inputs_shape)` with `add_variable` (or with `get_variable`
    inside `call`): either way they live in the cell's variable scope and are reused by
    every later call.
    """

    def __init__(self, trainable=True, name=None, dtype=None, _reuse=None, **kwargs):
        del kwargs  # layer keyword arguments TF accepts and flowgraph has no use for
        self.trainable = trainable
        self._base_name = name or _to_snake_case(type(self).__name__)
        self._dtype = None if dtype is None else dtypes.as_dtype(dtype).base_dtype
        self._reuse = _reuse
        self._scope = None  # the cell's own variable scope, fixed by the first call
        self._rnncell_scope = None  # the variable scope around the first call
        self.built = False
        self._trainable_weights: list = []
        self._non_trainable_weights: list = []

    # -- what the cell is ----------------------------------------------------------------

    @property
    def state_size(self):
        """Size(s) of the state: an int, a TensorShape or a nested tuple of them."""
        raise NotImplementedError("Abstract method")

    @property
    def output_size(self):
        """Integer or TensorShape: size of the outputs produced by this cell."""
        raise NotImplementedError("Abstract method")

    @property
    def name(self) -> str:
        return self._base_name

    @property
    def dtype(self):
        return self._dtype

    @property
    def scope_name(self) -> str:
        if self._scope is None:
            raise ValueError(
                f"No name available for layer scope because the layer "
                f'"{self.name}" has not been used yet.'
            )
        return self._scope.name

    @property
    def trainable_weights(self) -> list:
        return list(self._trainable_weights) if self.trainable else []

    @property
    def non_trainable_weights(self) -> list:
        if self.trainable:
            return list(self._non_trainable_weights)
        return self._trainable_weights + self._non_trainable_weights

    @property
    def weights(self) -> list:
        return self.trainable_weights + self.non_trainable_weights

    @property
    def trainable_variables(self) -> list:
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list:
        return self.non_trainable_weights

    variables = weights

    # -- calling -------------------------------------------------------------------------

    def __call__(self, inputs, state, scope=None):
        """Runs the cell on `inputs` from `state`; returns `(output, new_state)`.

        Args:
          inputs: `2-D` tensor with shape `[batch_size, input_size]`.
          state: a `[batch_size, state_size]` tensor, or a tuple of them matching
            `self.state_size`.
          scope: VariableScope for the created subgraph; defaults to the class name.
        """
        if scope is not None:
            with variable_scope(scope, custom_getter=self._rnn_get_variable) as scope:
                return self._layer_call(inputs, state, scope)
        if self._rnncell_scope is None:
            self._rnncell_scope = get_variable_scope()
        with variable_scope(self._rnncell_scope, custom_getter=self._rnn_get_variable):
            return self._layer_call(inputs, state, None)

    def _layer_call(self, inputs, state, scope, **kwargs):
        """TF's Layer.__call__: scope, build once, then `call`."""
        if self._scope is None:
            if self._reuse:
                opened = variable_scope(scope if scope is not None else self._base_name)
            else:
                opened = variable_scope(scope, default_name=self._base_name)
            with opened as captured:
                self._scope = captured
        reuse = True if self.built else self._reuse
        graph = get_default_graph()
        with variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False) as vs:
            with graph.name_scope(self._scope.original_name_scope):
                if not self.built:
                    self._dtype = self._dtype or flatten(inputs)[0].dtype.base_dtype
                    self.build(_shapes(inputs))
                    self.built = True
                if "scope" in inspect.signature(self.call).parameters:
                    kwargs["scope"] = vs
                return self.call(inputs, state, **kwargs)

    def call(self, inputs, state):
        raise NotImplementedError("Abstract method")

    def build(self, inputs_shape) -> None:
        """Creates the cell's variables (TF: `add_variable` calls) before the first `call`."""
        del inputs_shape

    def add_variable(
        self,
        name,
        shape=None,
        dtype=None,
        initializer=None,
        regularizer=None,
        trainable=True,
        constraint=None,
        partitioner=None,
        **kwargs,
    ):
        """A variable of the cell, created (or reused) in its variable scope."""
        variable = get_variable(
            name,
            shape=shape,
            dtype=dtype or self._dtype or dtypes.float32,
            initializer=initializer,
            regularizer=regularizer,
            trainable=trainable and self.trainable,
            constraint=constraint,
            partitioner=partitioner,
        )
        self._track(variable, trainable and self.trainable)
        return variable

    add_weight = add_variable

    def _rnn_get_variable(self, getter, *args, **kwargs):
        from flowgraph.ops.variables import trainable_variables

        variable = getter(*args, **kwargs)
        self._track(variable, any(variable is v for v in trainable_variables()))
        return variable

    def _track(self, variable, trainable: bool) -> None:
        weights = self._trainable_weights if trainable else self._non_trainable_weights
        if all(variable is not v for v in weights):
            weights.append(variable)

    # -- initial state -------------------------------------------------------------------

    def zero_state(self, batch_size, dtype):
        """Zero-filled state tensor(s): `[batch_size, s]` for each `s` in `state_size`."""
        with self._zero_state_scope(batch_size):
            return _zero_state_tensors(self.state_size, batch_size, dtype)

    def _zero_state_scope(self, batch_size):
        """The name scope `zero_state` builds in: `<class name>ZeroState`."""
        return name_scope(type(self).__name__ + "ZeroState", values=_tensors(batch_size))

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        if inputs is not None:
            inputs = convert_to_tensor(inputs, name="inputs")
            if dtype is not None and inputs.dtype != dtype:
                raise ValueError(
                    "dtype from input tensor is different from the input param. Input "
                    f"tensor dtype: {inputs.dtype}, dtype: {dtype}"
                )
            batch_size = tensor_shape.dimension_value(inputs.shape[0])
            if batch_size is None:
                batch_size = array_ops.shape(inputs)[0]
            dtype = inputs.dtype
        if batch_size is None or dtype is None:
            raise ValueError(
                "batch_size and dtype cannot be None while constructing initial state: "
                f"batch_size={batch_size}, dtype={dtype}"
            )
        return self.zero_state(batch_size, dtype)


def _shapes(inputs):
    shapes = [t.shape for t in flatten(inputs)]
    return shapes[0] if _is_leaf(inputs) else pack_sequence_as(inputs, shapes)


def _tensors(value) -> list:
    return [value] if isinstance(value, Tensor) else []


def _last_dim(inputs_shape) -> int:
    depth = tensor_shape.dimension_value(tensor_shape.as_shape(inputs_shape)[-1])
    if depth is None:
        raise ValueError(f"Expected inputs.shape[-1] to be known, saw shape: {inputs_shape}")
    return depth


class LayerRNNCell(RNNCell):
    """An RNNCell that acts as a `tf.layers` Layer: its variables come from `build`."""

    def __call__(self, inputs, state, scope=None, *args, **kwargs):
        return self._layer_call(inputs, state, scope, **kwargs)

    def _add_kernel_and_bias(self, kernel_shape, initializer=None):
        """The cell's `kernel` variable of `kernel_shape` and its zero-initialized `bias`
        (one entry per kernel column)."""
        kernel = self.add_variable(
            _WEIGHTS_VARIABLE_NAME, shape=kernel_shape, initializer=initializer
        )
        bias = self.add_variable(
            _BIAS_VARIABLE_NAME,
            shape=[kernel_shape[-1]],
            initializer=init_ops.zeros_initializer(dtype=self.dtype),
        )
        return kernel, bias


class _UnitsCell(LayerRNNCell):
    """A cell of `num_units` units with an `activation`, both state and output of size
    `num_units` unless a subclass says otherwise."""

    def __init__(self, num_units, activation, reuse, name, dtype, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        _check_supported_dtypes(self.dtype)
        self._num_units = num_units
        self._activation = _activation(activation)

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units


def _linear(args, kernel, bias):
    """`concat(args, 1) @ kernel + bias`: the affine map every cell applies to its input
    and state."""
    return nn_ops.bias_add(math_ops.matmul(array_ops.concat(args, 1), kernel), bias)


def _lstm_state(c, h, state_is_tuple):
    """An LSTM cell's new state: `LSTMStateTuple(c, h)`, or `c` and `h` side by side."""
    return LSTMStateTuple(c, h) if state_is_tuple else array_ops.concat([c, h], 1)


# -- the cells --------------------------------------------------------------------------------


class BasicRNNCell(_UnitsCell):
    """The most basic RNN cell: `output = new_state = act(W [input, state] + b)`.

    Args:
      num_units: int, the number of units in the RNN cell.
      activation: nonlinearity to use; default `tanh`.
      reuse: whether to reuse variables in an existing scope.
      name: the name of the layer (its variable scope).
      dtype: default dtype of the layer (else the first input's).
    """

    def __init__(self, num_units, activation=None, reuse=None, name=None, dtype=None, **kwargs):
        super().__init__(num_units, activation, reuse, name, dtype, **kwargs)

    def build(self, inputs_shape):
        _check_supported_dtypes(self.dtype)
        depth = _last_dim(inputs_shape)
        n = self._num_units
        self._kernel, self._bias = self._add_kernel_and_bias([depth + n, n])

    def call(self, inputs, state):
        _check_rnn_cell_input_dtypes([inputs, state])
        output = self._activation(_linear([inputs, state], self._kernel, self._bias))
        return output, output


class GRUCell(_UnitsCell):
    """Gated Recurrent Unit cell (Cho et al., 2014), with TF's `gates/` (reset, update)
    and `candidate/` variables; the gate bias starts at 1.

    Args:
      num_units: int, the number of units in the GRU cell.
      activation: nonlinearity to use; default `tanh`.
      reuse: whether to reuse variables in an existing scope.
      kernel_initializer: initializer for the weight matrices.
      bias_initializer: initializer for the biases.
      name: the name of the layer.
      dtype: default dtype of the layer.
    """

    def __init__(
        self,
        num_units,
        activation=None,
        reuse=None,
        kernel_initializer=None,
        bias_initializer=None,
        name=None,
        dtype=None,
        **kwargs,
    ):
        super().__init__(num_units, activation, reuse, name, dtype, **kwargs)
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer

    def build(self, inputs_shape):
        _check_supported_dtypes(self.dtype)
        depth = _last_dim(inputs_shape) + self._num_units
        n = self._num_units
        self._gate_kernel = self.add_variable(
            f"gates/{_WEIGHTS_VARIABLE_NAME}", [depth, 2 * n], initializer=self._kernel_initializer
        )
        self._gate_bias = self.add_variable(
            f"gates/{_BIAS_VARIABLE_NAME}",
            [2 * n],
            initializer=self._bias_initializer
            or init_ops.constant_initializer(1.0, dtype=self.dtype),
        )
        self._candidate_kernel = self.add_variable(
            f"candidate/{_WEIGHTS_VARIABLE_NAME}", [depth, n], initializer=self._kernel_initializer
        )
        self._candidate_bias = self.add_variable(
            f"candidate/{_BIAS_VARIABLE_NAME}",
            [n],
            initializer=self._bias_initializer or init_ops.zeros_initializer(dtype=self.dtype),
        )

    def call(self, inputs, state):
        _check_rnn_cell_input_dtypes([inputs, state])
        value = math_ops.sigmoid(_linear([inputs, state], self._gate_kernel, self._gate_bias))
        r, u = array_ops.split(value=value, num_or_size_splits=2, axis=1)
        c = self._activation(
            _linear([inputs, r * state], self._candidate_kernel, self._candidate_bias)
        )
        new_h = u * state + (1 - u) * c
        return new_h, new_h


class BasicLSTMCell(_UnitsCell):
    """Basic LSTM cell (no peepholes, no clipping, no projection); `forget_bias` is added
    to the forget gate's pre-activation.

    Args:
      num_units: int, the number of units in the LSTM cell.
      forget_bias: float, added to the biases of the forget gate.
      state_is_tuple: if True (the default) states are `LSTMStateTuple(c, h)`, else `c`
        and `h` concatenated along the columns.
      activation: activation of the inner states; default `tanh`.
      reuse: whether to reuse variables in an existing scope.
      name: the name of the layer.
      dtype: default dtype of the layer.
    """

    def __init__(
        self,
        num_units,
        forget_bias=1.0,
        state_is_tuple=True,
        activation=None,
        reuse=None,
        name=None,
        dtype=None,
        **kwargs,
    ):
        super().__init__(num_units, activation, reuse, name, dtype, **kwargs)
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple

    @property
    def state_size(self):
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    def build(self, inputs_shape):
        _check_supported_dtypes(self.dtype)
        depth = _last_dim(inputs_shape)
        n = self._num_units
        self._kernel, self._bias = self._add_kernel_and_bias([depth + n, 4 * n])

    def call(self, inputs, state):
        _check_rnn_cell_input_dtypes([inputs, state])
        if self._state_is_tuple:
            c, h = state
        else:
            c, h = array_ops.split(value=state, num_or_size_splits=2, axis=1)
        gate_inputs = _linear([inputs, h], self._kernel, self._bias)
        i, j, f, o = array_ops.split(value=gate_inputs, num_or_size_splits=4, axis=1)
        forget_bias = convert_to_tensor(self._forget_bias, dtype=f.dtype)
        sigmoid = math_ops.sigmoid
        new_c = c * sigmoid(f + forget_bias) + sigmoid(i) * self._activation(j)
        new_h = self._activation(new_c) * sigmoid(o)
        return new_h, _lstm_state(new_c, new_h, self._state_is_tuple)


class LSTMCell(_UnitsCell):
    """LSTM cell with optional peepholes (Sak et al., 2014), cell clipping and an output
    projection.

    Args:
      num_units: int, the number of units in the LSTM cell.
      use_peepholes: bool, enable diagonal/peephole connections.
      cell_clip: (optional) the cell state is clipped to [-cell_clip, cell_clip] before
        the output activation.
      initializer: (optional) initializer for the weight and projection matrices.
      num_proj: (optional) int, the output dimensionality of the projection; None for no
        projection.
      proj_clip: (optional) the projected output is clipped to [-proj_clip, proj_clip].
      num_unit_shards, num_proj_shards: deprecated in TF; only None is accepted.
      forget_bias: added to the forget gate's pre-activation.
      state_is_tuple: states are `LSTMStateTuple(c, m)` (True) or concatenated.
      activation: activation of the inner states; default `tanh`.
      reuse: whether to reuse variables in an existing scope.
      name: the name of the layer.
      dtype: default dtype of the layer.
    """

    def __init__(
        self,
        num_units,
        use_peepholes=False,
        cell_clip=None,
        initializer=None,
        num_proj=None,
        proj_clip=None,
        num_unit_shards=None,
        num_proj_shards=None,
        forget_bias=1.0,
        state_is_tuple=True,
        activation=None,
        reuse=None,
        name=None,
        dtype=None,
        **kwargs,
    ):
        super().__init__(num_units, activation, reuse, name, dtype, **kwargs)
        if num_unit_shards is not None or num_proj_shards is not None:
            raise ValueError(
                "num_unit_shards and num_proj_shards are not supported (partitioned "
                "variables do not exist in flowgraph); leave them None."
            )
        self._use_peepholes = use_peepholes
        self._cell_clip = cell_clip
        self._initializer = initializer
        self._num_proj = num_proj
        self._proj_clip = proj_clip
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        out = num_proj or num_units
        self._output_size = out
        self._state_size = LSTMStateTuple(num_units, out) if state_is_tuple else num_units + out

    @property
    def state_size(self):
        return self._state_size

    @property
    def output_size(self):
        return self._output_size

    def build(self, inputs_shape):
        _check_supported_dtypes(self.dtype)
        depth = _last_dim(inputs_shape)
        n, init = self._num_units, self._initializer
        self._kernel, self._bias = self._add_kernel_and_bias(
            [depth + self._output_size, 4 * n], initializer=init
        )
        if self._use_peepholes:
            self._w_f_diag = self.add_variable("w_f_diag", shape=[n], initializer=init)
            self._w_i_diag = self.add_variable("w_i_diag", shape=[n], initializer=init)
            self._w_o_diag = self.add_variable("w_o_diag", shape=[n], initializer=init)
        if self._num_proj is not None:
            self._proj_kernel = self.add_variable(
                f"projection/{_WEIGHTS_VARIABLE_NAME}",
                shape=[n, self._num_proj],
                initializer=init,
            )

    def call(self, inputs, state):
        _check_rnn_cell_input_dtypes([inputs, state])
        sigmoid, act = math_ops.sigmoid, self._activation
        if self._state_is_tuple:
            c_prev, m_prev = state
        else:
            c_prev = array_ops.slice(state, [0, 0], [-1, self._num_units])
            m_prev = array_ops.slice(state, [0, self._num_units], [-1, self._output_size])
        if tensor_shape.dimension_value(inputs.shape.with_rank(2)[1]) is None:
            raise ValueError("Could not infer input size from inputs.get_shape()[-1]")
        lstm_matrix = _linear([inputs, m_prev], self._kernel, self._bias)
        i, j, f, o = array_ops.split(value=lstm_matrix, num_or_size_splits=4, axis=1)
        if self._use_peepholes:
            c = sigmoid(f + self._forget_bias + self._w_f_diag * c_prev) * c_prev + sigmoid(
                i + self._w_i_diag * c_prev
            ) * act(j)
        else:
            c = sigmoid(f + self._forget_bias) * c_prev + sigmoid(i) * act(j)
        if self._cell_clip is not None:
            c = clip_ops.clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            m = sigmoid(o + self._w_o_diag * c) * act(c)
        else:
            m = sigmoid(o) * act(c)
        if self._num_proj is not None:
            m = math_ops.matmul(m, self._proj_kernel)
            if self._proj_clip is not None:
                m = clip_ops.clip_by_value(m, -self._proj_clip, self._proj_clip)
        return m, _lstm_state(c, m, self._state_is_tuple)


class MultiRNNCell(RNNCell):
    """RNN cell composed sequentially of several cells; cell `i` runs in variable scope
    `cell_i`, its output the next cell's input.

    Example:
      >>> cells = [tf.nn.rnn_cell.BasicLSTMCell(n) for n in (128, 64)]
      >>> stacked = tf.nn.rnn_cell.MultiRNNCell(cells)
    """

    def __init__(self, cells, state_is_tuple=True):
        super().__init__()
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        if not is_nested(cells):
            raise TypeError(f"cells must be a list or tuple, but saw: {cells}.")
        self._cells = list(cells)
        self._state_is_tuple = state_is_tuple
        if not state_is_tuple and any(is_nested(c.state_size) for c in self._cells):
            raise ValueError(
                "Some cells return tuples of states, but the flag state_is_tuple is not set. "
                f"State sizes are: {[c.state_size for c in self._cells]}"
            )

    @property
    def state_size(self):
        if self._state_is_tuple:
            return tuple(cell.state_size for cell in self._cells)
        return sum(cell.state_size for cell in self._cells)

    @property
    def output_size(self):
        return self._cells[-1].output_size

    def zero_state(self, batch_size, dtype):
        with self._zero_state_scope(batch_size):
            if self._state_is_tuple:
                return tuple(cell.zero_state(batch_size, dtype) for cell in self._cells)
            return _zero_state_tensors(self.state_size, batch_size, dtype)

    @property
    def trainable_weights(self) -> list:
        if not self.trainable:
            return []
        return [w for cell in self._cells for w in cell.trainable_weights]

    @property
    def non_trainable_weights(self) -> list:
        weights = [w for cell in self._cells for w in cell.non_trainable_weights]
        if not self.trainable:
            return [w for cell in self._cells for w in cell.trainable_weights] + weights
        return weights

    def call(self, inputs, state):
        position, current, new_states = 0, inputs, []
        for i, cell in enumerate(self._cells):
            with variable_scope(f"cell_{i}"):
                if self._state_is_tuple:
                    if not is_nested(state):
                        raise ValueError(
                            f"Expected state to be a tuple of length {len(self.state_size)}, "
                            f"but received: {state}"
                        )
                    cell_state = state[i]
                else:
                    cell_state = array_ops.slice(state, [0, position], [-1, cell.state_size])
                    position += cell.state_size
                current, new_state = cell(current, cell_state)
                new_states.append(new_state)
        if self._state_is_tuple:
            return current, tuple(new_states)
        return current, array_ops.concat(new_states, 1)


# -- wrappers -------------------------------------------------------------------------------


class _RNNCellWrapper(RNNCell):
    """A cell around `cell` that calls it directly (no variable scope of its own)."""

    def __init__(self, cell, *args, **kwargs):
        super().__init__(*args, **kwargs)
        assert_like_rnncell("cell", cell)
        self.cell = cell

    @property
    def wrapped_cell(self):
        return self.cell

    @property
    def state_size(self):
        return self.cell.state_size

    @property
    def output_size(self):
        return self.cell.output_size

    @property
    def trainable_weights(self) -> list:
        return self.cell.trainable_weights

    @property
    def non_trainable_weights(self) -> list:
        return self.cell.non_trainable_weights

    def zero_state(self, batch_size, dtype):
        with self._zero_state_scope(batch_size):
            return self.cell.zero_state(batch_size, dtype)

    def build(self, inputs_shape):
        self.cell.build(inputs_shape)
        self.built = True

    def __call__(self, inputs, state, scope=None):
        return self._call_wrapped_cell(inputs, state, self.cell.__call__, scope=scope)

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        raise NotImplementedError


def _default_dropout_state_filter_visitor(substate):
    if isinstance(substate, LSTMStateTuple):
        return LSTMStateTuple(c=False, h=True)  # never drop the memory `c` (Gal et al.)
    if isinstance(substate, TensorArray):
        return False
    return True


class DropoutWrapper(_RNNCellWrapper):
    """Adds dropout to the inputs, outputs and states of `cell`.

    With `variational_recurrent=True` the same dropout mask is used at every time step
    (Gal & Ghahramani, 2015); the masks are drawn once per `Session.run`, so `input_size`
    (when `input_keep_prob < 1`) and `dtype` must be given. The memory `c` of an
    `LSTMStateTuple` is never dropped unless `dropout_state_filter_visitor` says so.

    Args:
      cell: an RNNCell.
      input_keep_prob, output_keep_prob, state_keep_prob: scalar tensors or floats in
        [0, 1]; a constant 1 adds no dropout.
      variational_recurrent: use one dropout mask for all time steps.
      input_size: (nested) TensorShape(s) of the inputs (variational recurrent only).
      dtype: dtype of the inputs, states and outputs (variational recurrent only).
      seed: the randomness seed.
      dropout_state_filter_visitor: function of a (sub)state returning a bool or a
        depth-1 structure of bools saying which parts of the state dropout applies to.
    """

    def __init__(
        self,
        cell,
        input_keep_prob=1.0,
        output_keep_prob=1.0,
        state_keep_prob=1.0,
        variational_recurrent=False,
        input_size=None,
        dtype=None,
        seed=None,
        dropout_state_filter_visitor=None,
        **kwargs,
    ):
        super().__init__(cell, dtype=dtype, **kwargs)
        if dropout_state_filter_visitor is not None and not callable(dropout_state_filter_visitor):
            raise TypeError("dropout_state_filter_visitor must be callable")
        self._dropout_state_filter = (
            dropout_state_filter_visitor or _default_dropout_state_filter_visitor
        )
        with name_scope("DropoutWrapperInit"):
            self._input_keep_prob = _keep_prob(input_keep_prob, "input_keep_prob")
            self._state_keep_prob = _keep_prob(state_keep_prob, "state_keep_prob")
            self._output_keep_prob = _keep_prob(output_keep_prob, "output_keep_prob")
        self._variational_recurrent = variational_recurrent
        self._input_size = input_size
        self._seed = seed
        self._recurrent_input_noise = None
        self._recurrent_state_noise = None
        self._recurrent_output_noise = None
        if variational_recurrent:
            self._draw_recurrent_noise(input_size, dtype)

    def _draw_recurrent_noise(self, input_size, dtype) -> None:
        if dtype is None:
            raise ValueError("When variational_recurrent=True, dtype must be provided")

        def noise(sizes, salt):
            return pack_sequence_as(
                sizes,
                [
                    random_ops.random_uniform(
                        [1] + _static_size(s), seed=self._gen_seed(salt, i), dtype=dtype
                    )
                    for i, s in enumerate(flatten(sizes))
                ],
            )

        if not isinstance(self._input_keep_prob, numbers.Real) or self._input_keep_prob < 1.0:
            if input_size is None:
                raise ValueError(
                    "When variational_recurrent=True and input_keep_prob < 1.0 or is "
                    "unknown, input_size must be provided"
                )
            self._recurrent_input_noise = noise(input_size, "input")
        self._recurrent_state_noise = noise(self.cell.state_size, "state")
        self._recurrent_output_noise = noise(self.cell.output_size, "output")

    def _gen_seed(self, salt_prefix: str, index: int):
        if self._seed is None:
            return None
        salt = f"{self._seed}{salt_prefix}_{index}".encode("utf-8")
        return int(hashlib.md5(salt).hexdigest()[:8], 16) & 0x7FFFFFFF

    def _dropout(self, values, salt_prefix, recurrent_noise, keep_prob, visitor=None):
        """Dropout on the leaves of `values` that `visitor` selects (all by default),
        numbered as TF numbers them (for per-leaf seeds)."""
        counter = itertools.count()

        def drop(value, noise):
            i = next(counter)
            if not self._variational_recurrent:
                return nn_ops.dropout(
                    value, rate=1.0 - keep_prob, seed=self._gen_seed(salt_prefix, i)
                )
            kept = math_ops.floor(keep_prob + noise)
            out = math_ops.divide(value, keep_prob) * kept
            out.set_shape(value.shape)
            return out

        return _map_selected(drop, visitor or (lambda _: True), values, recurrent_noise, counter)

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        if _should_dropout(self._input_keep_prob):
            inputs = self._dropout(
                inputs, "input", self._recurrent_input_noise, self._input_keep_prob
            )
        output, new_state = cell_call_fn(inputs, state, **kwargs)
        if _should_dropout(self._state_keep_prob):
            new_state = self._dropout(
                new_state,
                "state",
                self._recurrent_state_noise,
                self._state_keep_prob,
                self._dropout_state_filter,
            )
        if _should_dropout(self._output_keep_prob):
            output = self._dropout(
                output, "output", self._recurrent_output_noise, self._output_keep_prob
            )
        return output, new_state


def _keep_prob(value, what: str):
    """A float if `value` is constant (checked to lie in [0, 1]), else the tensor."""
    tensor = convert_to_tensor(value)
    const = constant_value(tensor)
    if const is None:
        return tensor
    if const < 0 or const > 1:
        raise ValueError(f"Parameter {what} must be between 0 and 1: {float(const)}")
    return float(const)


def _should_dropout(p) -> bool:
    return not isinstance(p, float) or p < 1


def _map_selected(fn, visitor, value, noise, counter):
    """`fn(leaf, noise_leaf)` on the parts of `value` that `visitor` selects (TF's
    `get_traverse_shallow_structure` + `map_structure_up_to`); a part left alone still
    takes a number from `counter`."""
    choice = visitor(value)
    if _is_leaf(value) or isinstance(value, dict):
        if choice:
            return fn(value, noise)
        next(counter)
        return value
    if choice is False:
        next(counter)
        return value
    choices = [True] * len(value) if choice is True else list(choice)
    noises = [None] * len(value) if noise is None else list(noise)
    out = []
    for selected, part, part_noise in zip(choices, value, noises):
        if selected:
            out.append(_map_selected(fn, visitor, part, part_noise, counter))
        else:
            next(counter)
            out.append(part)
    return type(value)(*out) if hasattr(value, "_fields") else type(value)(out)


class ResidualWrapper(_RNNCellWrapper):
    """Adds the cell's inputs to its outputs (`residual_fn(inputs, outputs)` if given).

    Args:
      cell: an RNNCell.
      residual_fn: (optional) maps the raw inputs and outputs to the wrapper's outputs;
        default `inputs + outputs` leaf by leaf.
    """

    def __init__(self, cell, residual_fn=None, **kwargs):
        super().__init__(cell, **kwargs)
        self._residual_fn = residual_fn

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        outputs, new_state = cell_call_fn(inputs, state, **kwargs)
        if self._residual_fn is not None:
            return self._residual_fn(inputs, outputs), new_state

        def add(inp, out):
            inp.shape.assert_is_compatible_with(out.shape)
            return inp + out

        return map_structure(add, inputs, outputs), new_state


class DeviceWrapper(_RNNCellWrapper):
    """Runs `cell` (and builds its zero state) under `tf.device(device)`."""

    def __init__(self, cell, device, **kwargs):
        super().__init__(cell, **kwargs)
        self._device = device

    def zero_state(self, batch_size, dtype):
        with self._zero_state_scope(batch_size):
            with get_default_graph().device(self._device):
                return self.cell.zero_state(batch_size, dtype)

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        with get_default_graph().device(self._device):
            return cell_call_fn(inputs, state, **kwargs)
