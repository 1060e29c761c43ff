"""`tf.nn`: neural-network ops."""

from flowgraph.ops.array_ops import top_k as top_k  # noqa: E402
from flowgraph.ops.math_ops import (
    moments as moments,  # noqa: E402
    sigmoid as sigmoid,
    tanh as tanh,
)
from flowgraph.ops.nn_ops import (
    bias_add as bias_add,
    elu as elu,
    l2_loss as l2_loss,
    leaky_relu as leaky_relu,
    log_softmax as log_softmax,
    relu as relu,
    relu6 as relu6,
    selu as selu,
    sigmoid_cross_entropy_with_logits as sigmoid_cross_entropy_with_logits,
    softmax as softmax,
    softmax_cross_entropy_with_logits as softmax_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2 as softmax_cross_entropy_with_logits_v2,
    softplus as softplus,
    softsign as softsign,
    sparse_softmax_cross_entropy_with_logits as sparse_softmax_cross_entropy_with_logits,
    xw_plus_b as xw_plus_b,
)
