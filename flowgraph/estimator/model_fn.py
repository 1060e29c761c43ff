"""`tf.estimator.EstimatorSpec`: what a `model_fn` returns, validated as TF 1.15 does."""

from __future__ import annotations

import collections
import inspect

from flowgraph.estimator import export_output as export_output_lib
from flowgraph.estimator.mode_keys import ModeKeys
from flowgraph.framework.ops import Operation, Tensor, get_default_graph
from flowgraph.framework.sparse_tensor import SparseTensor
from flowgraph.ops import array_ops
from flowgraph.ops.variables import Variable
from flowgraph.saved_model import constants
from flowgraph.train.monitored_session import Scaffold
from flowgraph.train.session_run_hook import SessionRunHook

LOSS_METRIC_KEY = "loss"
AVERAGE_LOSS_METRIC_KEY = "average_loss"

_NOT_DEFAULT_GRAPH = (
    '{0} with "{1}" must be from the default graph. Possible causes of this error include: '
    "\n\n1) {0} was created outside the context of the default graph.\n\n2) The object "
    'passed through to EstimatorSpec was not created in the most recent call to "model_fn".'
)

_FIELDS = [
    "mode",
    "predictions",
    "loss",
    "train_op",
    "eval_metric_ops",
    "export_outputs",
    "training_chief_hooks",
    "training_hooks",
    "scaffold",
    "evaluation_hooks",
    "prediction_hooks",
]


class EstimatorSpec(collections.namedtuple("EstimatorSpec", _FIELDS)):
    """Ops and objects returned from a `model_fn` and passed to an `Estimator`.

    `EstimatorSpec` fully defines the model to be run by an `Estimator`. Depending on
    `mode`, different arguments are required: `loss` and `train_op` for `TRAIN`, `loss`
    for `EVAL`, `predictions` for `PREDICT`.

    Example:
      >>> def my_model_fn(features, labels, mode):
      ...     predictions = ...
      ...     loss = ...
      ...     train_op = ...
      ...     return tf.estimator.EstimatorSpec(
      ...         mode=mode, predictions=predictions, loss=loss, train_op=train_op)

    Args:
      mode: A `ModeKeys`. Specifies if this is training, evaluation or prediction.
      predictions: Predictions `Tensor` or dict of `Tensor`.
      loss: Training loss `Tensor`. Must be either scalar, or with shape `[1]`.
      train_op: Op for the training step.
      eval_metric_ops: Dict of metric results keyed by name: `(metric_tensor, update_op)`
        tuples.
      export_outputs: A dict `{name: ExportOutput}` describing the output signatures
        exported to a `SavedModel`; by default a `PredictOutput` of `predictions`.
      training_chief_hooks: `SessionRunHook`s to run on the chief during training.
      training_hooks: `SessionRunHook`s to run on all workers during training.
      scaffold: A `tf.train.Scaffold` for initialization, saver, and more.
      evaluation_hooks: `SessionRunHook`s to run during evaluation.
      prediction_hooks: `SessionRunHook`s to run during predictions.

    Raises:
      ValueError: If validation fails.
      TypeError: If any of the arguments is not the expected type.
    """

    def __new__(
        cls,
        mode,
        predictions=None,
        loss=None,
        train_op=None,
        eval_metric_ops=None,
        export_outputs=None,
        training_chief_hooks=None,
        training_hooks=None,
        scaffold=None,
        evaluation_hooks=None,
        prediction_hooks=None,
    ):
        train_op = _validate_train_op(train_op, mode)
        loss = _validate_loss(loss, mode)
        predictions = _validate_predictions(predictions, mode)
        if mode == ModeKeys.PREDICT:
            export_outputs = get_export_outputs(export_outputs, predictions)
        return super().__new__(
            cls,
            mode=mode,
            predictions=predictions,
            loss=loss,
            train_op=train_op,
            eval_metric_ops=_validate_eval_metric_ops(eval_metric_ops),
            export_outputs=export_outputs,
            training_chief_hooks=_validate_hooks(training_chief_hooks),
            training_hooks=_validate_hooks(training_hooks),
            scaffold=_validate_scaffold(scaffold),
            evaluation_hooks=_validate_hooks(evaluation_hooks),
            prediction_hooks=_validate_hooks(prediction_hooks),
        )

    def _replace(self, **kwds):
        """Return a new EstimatorSpec replacing specified fields with new values."""
        if "mode" in kwds and self.mode != kwds["mode"]:
            raise ValueError("mode of EstimatorSpec cannot be changed.")
        return EstimatorSpec(**{field: kwds.get(field, getattr(self, field)) for field in _FIELDS})


def _check_default_graph(value, what, name):
    if value.graph is not get_default_graph():
        raise ValueError(_NOT_DEFAULT_GRAPH.format(what, name))


def _validate_train_op(train_op, mode):
    if train_op is None:
        if mode == ModeKeys.TRAIN:
            raise ValueError("Missing train_op.")
        return None
    if not isinstance(train_op, (Operation, Tensor, Variable)):
        raise TypeError(f"train_op must be Operation or Tensor, given: {train_op}")
    if isinstance(train_op, Variable):
        train_op = train_op.op
    _check_default_graph(train_op, "train_op", train_op.name)
    return train_op


def _validate_loss(loss, mode):
    if loss is None:
        if mode in (ModeKeys.TRAIN, ModeKeys.EVAL):
            raise ValueError("Missing loss.")
        return None
    loss = _check_is_tensor(loss, "loss")
    if loss.shape.num_elements() not in (None, 1):
        raise ValueError(f"Loss must be scalar, given: {loss}")
    if loss.shape.ndims != 0:
        loss = array_ops.reshape(loss, [])
    _check_default_graph(loss, "loss", loss.name)
    return loss


def _validate_predictions(predictions, mode):
    if predictions is None:
        if mode == ModeKeys.PREDICT:
            raise ValueError("Missing predictions.")
        return {}
    if isinstance(predictions, dict):
        predictions = {k: _check_is_tensor(v, f"predictions[{k}]") for k, v in predictions.items()}
        for key, value in predictions.items():
            _check_default_graph(value, "prediction values", f"{key}: {value.name}")
        return predictions
    predictions = _check_is_tensor(predictions, "predictions")
    _check_default_graph(predictions, "prediction values", predictions.name)
    return predictions


def _validate_hooks(hooks):
    hooks = tuple(hooks or [])
    for hook in hooks:
        if not isinstance(hook, SessionRunHook):
            raise TypeError(f"All hooks must be SessionRunHook instances, given: {hook}")
    return hooks


def _validate_eval_metric_ops(eval_metric_ops):
    if eval_metric_ops is None:
        return {}
    if not isinstance(eval_metric_ops, dict):
        raise TypeError(f"eval_metric_ops must be a dict, given: {eval_metric_ops}")
    for key, value in eval_metric_ops.items():
        if not isinstance(value, tuple) or len(value) != 2:
            raise TypeError(
                "Values of eval_metric_ops must be (metric_value, update_op) tuples, "
                f"given: {value} for key: {key}"
            )
        for element in value:
            _check_default_graph(element, "eval_metric_ops", f"{key}: {element.name}")
    return eval_metric_ops


def _validate_scaffold(scaffold):
    scaffold = scaffold or Scaffold()
    if not isinstance(scaffold, Scaffold):
        raise TypeError(f"scaffold must be tf.train.Scaffold. Given: {scaffold}")
    return scaffold


def _check_is_tensor(x, tensor_name):
    if not isinstance(x, (Tensor, SparseTensor)):
        raise TypeError(f"{tensor_name} must be Tensor, given: {x}")
    return x


def get_export_outputs(export_outputs, predictions):
    """The validated `export_outputs` of a PREDICT spec, with a default serving entry."""
    if export_outputs is None:
        default = export_output_lib.PredictOutput(predictions)
        export_outputs = {constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY: default}
    if not isinstance(export_outputs, dict):
        raise TypeError(f"export_outputs must be dict, given: {export_outputs}")
    for value in export_outputs.values():
        if not isinstance(value, export_output_lib.ExportOutput):
            raise TypeError(
                f"Values in export_outputs must be ExportOutput objects. Given: {export_outputs}"
            )
    return _with_default_serving_output(dict(export_outputs))


def _with_default_serving_output(export_outputs):
    default_key = constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY
    if len(export_outputs) == 1:
        ((key, value),) = export_outputs.items()
        export_outputs[default_key] = value
    elif default_key not in export_outputs:
        raise ValueError(
            "Multiple export_outputs were provided, but none of them is specified as the "
            "default.  Do this by naming one of them with "
            "signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY."
        )
    return export_outputs


_VALID_MODEL_FN_ARGS = {"features", "labels", "mode", "params", "self", "config"}


def fn_args(fn) -> tuple:
    """The names of `fn`'s arguments (of its `func` when it is a `functools.partial`)."""
    parameters = inspect.signature(fn).parameters.values()
    return tuple(p.name for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))


def verify_model_fn_args(model_fn, params) -> None:
    """Raises ValueError when `model_fn`'s arguments are not those an Estimator passes."""
    args = set(fn_args(model_fn))
    if "features" not in args:
        raise ValueError(f"model_fn ({model_fn}) must include features argument.")
    if params is not None and "params" not in args:
        raise ValueError(
            f"model_fn ({model_fn}) does not include params argument, but params ({params}) "
            "is passed to Estimator."
        )
    unexpected = sorted(args - _VALID_MODEL_FN_ARGS)
    if unexpected:
        raise ValueError(f"model_fn ({model_fn}) has following not expected args: {unexpected}")
