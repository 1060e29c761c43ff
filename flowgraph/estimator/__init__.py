"""`tf.estimator`: TF 1.15's high-level training API (Estimator, specs, canned models).

Its names are exported by `flowgraph/export_table.py`.
"""
