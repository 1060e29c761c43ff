"""Every notebook in notebooks/ runs top to bottom in a fresh kernel, shows what it is about,
and leaves no server behind; notebooks are committed without outputs."""

import os
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

# What each notebook's outputs must show (a failing cell fails the test before this).
EXPECTED = {
    "01_quickstart": ["tf.Tensor <b>b:0</b>", "<svg", "GradientDescent", "learned w: [ 2."],
    "02_training_and_tensorboard": [
        "test accuracy 0.9",
        "loss = ",  # LoggingTensorHook's line: tf.logging reaches the cell
        "Saving checkpoints for 300",
        "Restoring parameters from",  # the resumed session
        "after 450 steps",
        "image/png",  # the curves
        "stopped TensorBoard (pid",
    ],
    "03_device_placement": [
        "CpuDevice(id=3)",
        "tower0/hidden/MatMul: (MatMul): /job:localhost/replica:0/task:0/device:CPU:1",
        "with allow_soft_placement: 3.0",
        "<b>Plan</b>",
        "compiled segment",  # the timeline's legend
        "(transfer)",
    ],
    "04_input_pipelines": [
        "wrote 20,000 records",
        "step 300: loss",
        "tf.data step 150: loss",
        "tf.data: end of input after 157 steps (OutOfRangeError: IteratorGetNext",
        "tf.data, parse after batch: end of input after 157 steps",
        "records/s, tf.data ",  # the queue and tf.data throughputs side by side
        "image/png",
    ],
    "05_export_and_serve": [
        "Successfully loaded servable version {name: digits version: 1}",
        '"state": "AVAILABLE"',
        "REST predictions: [",
        "gRPC classes: [",
        "type.googleapis.com/tensorflow.serving.SignatureDefMap",
        "failed requests: 0",
        "versions answered: [1, 2] - changes: [(1, 2)]",
        '"state": "END"',
        "image/png",
        "server stopped, exit code 0",
    ],
}


def test_every_notebook_has_expectations_and_no_committed_outputs():
    assert {p.stem for p in NOTEBOOKS} == set(EXPECTED)
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.delenv("XLA_FLAGS", raising=False)  # a notebook sets what it needs itself
    servers_before = _tensorboard_processes()
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=300,  # per cell
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    outputs = "\n".join(_texts(notebook))
    for expected in EXPECTED[path.stem]:
        assert expected in outputs, f"{path.name}: no output shows {expected!r}"
    assert _tensorboard_processes() <= servers_before, "a TensorBoard server was left running"
    if "%tensorboard" in "".join(c.source for c in notebook.cells):
        assert "127.0.0.1:" in outputs  # the server bound the loopback address only


def _texts(notebook) -> list[str]:
    texts = []
    for cell in notebook.cells:
        for out in cell.get("outputs", []):
            texts.append(out.get("text", "") + out.get("evalue", ""))
            for mime, data in out.get("data", {}).items():
                texts.append(mime)
                texts.append(data if isinstance(data, str) else "")
    return texts


def _tensorboard_processes() -> set[int]:
    """Live processes running TensorBoard (zombies are not running)."""
    found = set()
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if b"tensorboard" in cmdline and b"--logdir" in cmdline and state != "Z":
            found.add(int(entry.name))
    return found
