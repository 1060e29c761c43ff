"""`tf.random`: the TF 1.13+ names of the random ops."""

from flowgraph.framework.random_seed import set_random_seed as set_random_seed  # noqa: F401
from flowgraph.ops.random_ops import (  # noqa: F401  (re-exported)
    categorical as categorical,
    multinomial as multinomial,
    random_gamma as gamma,
    random_normal as normal,
    random_shuffle as shuffle,
    random_uniform as uniform,
    truncated_normal as truncated_normal,
)
