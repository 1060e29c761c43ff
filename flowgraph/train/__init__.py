"""`tf.train`: optimizers, the global step, learning-rate schedules."""
