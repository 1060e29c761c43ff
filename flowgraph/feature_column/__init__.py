"""`tf.feature_column`: how raw features become model inputs (TF1's v1 columns)."""
