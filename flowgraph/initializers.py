"""`tf.initializers`: TF1's initializer namespace.

Its names are exported by `flowgraph/export_table.py`.
"""
