"""`tf.estimator.export`: serving input receivers and the functions that build them.

`ServingInputReceiver` says what a served model is fed (its receiver tensors) and what
its `model_fn` gets (features); the export outputs (`PredictOutput`, ...) live here too.
"""

from __future__ import annotations

import collections

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor
from flowgraph.framework.sparse_tensor import SparseTensor
from flowgraph.framework.tensor_shape import TensorShape
from flowgraph.ops import array_ops, parsing_ops

SINGLE_FEATURE_DEFAULT_NAME = "feature"
SINGLE_RECEIVER_DEFAULT_NAME = "input"
SINGLE_LABEL_DEFAULT_NAME = "label"

_SINGLE_TENSOR_DEFAULT_NAMES = {
    "feature": SINGLE_FEATURE_DEFAULT_NAME,
    "label": SINGLE_LABEL_DEFAULT_NAME,
    "receiver_tensor": SINGLE_RECEIVER_DEFAULT_NAME,
    "receiver_tensors_alternative": SINGLE_RECEIVER_DEFAULT_NAME,
}


def _wrap_and_check_input_tensors(tensors, field_name, allow_int_keys=False):
    """`tensors` as a dict of name to `Tensor`/`SparseTensor` (one tensor is wrapped)."""
    if tensors is None:
        raise ValueError(f"{field_name}s must be defined.")
    if not isinstance(tensors, dict):
        tensors = {_SINGLE_TENSOR_DEFAULT_NAMES[field_name]: tensors}
    for name, tensor in tensors.items():
        _check_tensor_key(name, field_name, allow_int_keys)
        if not isinstance(tensor, (Tensor, SparseTensor)):
            raise ValueError(f"{field_name} {name} must be a Tensor or SparseTensor.")
    return tensors


def _check_tensor_key(name, error_label, allow_ints):
    if isinstance(name, str):
        return
    if not allow_ints:
        raise ValueError(f"{error_label} keys must be strings: {name}.")
    if not isinstance(name, int):
        raise ValueError(f"{error_label} keys must be strings or ints: {name}.")


_RECEIVER_FIELDS = ["features", "receiver_tensors", "receiver_tensors_alternatives"]


class ServingInputReceiver(collections.namedtuple("ServingInputReceiver", _RECEIVER_FIELDS)):
    """A return type for a serving_input_receiver_fn.

    Args:
      features: A `Tensor`, `SparseTensor`, or dict of string or int to `Tensor` or
        `SparseTensor`, specifying the features to be passed to the model. A single
        tensor is wrapped in a dict with the key `'feature'`.
      receiver_tensors: A `Tensor`, `SparseTensor`, or dict of string to `Tensor` or
        `SparseTensor`, specifying input nodes where this receiver expects to be fed by
        default. Typically, this is a single placeholder expecting serialized
        `tf.Example` protos.
      receiver_tensors_alternatives: a dict of string to additional groups of receiver
        tensors, each of which generates additional serving signatures.
    """

    def __new__(cls, features, receiver_tensors, receiver_tensors_alternatives=None):
        features = _wrap_and_check_input_tensors(features, "feature", allow_int_keys=True)
        receiver_tensors = _wrap_and_check_input_tensors(receiver_tensors, "receiver_tensor")
        if receiver_tensors_alternatives is not None:
            if not isinstance(receiver_tensors_alternatives, dict):
                raise ValueError(
                    f"receiver_tensors_alternatives must be a dict: "
                    f"{receiver_tensors_alternatives}."
                )
            receiver_tensors_alternatives = {
                name: _wrap_and_check_input_tensors(group, "receiver_tensors_alternative")
                for name, group in receiver_tensors_alternatives.items()
            }
        return super().__new__(cls, features, receiver_tensors, receiver_tensors_alternatives)


class TensorServingInputReceiver(
    collections.namedtuple("TensorServingInputReceiver", _RECEIVER_FIELDS)
):
    """A return type for a serving_input_receiver_fn of a model fed one raw `Tensor`.

    Unlike `ServingInputReceiver`, the feature is passed to the `model_fn` as is rather
    than in a dict.

    Args:
      features: A single `Tensor` or `SparseTensor`, the feature passed to the model.
      receiver_tensors: A `Tensor`, `SparseTensor`, or dict of string to `Tensor` or
        `SparseTensor`, the input nodes fed at serving time.
      receiver_tensors_alternatives: a dict of string to additional groups of receiver
        tensors.
    """

    def __new__(cls, features, receiver_tensors, receiver_tensors_alternatives=None):
        if features is None:
            raise ValueError("features must be defined.")
        if not isinstance(features, (Tensor, SparseTensor)):
            raise ValueError("feature must be a Tensor or SparseTensor.")
        receiver = ServingInputReceiver(features, receiver_tensors, receiver_tensors_alternatives)
        return super().__new__(
            cls,
            features=receiver.features[SINGLE_FEATURE_DEFAULT_NAME],
            receiver_tensors=receiver.receiver_tensors,
            receiver_tensors_alternatives=receiver.receiver_tensors_alternatives,
        )


def build_parsing_serving_input_receiver_fn(feature_spec, default_batch_size=None):
    """Build a serving_input_receiver_fn expecting fed tf.Examples.

    Creates a serving_input_receiver_fn that expects a serialized tf.Example fed into a
    string placeholder. The function parses the tf.Example according to the provided
    feature_spec, and returns all parsed Tensors as features.

    Example:
      >>> spec = {"x": tf.FixedLenFeature([2], tf.float32)}
      >>> estimator.export_saved_model(
      ...     "/tmp/export", tf.estimator.export.build_parsing_serving_input_receiver_fn(spec))

    Args:
      feature_spec: a dict of string to `VarLenFeature`/`FixedLenFeature`.
      default_batch_size: the number of query examples expected per batch. Leave unset
        for variable batch size (recommended).

    Returns:
      A serving_input_receiver_fn suitable for use in serving.
    """

    def serving_input_receiver_fn():
        """An input_fn that expects a serialized tf.Example."""
        serialized = array_ops.placeholder(
            dtype=dtypes.string, shape=[default_batch_size], name="input_example_tensor"
        )
        features = parsing_ops.parse_example(serialized, feature_spec)
        return ServingInputReceiver(features, {"examples": serialized})

    return serving_input_receiver_fn


def _placeholder_from_tensor(t, default_batch_size=None):
    shape = TensorShape([default_batch_size]).concatenate(t.shape[1:])
    return array_ops.placeholder(dtype=t.dtype, shape=shape, name=t.op.name)


def build_raw_serving_input_receiver_fn(features, default_batch_size=None):
    """Build a serving_input_receiver_fn expecting feature Tensors.

    Creates an serving_input_receiver_fn that expects all features to be fed directly:
    each gets a placeholder of its dtype and shape (batch dimension `default_batch_size`).

    Args:
      features: a dict of string to `Tensor`.
      default_batch_size: the number of query examples expected per batch. Leave unset
        for variable batch size (recommended).

    Returns:
      A serving_input_receiver_fn.
    """

    def serving_input_receiver_fn():
        """A serving_input_receiver_fn that expects features to be fed directly."""
        receiver_tensors = {
            name: _placeholder_from_tensor(t, default_batch_size) for name, t in features.items()
        }
        return ServingInputReceiver(receiver_tensors, receiver_tensors)

    return serving_input_receiver_fn
