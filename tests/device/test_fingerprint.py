"""Segment fingerprints (`device/fingerprint.py`): equal for equal segments made afresh,
different for any change to what a trace reads."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from device import fingerprint
from device.ir import Function, GraphIR, Node
from device.partition import Segment

F32 = np.dtype(np.float32)


def _segment(scale=2.0, shape=(3,), transpose=False, body_scale=1.0, hoisted_value=0.0):
    """x -> MatMul(x, w) * scale, with a cond-like Function attr and a large constant."""
    x = Node("x", "Placeholder", attrs={"dtype": F32, "shape": (None, 3)},
             output_dtypes=(F32,), output_shapes=((None, 3),))  # fmt: skip
    w = Node("w", "Const", attrs={"dtype": F32, "value": np.ones((3,) + shape, np.float32)},
             output_dtypes=(F32,), output_shapes=((3,) + shape,))  # fmt: skip
    mm = Node("mm", "MatMul", (("x", 0), ("w", 0)), attrs={"T": F32, "transpose_a": False,
              "transpose_b": transpose}, output_dtypes=(F32,))  # fmt: skip
    s = Node("s", "Const", attrs={"dtype": F32, "value": np.float32(scale)}, output_dtypes=(F32,))
    mul = Node("mul", "Mul", (("mm", 0), ("s", 0)), attrs={"T": F32}, output_dtypes=(F32,))
    c = Node("c", "Const", attrs={"dtype": F32, "value": np.float32(body_scale)})
    body = Function("branch", GraphIR((c,)), inputs=(None,), outputs=(("c", 0),))
    holder = Node("holder", "Identity", (("mul", 0),), attrs={"T": F32, "f": (1, (body,))})
    big = Node("big", "Const", attrs={"dtype": F32, "value": np.full(4, hoisted_value)})
    nodes = [x, w, mm, s, mul, holder, big]
    return Segment("xla", None, nodes, inputs=[("x", 0)], outputs=[("holder", 0)])


def _digest(seg, hoisted=()):
    return fingerprint.digest(fingerprint.segment(seg, hoisted))


def test_a_segment_made_again_has_the_same_digest():
    assert _digest(_segment()) == _digest(_segment())


@pytest.mark.parametrize(
    "change",
    [
        {"scale": 3.0},  # a constant
        {"transpose": True},  # an attr
        {"shape": (4,)},  # a constant's shape, and so the output shapes
        {"body_scale": 2.0},  # a constant in a function body held in a nested tuple
        {"hoisted_value": 1.0},  # a constant compiled in (not hoisted)
    ],
)
def test_any_change_to_the_program_changes_the_digest(change):
    assert _digest(_segment(**change)) != _digest(_segment())


def test_a_hoisted_constant_counts_by_type_only():
    assert _digest(_segment(hoisted_value=1.0), ["big"]) == _digest(_segment(), ["big"])
    assert _digest(_segment(shape=(4,)), ["w"]) != _digest(_segment(), ["w"])


def test_the_segment_boundary_counts():
    seg = _segment()
    other = _segment()
    other.outputs = [("holder", 0), ("mul", 0)]
    assert _digest(seg) != _digest(other)
    other = _segment()
    other.folded = frozenset({"s"})
    assert _digest(seg) != _digest(other)


def test_an_attr_known_only_by_identity_has_no_digest():
    seg = _segment()
    seg.nodes.append(Node("odd", "NoOp", attrs={"thing": object()}))
    with pytest.raises(fingerprint.Unhashable):
        _digest(seg)


def test_the_environment_holds_settings_and_source(monkeypatch):
    monkeypatch.delenv("FLOWGRAPH_CHECKS", raising=False)
    on = fingerprint.environment()
    monkeypatch.setenv("FLOWGRAPH_CHECKS", "0")
    assert fingerprint.environment() != on
    monkeypatch.setenv("FLOWGRAPH_COMPILE_CACHE_DIR", "/elsewhere")  # where, not what
    monkeypatch.delenv("FLOWGRAPH_CHECKS")
    assert fingerprint.environment() == on
    assert fingerprint.source_digest() in on and len(fingerprint.source_digest()) == 40



def test_the_environment_holds_the_host_cpus_instruction_set(monkeypatch):
    here = fingerprint.environment()
    assert fingerprint.cpu_features() in here
    monkeypatch.setattr(fingerprint, "cpu_features", lambda: "another machine's flags")
    assert fingerprint.environment() != here  # its executables may use instructions we lack

@pytest.mark.filterwarnings("ignore:os.fork:RuntimeWarning")  # jax's: the child calls no jax
def test_the_source_digest_made_in_the_background_is_the_files_digest_and_a_fork_can_read_it():
    fingerprint.prefetch()  # (done already at import where the cache is on: then no thread)
    for thread in threading.enumerate():
        if thread.name == "flowgraph-source-digest":
            thread.join(timeout=60)
    assert fingerprint.source_digest() == fingerprint._digest_sources()
    with fingerprint._source_lock[0]:  # a fork while the lock is held: the child's is free
        pid = os.fork()
        if pid == 0:
            os._exit(0 if fingerprint._source_lock[0].acquire(timeout=5) else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_arrays_count_by_dtype_shape_and_content():
    tokens = {
        fingerprint.token(np.zeros(4, np.float32)),
        fingerprint.token(np.zeros(4, np.float64)),
        fingerprint.token(np.zeros((2, 2), np.float32)),
        fingerprint.token(np.arange(4, dtype=np.float32)),
        fingerprint.token(np.array([b"a", b"b"], dtype=object)),
        fingerprint.token(np.array([b"a", b"c"], dtype=object)),
    }
    assert len(tokens) == 6
    assert fingerprint.token((1, "1")) != fingerprint.token((1, 1))
    assert fingerprint.token(True) != fingerprint.token(1)
