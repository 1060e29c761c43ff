"""Importing flowgraph moves what the import made out of the garbage collector's walks."""

import gc
import os
import subprocess
import sys

import flowgraph  # noqa: F401  (the import under test)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_import_freezes_what_it_made_and_the_switch_turns_it_off():
    assert gc.get_freeze_count() > 10_000  # jax's and flowgraph's modules, at least
    assert gc.isenabled()  # the collector still runs for everything made afterwards
    code = "import gc, flowgraph; print(gc.get_freeze_count(), gc.isenabled())"
    env = {**os.environ, "FLOWGRAPH_GC_FREEZE": "0", "PYTHONPATH": ROOT}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "True"]
