"""`tf.sparse`: SparseTensor and the ops on it.

Its names are exported by `flowgraph/export_table.py`.
"""
