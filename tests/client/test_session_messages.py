"""TensorFlow 2.21's error class and text for common mistakes, side by side.

tests/fixtures/make_session_messages.py ran each program with `tf.compat.v1` and recorded
the error; here the same source runs on flowgraph. For a run-time error flowgraph's text
is "<OpType> op '<name>': <TF's words> (defined at <the user's line>)"; TF's words are
compared.
"""

from __future__ import annotations

import json
import pathlib
import re

import numpy as np
import pytest

import flowgraph as tf

_FIXTURE = pathlib.Path(__file__).parents[1] / "fixtures" / "session_messages.json"
CASES = json.loads(_FIXTURE.read_text())["cases"]
_RUN = re.compile(r"^(?:\w+ op '[^']*': )?(.*?)(?: \(defined at [^()]*\))?$", re.S)


def _raised(source: str) -> Exception:
    with tf.Graph().as_default():
        try:
            exec(source, {"tf": tf, "np": np})
        except Exception as e:  # noqa: BLE001  (the error is what is checked)
            return e
    raise AssertionError("flowgraph raised nothing")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_error_class_and_text_are_tensorflows(case):
    error = _raised(case["source"])
    assert type(error).__name__ == case["error"], str(error)
    text = str(error)
    if isinstance(error, tf.errors.OpError):
        text = _RUN.match(text).group(1)
    assert text == case["text"]
