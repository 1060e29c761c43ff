"""`tf.losses`: weighted, reduced losses collected in `GraphKeys.LOSSES`.

Its names are exported by `flowgraph/export_table.py`.
"""
