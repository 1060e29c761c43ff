"""The collective hook (`device/collective.py`) in one process: with a mesh chosen
(`kernels.collective.use_mesh`) a step holding an all-reduce is one program compiled under
`shard_map`, and computes what the step computes without it. Across processes:
tests/distribute/test_allreduce.py."""

from __future__ import annotations

from types import SimpleNamespace

import jax
import numpy as np
import pytest
from jax.sharding import Mesh

import flowgraph as tf
from device import collective as hook
from device.partition import Segment
from flowgraph.distribute import all_reduce_mean
from kernels import collective


@pytest.fixture
def mesh():
    chosen = Mesh(np.array(jax.local_devices()), (collective.AXIS,))
    collective.use_mesh(chosen)
    yield chosen
    collective.use_mesh(None)


def _train(steps: int):
    """Losses, weights and the step's plan of a model whose step has every kind of argument:
    variables (donated), an RNG key (dropout), a fed static input (a shape) and a constant
    hoisted out of the executable (1 MiB)."""
    tf.reset_default_graph()
    rng = np.random.RandomState(0)
    x = tf.placeholder(tf.float32, [None, 4])
    shape = tf.placeholder(tf.int32, [2])
    w = tf.Variable(rng.randn(4, 1).astype(np.float32))
    big = tf.constant(np.full([1 << 18], 0.5, np.float32))
    h = tf.nn.dropout(tf.reshape(x, shape), keep_prob=0.75, seed=3)
    loss = tf.reduce_mean(tf.square(tf.matmul(h, w))) * tf.reduce_mean(big)
    opt = tf.train.MomentumOptimizer(0.1, 0.9)
    grads = opt.compute_gradients(loss, [w])
    means = all_reduce_mean([g for g, _ in grads])
    train = opt.apply_gradients([(m, v) for m, (_, v) in zip(means, grads)])
    feed = {x: rng.randn(8, 4).astype(np.float32), shape: [8, 4]}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        losses = [sess.run([train, loss], feed)[1] for _ in range(steps)]
        return losses, sess.run(w), sess.explain(train, feed)


def test_a_step_with_an_all_reduce_is_one_program_over_the_mesh(mesh):
    losses, w, plan = _train(3)
    collective.use_mesh(None)
    want_losses, want_w, want_plan = _train(3)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-6)
    np.testing.assert_allclose(w, want_w, rtol=1e-6)
    assert not np.allclose(w, _train(0)[1])
    (step,) = [s for s in plan.segments if "AllReduceMean" in s.ops]
    assert step.kind == "xla" and "Momentum/update_Variable/ApplyMomentum" in step.ops
    assert "Variable" in step.donated
    assert [s.ops for s in plan.segments] == [s.ops for s in want_plan.segments]


def test_only_xla_segments_with_a_collective_op_use_the_mesh(mesh):
    def segment(kind, *ops):
        return Segment(kind, None, nodes=[SimpleNamespace(op=op) for op in ops])

    assert hook.mesh_of(segment("xla", "MatMul", "FlowgraphAllReduceMean")) is mesh
    assert hook.mesh_of(segment("xla", "MatMul", "ApplyMomentum")) is None
    assert hook.mesh_of(segment("host", "SaveV2")) is None


def test_without_a_mesh_in_one_process_nothing_is_compiled_over_one():
    tf.reset_default_graph()
    (mean,) = all_reduce_mean([tf.constant([3.0])])
    with tf.Session() as sess:
        assert sess.run(mean).tolist() == [3.0]
    assert collective.job_mesh() is None


def test_outputs_are_the_local_copies_on_this_process_device(mesh):
    value = jax.numpy.arange(6.0).reshape(2, 3)
    args = [
        hook._global(
            value,
            jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec()),
            mesh.local_devices,
        )
    ]
    assert args[0].shape == (2, 3) and len(args[0].addressable_shards) == len(mesh.local_devices)
    local = hook._local(args[0])
    assert local.devices() == {jax.local_devices()[0]}
    np.testing.assert_array_equal(local, value)


def _segment_with_all_reduce():
    return Segment("xla", None, nodes=[SimpleNamespace(op="FlowgraphAllReduceMean", name="ar")])


def test_a_failed_all_reduce_is_unavailable_naming_the_op(mesh):
    def lost_peer(*args):
        raise ValueError("UNKNOWN: Gloo all-reduce failed: Connection closed by peer")

    call = hook.over_job(lost_peer, mesh, (), _segment_with_all_reduce())
    with pytest.raises(tf.errors.UnavailableError, match="failed in ar: UNKNOWN: Gloo"):
        call(np.float32(1.0))


def test_an_error_of_tracing_is_not_taken_for_a_lost_peer(mesh):
    def bad_trace(*args):
        raise ValueError("Incompatible shapes for broadcasting")

    call = hook.over_job(bad_trace, mesh, (), _segment_with_all_reduce())
    with pytest.raises(ValueError, match="Incompatible shapes"):
        call(np.float32(1.0))
