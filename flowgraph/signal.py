"""`tf.signal`: fast Fourier transforms under their TF1 `tf.signal` names.

Its names are exported by `flowgraph/export_table.py`.
"""
