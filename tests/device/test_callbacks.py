"""Host callbacks in compiled function bodies: which host ops can be callbacks, how a
body's host ops are grouped (string producers inside the callbacks that read them), and
errors raised in a callback coming back as the same TF error."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest

import flowgraph as tf
from device import callbacks
from kernels import errors, registry


@pytest.mark.parametrize(
    "op_type, expected",
    [("Print", True), ("Assert", True), ("PyFunc", True), ("QueueDequeueV2", False)],
)
def test_callable_kernels_need_only_their_inputs(op_type, expected):
    assert callbacks.callable_kernel(registry.lookup(op_type)) is expected


def _then_branch():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.int32, [])

        def branch():
            with tf.control_dependencies([tf.print("x is", x)]):
                return x + 1

        y = tf.cond(x > 0, branch, lambda: x)
    return g._as_ir()[y.op.name].attrs["then_branch"]


def test_a_sink_runs_with_the_string_ops_it_reads():
    fn = _then_branch()
    nodes = fn.graph.nodes
    groups = callbacks.HostGroups(nodes, lambda e: fn.graph[e[0]].output_dtypes[e[1]], fn.outputs)
    (sink,) = groups.groups
    members = [n.op for n in groups.groups[sink]]
    assert members == ["StringFormat", "PrintV2"]
    assert {fn.graph[name].op for name in groups.skipped} == {"StringFormat"}


def test_a_body_returning_a_string_has_no_callbacks():
    g = tf.Graph()
    with g.as_default():
        p = tf.placeholder(tf.bool, [])
        s = tf.cond(p, lambda: tf.as_string(1), lambda: tf.constant("b"))
    fn = g._as_ir()[s.op.name].attrs["then_branch"]
    dtype_of = lambda e: fn.graph[e[0]].output_dtypes[e[1]]  # noqa: E731
    assert not callbacks.HostGroups(fn.graph.nodes, dtype_of, fn.outputs)


def test_an_error_raised_in_a_callback_comes_back_as_itself():
    error = errors.InvalidArgumentError(None, None, "assertion failed: [3]")

    def fail(x):
        raise error

    @jax.jit
    def f(x):
        jax.debug.callback(callbacks._guarded(fail), x, ordered=True)
        return x + 1

    with pytest.raises(Exception) as info:
        f(jnp.int32(3))
    assert callbacks.raised(info.value) is error
    assert callbacks.raised(info.value) is None  # handed out once
    assert callbacks.raised(ValueError("unrelated")) is None
