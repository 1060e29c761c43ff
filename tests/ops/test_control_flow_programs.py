"""TF1 control-flow programs (tests/ops/control_flow_programs.py) give TensorFlow's results:
values, and errors with TF's class and text (tests/fixtures/control_flow_programs_tf.json,
recorded from TF 2.21 with v1 control flow by make_control_flow_programs.py)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import flowgraph as tf
from tests.ops.control_flow_programs import PROGRAMS, run_program

_FIXTURE = os.path.join(
    os.path.dirname(__file__), "..", "fixtures", "control_flow_programs_tf.json"
)
with open(_FIXTURE) as f:
    EXPECTED = json.load(f)


def test_every_program_has_tfs_results():
    assert sorted(EXPECTED) == sorted(PROGRAMS)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_gives_tfs_results(name):
    got, expected = run_program(tf, PROGRAMS[name]), EXPECTED[name]
    assert got.keys() == expected.keys(), got
    if "build" in got:
        assert got["build"] == expected["build"]
        return
    for run, (mine, theirs) in enumerate(zip(got["runs"], expected["runs"], strict=True)):
        for fetch, want in theirs.items():
            have = mine[fetch]
            where = f"{name}, run {run}, fetch {fetch}"
            assert have[0] == want[0], f"{where}: {have} != {want}"
            if want[0] == "error":
                assert have[1] == want[1] and want[2] in have[2], f"{where}: {have} != {want}"
            else:
                _assert_same(have[1], want[1], where)


def _assert_same(have, want, where: str) -> None:
    if isinstance(want, dict):
        assert isinstance(have, dict) and have.keys() == want.keys(), where
        for k in want:
            _assert_same(have[k], want[k], where)
    elif isinstance(want, list) and any(isinstance(w, (list, dict)) for w in want):
        assert isinstance(have, list) and len(have) == len(want), where
        for h, w in zip(have, want):
            _assert_same(h, w, where)
    elif isinstance(want, str) or (
        isinstance(want, list) and all(isinstance(w, str) for w in want)
    ):
        assert have == want, f"{where}: {have!r} != {want!r}"
    else:
        np.testing.assert_allclose(np.asarray(have), np.asarray(want), rtol=1e-6, err_msg=where)
