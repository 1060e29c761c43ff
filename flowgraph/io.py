"""`tf.io`: TFRecord files, Example parsing, CSV and raw decoding, file ops and gfile.

Its names are exported by `flowgraph/export_table.py`.
"""
