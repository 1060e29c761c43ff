"""`tf.layers.Layer`: a callable that owns its variable scope, variables, losses and updates."""

from __future__ import annotations

import collections
import collections.abc
import re
import weakref

from flowgraph.framework import dtypes
from flowgraph.framework.ops import GraphKeys, get_default_graph
from flowgraph.framework.scopes import add_to_collection, name_scope
from flowgraph.ops import array_ops, math_ops, variable_scope as vs
from flowgraph.ops.constant_op import convert_to_tensor

# Per graph, how many layers of each base name were made (Keras' unique object names).
_layer_names = weakref.WeakKeyDictionary()


class InputSpec:
    """Specifies the ndim, dtype and shape of every input to a layer.

    Args:
      dtype: expected dtype of the input.
      shape: shape tuple, expected shape of the input (None for free dimensions).
      ndim: integer, expected rank of the input.
      max_ndim: integer, maximum rank of the input.
      min_ndim: integer, minimum rank of the input.
      axes: dictionary mapping integer axes to a specific dimension value.
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None):  # fmt: skip
        self.dtype = dtype
        self.shape = shape
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.axes = axes or {}

    def check(self, layer_name, inputs):
        """Raises ValueError when `inputs` (a Tensor) does not fit this spec."""
        rank = inputs.shape.ndims
        wrong = (
            (self.ndim is not None and rank is not None and rank != self.ndim)
            or (self.min_ndim is not None and rank is not None and rank < self.min_ndim)
            or (self.max_ndim is not None and rank is not None and rank > self.max_ndim)
        )
        if wrong:
            raise ValueError(
                f"Input 0 of layer {layer_name} is incompatible with the layer: expected "
                f"ndim={self.ndim}, min_ndim={self.min_ndim}, max_ndim={self.max_ndim}, "
                f"found ndim={rank}. Full shape received: {inputs.shape}"
            )


class Layer:
    """Base layer class: builds its variables on the first call, in its variable scope.

    A layer is called on a tensor (`layer(x)` or `layer.apply(x)`); the first call opens
    a variable scope named after the layer (`dense`, `dense_1`, ... or `name`), runs
    `build(input_shape)` to create the variables with `add_weight`, then `call(inputs)`.
    Later calls reuse the variables and put their ops in the same name scope. Variable
    names follow TF1 (`dense/kernel`), and `trainable_weights`, `losses` (regularizers)
    and `updates` (e.g. batch-norm moving averages) record what the layer made.

    Args:
      trainable: whether the layer's variables are trainable.
      name: the layer's name (and variable scope), made unique per graph if omitted.
      dtype: the dtype of the layer's variables (default: its first input's).
      activity_regularizer: optional function of the outputs giving a loss.

    Example:
      >>> layer = tf.layers.Dense(10)
      >>> y1, y2 = layer(x1), layer(x2)          # one kernel, dense/kernel
      >>> layer.trainable_weights                # [dense/kernel, dense/bias]
    """

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        self._scope_arg = kwargs.pop("_scope", None)
        self._reuse = kwargs.pop("_reuse", None)
        self.activity_regularizer = kwargs.pop("activity_regularizer", None)
        kwargs.pop("input_shape", None)  # a Keras argument: shapes come from the inputs
        if kwargs:
            raise TypeError(f"Keyword argument not understood: {sorted(kwargs)[0]}")
        self.trainable = trainable
        self._dtype = None if dtype is None else dtypes.as_dtype(dtype).base_dtype
        self._base_name = name or _snake_case(type(self).__name__)
        self._name = name or self._unique_name()
        self._scope = None
        self.built = False
        self.input_spec = None
        self._trainable_weights, self._non_trainable_weights = [], []
        self._losses, self._updates = [], []

    # -- what subclasses define -----------------------------------------------------------

    def build(self, input_shape):
        """Creates the layer's variables (with `add_weight`) for inputs of `input_shape`."""
        self.built = True

    def call(self, inputs, **kwargs):
        """The layer's computation on `inputs` (the identity here)."""
        return inputs

    def compute_output_shape(self, input_shape):
        """The static shape of the outputs for inputs of `input_shape`."""
        raise NotImplementedError(f"{type(self).__name__}.compute_output_shape")

    # -- calling --------------------------------------------------------------------------

    def __call__(self, inputs, *args, **kwargs):
        """Wraps `call`: scope, `build` on the first call, activity regularization."""
        scope_arg = kwargs.pop("scope", None)
        with self._enter_scope(inputs, scope_arg):
            return self._call_in_scope(inputs, *args, **kwargs)

    def apply(self, inputs, *args, **kwargs):
        """Applies the layer on an input (the same as calling it)."""
        return self.__call__(inputs, *args, **kwargs)

    def _enter_scope(self, inputs, scope_arg):
        if self._scope is None:
            name = scope_arg if scope_arg is not None else self._scope_arg
            values = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
            default = None if name is not None else self._base_name
            return _CapturingScope(self, name, default, values, self._reuse)
        reuse = True if self.built else self._reuse
        return _ReenteredScope(self._scope, reuse)

    def _call_in_scope(self, inputs, *args, **kwargs):
        graph = get_default_graph()
        before = {key: len(graph.get_collection_ref(key)) for key in _TRACKED}
        if not isinstance(inputs, (list, tuple)):
            inputs = convert_to_tensor(inputs, name="inputs")
        first = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        if self.input_spec is not None:
            self.input_spec.check(self.name, first)
        if not self.built:
            self._dtype = self._dtype or first.dtype.base_dtype
            self.build(first.shape)
            self.built = True
        outputs = self.call(inputs, *args, **kwargs)
        if self.activity_regularizer is not None:
            self._regularize_activity(outputs)
        for key, attribute in _TRACKED.items():
            tracked = getattr(self, attribute)
            new = graph.get_collection_ref(key)[before[key] :]
            tracked += [t for t in new if t not in tracked]
        return outputs

    def _regularize_activity(self, outputs):
        """TF1.14+ (Keras): the activity loss is averaged over the batch."""
        loss = self.activity_regularizer(outputs)
        if loss is not None:
            batch = math_ops.cast(array_ops.shape(outputs)[0], loss.dtype.base_dtype)
            add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss / batch)

    # -- variables, losses, updates -------------------------------------------------------

    def add_weight(self, name, shape, dtype=None, initializer=None, regularizer=None,
                   trainable=None, constraint=None, **kwargs):  # fmt: skip
        """Gets or creates a variable `name` in the layer's scope and tracks it.

        Returns:
          The variable (trainable only when both `trainable` and the layer are).
        """
        trainable = self.trainable if trainable is None else (trainable and self.trainable)
        variable = vs.get_variable(
            name, shape=shape, dtype=dtypes.as_dtype(dtype or self._dtype or dtypes.float32),
            initializer=initializer, regularizer=regularizer, trainable=trainable,
            constraint=constraint, **kwargs,
        )  # fmt: skip
        tracked = self._trainable_weights if trainable else self._non_trainable_weights
        if variable not in tracked:
            tracked.append(variable)
        return variable

    add_variable = add_weight

    def add_loss(self, losses, inputs=None):
        """Adds loss tensors to the layer (and to `GraphKeys.REGULARIZATION_LOSSES`)."""
        for loss in losses if isinstance(losses, (list, tuple)) else [losses]:
            self._losses.append(loss)
            add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)

    def add_update(self, updates, inputs=None):
        """Adds update ops to the layer (and to `GraphKeys.UPDATE_OPS`)."""
        for update in updates if isinstance(updates, (list, tuple)) else [updates]:
            self._updates.append(update)
            add_to_collection(GraphKeys.UPDATE_OPS, update)

    @property
    def name(self):
        return self._name

    @property
    def dtype(self):
        return self._dtype

    @property
    def scope_name(self):
        """The name of the layer's variable scope (after its first call)."""
        if self._scope is None:
            raise ValueError(f"No name available for layer scope because the layer "
                             f'"{self._name}" has not been used yet.')  # fmt: skip
        return self._scope.name

    @property
    def trainable_weights(self):
        return list(self._trainable_weights) if self.trainable else []

    @property
    def non_trainable_weights(self):
        if self.trainable:
            return list(self._non_trainable_weights)
        return self._trainable_weights + self._non_trainable_weights

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    @property
    def losses(self):
        """The loss tensors the layer made (weight and activity regularizers)."""
        return list(self._losses)

    @property
    def updates(self):
        """The update ops the layer made (e.g. batch norm's moving averages)."""
        return list(self._updates)

    def get_losses_for(self, inputs):
        """The layer's losses (flowgraph does not split them by input)."""
        return self.losses

    def get_updates_for(self, inputs):
        """The layer's updates (flowgraph does not split them by input)."""
        return self.updates

    def count_params(self):
        """The number of scalars in the layer's variables."""
        return sum(int(w.shape.num_elements()) for w in self.weights)

    def _unique_name(self):
        counts = _layer_names.setdefault(get_default_graph(), collections.Counter())
        count = counts[self._base_name]
        counts[self._base_name] += 1
        return self._base_name if count == 0 else f"{self._base_name}_{count}"


# Collections whose new entries during a call belong to the layer.
_TRACKED = {GraphKeys.REGULARIZATION_LOSSES: "_losses", GraphKeys.UPDATE_OPS: "_updates"}


class _CapturingScope:
    """The first call: opens the layer's variable scope and remembers it."""

    def __init__(self, layer, name, default_name, values, reuse):
        self._layer = layer
        self._scope = vs.variable_scope(name, default_name=default_name, values=values,
                                        reuse=reuse)  # fmt: skip

    def __enter__(self):
        self._layer._scope = self._scope.__enter__()
        return self._layer._scope

    def __exit__(self, *exc):
        return self._scope.__exit__(*exc)


class _ReenteredScope:
    """Later calls: the same variable scope (reusing) and the same name scope."""

    def __init__(self, scope, reuse):
        self._variable_scope = vs.variable_scope(scope, reuse=reuse, auxiliary_name_scope=False)
        self._name_scope = name_scope(scope.original_name_scope)

    def __enter__(self):
        scope = self._variable_scope.__enter__()
        self._name_scope.__enter__()
        return scope

    def __exit__(self, *exc):
        self._name_scope.__exit__(*exc)
        return self._variable_scope.__exit__(*exc)


def _snake_case(name):
    """`Conv2DTranspose` -> `conv2d_transpose`, as Keras names layers."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()


def to_tuple(value, n, name):
    """Keras' `normalize_tuple`: an int or n ints -> a tuple of n ints."""
    if not isinstance(value, collections.abc.Iterable):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) != n:
        raise ValueError(
            f"The `{name}` argument must be a tuple of {n} integers. Received: {value}"
        )
    return value


def to_padding(padding):
    """'valid' or 'same' (any case) -> 'VALID' or 'SAME'."""
    upper = str(padding).upper()
    if upper not in ("VALID", "SAME"):
        raise ValueError(f"The `padding` argument must be 'valid' or 'same'. Received: {padding}")
    return upper


def is_channels_first(data_format):
    """Whether `data_format` is 'channels_first' (ValueError unless one of the two)."""
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "The `data_format` argument must be one of 'channels_first', 'channels_last'. "
            f"Received: {data_format}"
        )
    return data_format == "channels_first"


def static_dim(shape, axis, layer):
    """The static size of `axis` of `shape` (ValueError when unknown, as TF1)."""
    dim = None if shape.ndims is None else shape.as_list()[axis]
    if dim is None:
        raise ValueError(
            f"The {'last' if axis == -1 else 'channel'} dimension of the inputs to `{layer}` "
            f"should be defined. Found `None`."
        )
    return dim
