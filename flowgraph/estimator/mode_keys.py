"""`tf.estimator.ModeKeys`: the names of an Estimator's three modes."""


class ModeKeys:
    """Standard names for Estimator model modes.

    * `TRAIN`: training/fitting mode.
    * `EVAL`: testing/evaluation mode.
    * `PREDICT`: predication/inference mode.
    """

    TRAIN = "train"
    EVAL = "eval"
    PREDICT = "infer"
