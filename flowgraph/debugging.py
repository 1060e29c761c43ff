"""`tf.debugging`: numerics checks and assertions.

Its names are exported by `flowgraph/export_table.py`.
"""
