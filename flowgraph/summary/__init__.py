"""`tf.summary`: summary ops, their protos, and `FileWriter` for TensorBoard's event files.

Its names are exported by `flowgraph/export_table.py`.
"""
