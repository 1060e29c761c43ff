"""`tf.contrib`: the parts of TF1's contrib that flowgraph provides.

Its names are exported by `flowgraph/export_table.py`.
"""
