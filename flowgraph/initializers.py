"""`tf.initializers`: TF1's initializer namespace.

Its names are exported by `flowgraph/export_table.py`, except the He and LeCun
initializers, defined here on `VarianceScaling` as in TF1.
"""

from flowgraph.ops.init_ops import VarianceScaling


def he_normal(seed=None):
    """He normal initializer: truncated normal with stddev `sqrt(2 / fan_in)`."""
    return VarianceScaling(scale=2.0, mode="fan_in", distribution="truncated_normal", seed=seed)


def he_uniform(seed=None):
    """He uniform initializer: uniform in `[-sqrt(6 / fan_in), sqrt(6 / fan_in)]`."""
    return VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform", seed=seed)


def lecun_normal(seed=None):
    """LeCun normal initializer: truncated normal with stddev `sqrt(1 / fan_in)`."""
    return VarianceScaling(scale=1.0, mode="fan_in", distribution="truncated_normal", seed=seed)


def lecun_uniform(seed=None):
    """LeCun uniform initializer: uniform in `[-sqrt(3 / fan_in), sqrt(3 / fan_in)]`."""
    return VarianceScaling(scale=1.0, mode="fan_in", distribution="uniform", seed=seed)
