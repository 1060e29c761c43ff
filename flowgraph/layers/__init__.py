"""`tf.layers`: TF1's layer classes and their functional interfaces.

Its names are exported by `flowgraph/export_table.py`. Each functional layer
(`tf.layers.dense`) builds its class (`tf.layers.Dense`) and applies it once, as TF1.
"""
