"""`tf.contrib.tensorboard`: TensorBoard plugin helpers."""

from flowgraph.contrib.tensorboard import plugins as plugins
