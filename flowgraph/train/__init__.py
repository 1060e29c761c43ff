"""`tf.train`: optimizers, the global step, learning-rate schedules.

Its names are exported by `flowgraph/export_table.py`.
"""
