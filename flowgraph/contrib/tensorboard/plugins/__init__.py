"""`tf.contrib.tensorboard.plugins`: configuration of TensorBoard plugins."""

from flowgraph.contrib.tensorboard.plugins import projector as projector
