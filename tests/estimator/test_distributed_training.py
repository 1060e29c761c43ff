"""`train_and_evaluate` on a `TF_CONFIG` cluster: a ps, a chief, a worker and an evaluator
as processes on 127.0.0.1, each running the same program, as TF 1.15's executor runs them."""

import json
import os
import subprocess
import sys

from flowgraph.distributed.launch import free_ports

PROGRAM = os.path.join(os.path.dirname(__file__), "cluster_program.py")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _start(task_type: str, index: int, cluster: dict, model_dir: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    env["TF_CONFIG"] = json.dumps({"cluster": cluster, "task": {"type": task_type, "index": index}})
    return subprocess.Popen(
        [sys.executable, PROGRAM, model_dir],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_ps_chief_worker_and_evaluator_train_and_evaluate(tmp_path):
    ps, chief, worker = (f"127.0.0.1:{p}" for p in free_ports(3))
    cluster = {"ps": [ps], "chief": [chief], "worker": [worker]}
    model_dir = str(tmp_path / "model")
    tasks = {
        "ps": _start("ps", 0, cluster, model_dir),
        "chief": _start("chief", 0, cluster, model_dir),
        "worker": _start("worker", 0, cluster, model_dir),
        "evaluator": _start("evaluator", 0, cluster, model_dir),
    }
    try:
        outputs = {}
        for name in ("chief", "worker", "evaluator"):
            outputs[name] = tasks[name].communicate(timeout=400)[0]
            assert tasks[name].returncode == 0, f"{name}:\n{outputs[name][-3000:]}"
    finally:
        for process in tasks.values():
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=30)
    evals = [line for line in outputs["evaluator"].splitlines() if line.startswith("EVAL ")]
    metrics = json.loads(evals[-1][len("EVAL ") :])
    assert metrics["global_step"] >= 40  # the evaluator followed training to its end
    assert metrics["average_loss"] < 1.0  # y has variance ~1.2: the model learnt
    assert os.path.exists(os.path.join(model_dir, "checkpoint"))  # written by the chief
    assert "EVAL" not in outputs["chief"]  # in a cluster only the evaluator evaluates
