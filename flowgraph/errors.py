"""TensorFlow's error classes and codes (`tf.errors`).

Its names are exported by `flowgraph/export_table.py`.
"""
