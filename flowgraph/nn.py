"""`tf.nn`: neural-network ops.

Its names are exported by `flowgraph/export_table.py`.
"""
