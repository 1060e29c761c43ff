"""`tf.estimator.export.*Output`: what a model returns at serving time, as a SignatureDef."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor
from flowgraph.saved_model import signature_def_utils


class ExportOutput:
    """Represents an output of a model that can be served.

    These typically correspond to model heads.
    """

    _SEPARATOR_CHAR = "/"

    def as_signature_def(self, receiver_tensors):
        """Generate a SignatureDef proto for inclusion in a MetaGraphDef."""
        raise NotImplementedError("as_signature_def not implemented")

    def _check_output_key(self, key, error_label):
        if isinstance(key, tuple):
            key = self._SEPARATOR_CHAR.join(key)
        if not isinstance(key, str):
            raise ValueError(f"{error_label} output key must be a string; got {key}.")
        return key


def _single_string_input(receiver_tensors, kind):
    """The one string receiver tensor a Classify/Regress signature reads."""
    if len(receiver_tensors) == 1:
        ((_, examples),) = receiver_tensors.items()
        if examples.dtype == dtypes.string:
            return examples
    raise ValueError(f"{kind} input must be a single string Tensor; got {receiver_tensors}")


class ClassificationOutput(ExportOutput):
    """Represents the output of a classification head.

    Either classes or scores or both must be set. `classes` is a string `Tensor` of
    class labels, `scores` a float `Tensor` of their scores.
    """

    def __init__(self, scores=None, classes=None):
        if scores is not None and not (isinstance(scores, Tensor) and scores.dtype.is_floating):
            raise ValueError(f"Classification scores must be a float32 Tensor; got {scores}")
        if classes is not None and not (
            isinstance(classes, Tensor) and classes.dtype == dtypes.string
        ):
            raise ValueError(f"Classification classes must be a string Tensor; got {classes}")
        if scores is None and classes is None:
            raise ValueError("At least one of scores and classes must be set.")
        self._scores = scores
        self._classes = classes

    @property
    def scores(self):
        return self._scores

    @property
    def classes(self):
        return self._classes

    def as_signature_def(self, receiver_tensors):
        examples = _single_string_input(receiver_tensors, "Classification")
        return signature_def_utils.classification_signature_def(examples, self.classes, self.scores)


class RegressionOutput(ExportOutput):
    """Represents the output of a regression head."""

    def __init__(self, value):
        if not (isinstance(value, Tensor) and value.dtype.is_floating):
            raise ValueError(f"Regression output value must be a float32 Tensor; got {value}")
        self._value = value

    @property
    def value(self):
        return self._value

    def as_signature_def(self, receiver_tensors):
        examples = _single_string_input(receiver_tensors, "Regression")
        return signature_def_utils.regression_signature_def(examples, self.value)


class PredictOutput(ExportOutput):
    """Represents the output of a generic prediction head.

    A generic prediction need not be either a classification or a regression. Named
    outputs must be provided as a dict from string to `Tensor`.
    """

    _SINGLE_OUTPUT_DEFAULT_NAME = "output"

    def __init__(self, outputs):
        if not isinstance(outputs, dict):
            outputs = {self._SINGLE_OUTPUT_DEFAULT_NAME: outputs}
        self._outputs = {}
        for key, value in outputs.items():
            key = self._check_output_key(key, "Prediction")
            if not isinstance(value, Tensor):
                raise ValueError(f"Prediction output value must be a Tensor; got {value}.")
            self._outputs[key] = value

    @property
    def outputs(self):
        return self._outputs

    def as_signature_def(self, receiver_tensors):
        return signature_def_utils.predict_signature_def(receiver_tensors, self.outputs)
