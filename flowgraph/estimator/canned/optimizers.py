"""The canned estimators' optimizer argument: an `Optimizer`, a callable returning one, or
the name of one ('Adagrad', 'Adam', 'Ftrl', 'RMSProp', 'SGD') made with a learning rate."""

from __future__ import annotations

from flowgraph.train.adagrad import AdagradOptimizer
from flowgraph.train.adam import AdamOptimizer
from flowgraph.train.ftrl import FtrlOptimizer
from flowgraph.train.gradient_descent import GradientDescentOptimizer
from flowgraph.train.optimizer import Optimizer
from flowgraph.train.rmsprop import RMSPropOptimizer

_OPTIMIZER_CLS_NAMES = {
    "Adagrad": AdagradOptimizer,
    "Adam": AdamOptimizer,
    "Ftrl": FtrlOptimizer,
    "RMSProp": RMSPropOptimizer,
    "SGD": GradientDescentOptimizer,
}


def get_optimizer_instance(opt, learning_rate=None):
    """Returns an optimizer instance: `opt` itself, `opt()`, or the named optimizer.

    Raises:
      ValueError: If `opt` is an unsupported string, or a supported string without
        `learning_rate`, or none of the above types.
    """
    if isinstance(opt, str):
        if opt not in _OPTIMIZER_CLS_NAMES:
            raise ValueError(
                f"Unsupported optimizer name: {opt}. Supported names are: "
                f"{tuple(sorted(_OPTIMIZER_CLS_NAMES))}"
            )
        if not learning_rate:
            raise ValueError("learning_rate must be specified when opt is string.")
        return _OPTIMIZER_CLS_NAMES[opt](learning_rate=learning_rate)
    if callable(opt) and not isinstance(opt, Optimizer):
        opt = opt()
    if not isinstance(opt, Optimizer):
        raise ValueError(f"The given object is not an Optimizer instance. Given: {opt}")
    return opt
