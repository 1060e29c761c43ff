"""`tf.spectral`: fast Fourier transforms under their TF1 `tf.spectral` names.

Its names are exported by `flowgraph/export_table.py`.
"""
