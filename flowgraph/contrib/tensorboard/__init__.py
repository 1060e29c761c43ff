"""`tf.contrib.tensorboard`: TensorBoard plugin helpers.

Its names are exported by `flowgraph/export_table.py`.
"""
