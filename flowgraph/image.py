"""`tf.image`: image coding, resizing, geometry, color adjustment and boxes.

Its names are exported by `flowgraph/export_table.py`.
"""
