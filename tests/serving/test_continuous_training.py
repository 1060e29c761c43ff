"""examples/continuous_training.py: each exported version is served, and they improve."""

import importlib.util

import flowgraph as tf
from tests.serving.server_process import ROOT


def test_the_server_picks_up_every_exported_version(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        "continuous_training", ROOT / "examples" / "continuous_training.py"
    )
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    with tf.Graph().as_default():
        served = example.main(str(tmp_path / "exports"), steps=90, export_every=30)
    assert [version for version, _ in served] == [30, 60, 90]
    errors = [error for _, error in served]
    assert errors[-1] < errors[0]
    assert "step 90: training loss" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "exports").iterdir()) == ["30", "60", "90"]
