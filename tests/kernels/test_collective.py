"""FlowgraphAllReduceMean (the identity) and FlowgraphJobBarrier (waits for checkpoint
writes) in one process; across processes both are tested by tests/distribute/test_allreduce.py."""

import os

import numpy as np

import flowgraph as tf
from flowgraph.distribute import all_reduce_mean
from flowgraph.distribute.checkpoint import job_barrier
from flowgraph.train.saver import save_v2
from kernels import op_def

OP_TYPES_TESTED = {"FlowgraphAllReduceMean", "FlowgraphJobBarrier"}
NOT_DIFFERENTIABLE = {
    "FlowgraphAllReduceMean": "applied to gradients, after the VJP",
    "FlowgraphJobBarrier": "no outputs",
}


def test_one_process_mean_is_the_value():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    n = tf.constant([7], tf.int64)
    with tf.Session() as sess:
        got_x, got_n = sess.run(all_reduce_mean([x, n]))
    np.testing.assert_array_equal(got_x, [[1.0, 2.0], [3.0, 4.0]])
    assert got_n.tolist() == [7] and got_n.dtype == np.int64


def test_indexed_slices_are_summed_into_a_dense_gradient():
    slices = tf.IndexedSlices(
        tf.constant([[1.0], [2.0], [4.0]]), tf.constant([0, 2, 0]), tf.constant([3, 1])
    )
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(all_reduce_mean([slices])[0]), [[5.0], [0.0], [2.0]])


def test_op_is_declared_flowgraph_specific_and_stateful():
    definition = op_def.lookup("FlowgraphAllReduceMean")
    assert [a.name for a in definition.input_arg] == ["input"]
    assert definition.is_stateful


def test_a_barrier_in_one_process_waits_for_the_checkpoint_writes(tmp_path):
    prefix = str(tmp_path / "ckpt")
    save = save_v2(prefix, ["v"], [""], [tf.constant(np.arange(1 << 16, dtype=np.float32))])
    with tf.control_dependencies([save]):
        barrier = job_barrier(["key"], prefix)
    with tf.Session() as sess:
        sess.run(barrier)
        # SaveV2 writes on a writer thread: the barrier returned once the bundle was whole.
        assert os.path.isfile(prefix + ".index")
    assert op_def.lookup("FlowgraphJobBarrier").is_stateful
