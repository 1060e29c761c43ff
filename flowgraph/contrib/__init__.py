"""`tf.contrib`: the parts of TF1's contrib that flowgraph provides."""

from flowgraph.contrib import tensorboard as tensorboard

# isort: split
from flowgraph.contrib import rnn as rnn  # noqa: E402
