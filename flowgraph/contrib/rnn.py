"""`tf.contrib.rnn`: TF1's contrib names for the core RNN cells and static RNNs.

Its names are exported by `flowgraph/export_table.py`.
"""
