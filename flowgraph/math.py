"""`tf.math`: elementwise math, comparisons, reductions, segments and scans.

Its names are exported by `flowgraph/export_table.py`.
"""
