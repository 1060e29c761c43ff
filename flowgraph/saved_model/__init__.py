"""`tf.saved_model`: TF1's SavedModel builder, loader, signatures and constants.

Its names are exported by `flowgraph/export_table.py`.
"""
