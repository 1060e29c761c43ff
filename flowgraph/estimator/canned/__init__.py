"""Canned estimators: DNN, linear and combined models with TF 1.15's heads."""
