"""`tf.random`: the TF 1.13+ names of the random ops.

Its names are exported by `flowgraph/export_table.py`.
"""
