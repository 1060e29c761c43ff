"""`tf.strings`: string ops (joining, formatting, hashing, splitting, regexes, parsing).

Its names are exported by `flowgraph/export_table.py`.
"""
