"""TF1 programs of the kinds users write (`tests/tf1_programs.py`) give TensorFlow's
values, static shapes, names and error classes/texts (`tests/fixtures/tf1_programs.json`,
made by `tests/fixtures/make_tf1_programs.py`)."""

from __future__ import annotations

import itertools
import json
import os

import numpy as np
import pytest

import flowgraph as tf
from kernels import resource_names
from tests.tf1_program_results import results
from tests.tf1_programs import PROGRAMS

with open(os.path.join(os.path.dirname(__file__), "fixtures", "tf1_programs.json")) as f:
    EXPECTED = json.load(f)

# Differences from TensorFlow not fixed yet: program -> {path of the value: why}. The test
# fails when one of them goes away, so that the list stays true.
_FUNCTIONAL = "cond and while_loop are functional If/While ops, not TF1's Switch/Merge frames"
_COMPOSITE = "one op where TF builds a composite of several (the last op names the result)"
KNOWN: dict[str, dict[str, str]] = {
    "build_errors": {
        "/dtype": "tf.add builds TF 1.15's Add (TF 2's builds AddV2; `+` builds AddV2 in both)"
    },
    "control_flow_training": {"/names/0": _FUNCTIONAL, "/names/1": _FUNCTIONAL},
    "gradients": {
        "/names/0": "the backward graph's op names (a generic VJP node, not TF's per-op graph)",
        "/names/1": "the backward graph's op names (a generic VJP node, not TF's per-op graph)",
    },
    "learning_rate_decays": {
        "/names/cosine": _COMPOSITE,
        "/names/natural_exp": "TF 2's natural_exp_decay is an ExponentialDecay in disguise",
        "/names/piecewise": _FUNCTIONAL,
    },
    "losses_classification": {"/names/pairwise": _COMPOSITE},
    "metrics_streaming": {"/names/mean_iou/0": _COMPOSITE},
    "nn_pooling_and_conv_shapes": {
        "/names/atrous": "one dilated Conv2D where TF pads, converts to batches and back"
    },
    "run_errors": {
        "/feed_shape": "TF 1's quoting ('Placeholder:0', '(?, 3)'); TF 2 dropped the quotes",
    },
}


def differences(expected, actual, path="") -> dict[str, str]:
    """Where `actual` differs from TensorFlow's `expected` (path -> what differs)."""
    if isinstance(expected, dict) and "error" in expected and len(expected) == 1:
        return _error_differences(expected["error"], actual, path)
    if isinstance(expected, dict) and "array" in expected:
        return _array_differences(expected, actual, path)
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = {}
        for key in sorted(set(expected) | set(actual)):
            if key not in actual or key not in expected:
                found[f"{path}/{key}"] = f"{key} only in {'TF' if key in expected else 'ours'}"
            else:
                found.update(differences(expected[key], actual[key], f"{path}/{key}"))
        return found
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        found = {}
        for i, (e, a) in enumerate(zip(expected, actual)):
            found.update(differences(e, a, f"{path}/{i}"))
        return found
    if expected != actual:
        return {path or "/": f"TF {expected!r:.300} vs ours {actual!r:.300}"}
    return {}


def _array_differences(expected, actual, path) -> dict[str, str]:
    if not (isinstance(actual, dict) and "array" in actual):
        return {path: f"TF an array vs ours {actual!r:.200}"}
    if expected["dtype"] != actual["dtype"] or expected["shape"] != actual["shape"]:
        want, got = (f"{x['dtype']}{x['shape']}" for x in (expected, actual))
        return {path: f"TF {want} vs ours {got}"}
    want, got = np.asarray(expected["array"]), np.asarray(actual["array"])
    if want.dtype.kind == "f" or got.dtype.kind == "f":
        close = np.allclose(got, want, rtol=2e-5, atol=2e-6, equal_nan=True)
    else:
        close = np.array_equal(got, want)
    return {} if close else {path: f"TF {want.tolist()!r:.300} vs ours {got.tolist()!r:.300}"}


def _error_differences(expected, actual, path) -> dict[str, str]:
    if not (isinstance(actual, dict) and "error" in actual):
        return {path: f"TF raises {expected[0]}: {expected[1]:.200} vs ours {actual!r:.200}"}
    (want_class, want_text), (got_class, got_text) = expected, actual["error"]
    core = tensorflow_text(want_text)
    if want_class != got_class or core not in got_text:
        return {path: f"TF {want_class}: {core!r:.300} vs ours {got_class}: {got_text!r:.300}"}
    return {}


def tensorflow_text(message: str) -> str:
    """The op's own message in TF's text: the line after "Node: '...'" of a run's error,
    or the first line of an error at graph building, up to where TF 2 names the node
    (`for '{{node X}} = ...'`: TF 1 wrote `for 'X' (op: 'T')`, as flowgraph does)."""
    lines = message.split("\n")
    after = [lines[i + 1] for i, x in enumerate(lines) if x.startswith("Node: ")]
    if after:
        return after[0]
    if lines[0].startswith("Graph execution error"):
        return next(x for x in lines[1:] if x.strip())
    return lines[0].split(" for '{{node ")[0]


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_gives_tensorflows_results(name, monkeypatch):
    # TF's results come from a new process per program: ids counted per process start at 0.
    monkeypatch.setattr(resource_names, "_ids", itertools.count())
    found = differences(EXPECTED[name], results(tf, PROGRAMS[name]))
    known = KNOWN.get(name, {})
    unexpected = {k: v for k, v in found.items() if k not in known}
    assert not unexpected, "\n".join(f"{k}: {v}" for k, v in unexpected.items())
    assert set(known) <= set(found), f"fixed, drop from KNOWN: {sorted(set(known) - set(found))}"
