"""A TF1 estimator program run by every task of a `TF_CONFIG` cluster (see
`test_distributed_training.py`): `python cluster_program.py MODEL_DIR`."""

import json
import sys

import numpy as np

import flowgraph as tf

MAX_STEPS = 40


def _data():
    x = np.random.RandomState(0).rand(256, 3).astype(np.float32)
    return {"x": x}, x @ np.array([[1.0], [-2.0], [3.0]], np.float32)


def main(model_dir: str) -> None:
    features, labels = _data()
    estimator = tf.estimator.LinearRegressor(
        [tf.feature_column.numeric_column("x", shape=[3])],
        model_dir=model_dir,
        config=tf.estimator.RunConfig(save_checkpoints_steps=10),
    )
    train = tf.estimator.TrainSpec(
        lambda: tf.data.Dataset.from_tensor_slices((features, labels)).repeat().batch(32),
        max_steps=MAX_STEPS,
    )
    evaluate = tf.estimator.EvalSpec(
        lambda: tf.data.Dataset.from_tensor_slices((features, labels)).batch(128),
        start_delay_secs=0,
        throttle_secs=1,
    )
    metrics, _ = tf.estimator.train_and_evaluate(estimator, train, evaluate)
    if metrics is not None:
        print("EVAL " + json.dumps({k: float(v) for k, v in metrics.items()}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
