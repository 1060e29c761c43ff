"""`tf.ragged`: RaggedTensor factories and helpers.

Its names are exported by `flowgraph/export_table.py`.
"""
