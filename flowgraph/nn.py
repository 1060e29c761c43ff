"""`tf.nn`: neural-network ops."""

from flowgraph.ops.array_ops import top_k as top_k  # noqa: E402
from flowgraph.ops.candidate_sampling_ops import (  # noqa: E402
    log_uniform_candidate_sampler as log_uniform_candidate_sampler,
    nce_loss as nce_loss,
    sampled_softmax_loss as sampled_softmax_loss,
    uniform_candidate_sampler as uniform_candidate_sampler,
)
from flowgraph.ops.conv_ops import (  # noqa: E402
    atrous_conv2d as atrous_conv2d,
    avg_pool as avg_pool,
    avg_pool3d as avg_pool3d,
    conv1d as conv1d,
    conv2d as conv2d,
    conv2d_transpose as conv2d_transpose,
    conv3d as conv3d,
    conv3d_transpose as conv3d_transpose,
    convolution as convolution,
    depthwise_conv2d as depthwise_conv2d,
    depthwise_conv2d_native as depthwise_conv2d_native,
    max_pool as max_pool,
    max_pool3d as max_pool3d,
    max_pool_with_argmax as max_pool_with_argmax,
    pool as pool,
    separable_conv2d as separable_conv2d,
)
from flowgraph.ops.embedding_ops import (  # noqa: E402
    embedding_lookup as embedding_lookup,
    embedding_lookup_sparse as embedding_lookup_sparse,
)
from flowgraph.ops.math_ops import (
    moments as moments,  # noqa: E402
    sigmoid as sigmoid,
    tanh as tanh,
)
from flowgraph.ops.nn_ops import (  # noqa: E402
    batch_normalization as batch_normalization,
    bias_add as bias_add,
    crelu as crelu,
    dropout as dropout,
    elu as elu,
    fused_batch_norm as fused_batch_norm,
    in_top_k as in_top_k,
    l2_loss as l2_loss,
    l2_normalize as l2_normalize,
    leaky_relu as leaky_relu,
    local_response_normalization as local_response_normalization,
    log_poisson_loss as log_poisson_loss,
    log_softmax as log_softmax,
    lrn as lrn,
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
    swish as swish,
    weighted_cross_entropy_with_logits as weighted_cross_entropy_with_logits,
    weighted_moments as weighted_moments,
    xw_plus_b as xw_plus_b,
)

# isort: split
from flowgraph.ops.ctc_ops import (  # noqa: E402
    ctc_greedy_decoder as ctc_greedy_decoder,
    ctc_loss as ctc_loss,
)

# Recurrent networks (issue 12).
# isort: split
from flowgraph.ops import rnn_cell_impl as rnn_cell  # noqa: E402,F401
from flowgraph.ops.rnn import (  # noqa: E402
    bidirectional_dynamic_rnn as bidirectional_dynamic_rnn,
    dynamic_rnn as dynamic_rnn,
    raw_rnn as raw_rnn,
    static_bidirectional_rnn as static_bidirectional_rnn,
    static_rnn as static_rnn,
    static_state_saving_rnn as static_state_saving_rnn,
)
