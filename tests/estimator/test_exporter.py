"""tf.estimator exporters: LatestExporter keeps the newest exports, FinalExporter exports
once at the end, BestExporter exports when the evaluation improves (read back from the
eval event files, as TF does)."""

from __future__ import annotations

import os

import pytest

import flowgraph as tf
from tests.estimator.models import eval_input_fn, linear_estimator, train_input_fn


def _receiver_fn():
    return tf.estimator.export.ServingInputReceiver(
        {"x": tf.placeholder(tf.float32, [None, 3])}, {"x": tf.placeholder(tf.float32, [None, 3])}
    )


@pytest.fixture
def trained(tmp_path):
    estimator = linear_estimator(tmp_path / "model")
    estimator.train(train_input_fn, steps=2)
    return estimator


def _export(exporter, estimator, base, loss, final=False):
    return exporter.export(estimator, str(base), estimator.latest_checkpoint(),
                           {"loss": loss}, final)  # fmt: skip


def test_latest_exporter_garbage_collects(trained, tmp_path):
    exporter = tf.estimator.LatestExporter("latest", _receiver_fn, exports_to_keep=2)
    for old in ("1000000000", "1000000001", "not-a-version"):
        os.makedirs(tmp_path / "e" / old)
    path = _export(exporter, trained, tmp_path / "e", 1.0)
    assert sorted(os.listdir(tmp_path / "e")) == sorted(
        ["1000000001", os.path.basename(path), "not-a-version"]
    )
    with pytest.raises(ValueError, match="`exports_to_keep`, if provided, must be a positive"):
        tf.estimator.LatestExporter("x", _receiver_fn, exports_to_keep=0)


def test_final_exporter_only_at_the_end(trained, tmp_path):
    exporter = tf.estimator.FinalExporter("final", _receiver_fn)
    assert _export(exporter, trained, tmp_path / "f", 1.0) is None
    assert os.path.isdir(_export(exporter, trained, tmp_path / "f", 1.0, final=True))


def test_best_exporter_exports_improvements(trained, tmp_path):
    exporter = tf.estimator.BestExporter(serving_input_receiver_fn=_receiver_fn,
                                         event_file_pattern=None)  # fmt: skip
    assert exporter.name == "best_exporter"
    assert _export(exporter, trained, tmp_path / "b", 3.0) is not None  # the first result
    assert _export(exporter, trained, tmp_path / "b", 4.0) is None
    with pytest.raises(ValueError, match="current_eval_result cannot be empty or no loss"):
        exporter.export(trained, str(tmp_path / "b"), None, {}, False)
    with pytest.raises(ValueError, match="must include best_eval_result argument"):
        tf.estimator.BestExporter(compare_fn=lambda a, current_eval_result: True)


def test_best_exporter_reads_the_best_loss_from_eval_events(trained, tmp_path):
    loss = trained.evaluate(eval_input_fn)["loss"]
    exporter = tf.estimator.BestExporter(serving_input_receiver_fn=_receiver_fn)
    assert _export(exporter, trained, tmp_path / "b", loss * 1.01) is None
    assert _export(exporter, trained, tmp_path / "b", loss * 0.5) is not None
