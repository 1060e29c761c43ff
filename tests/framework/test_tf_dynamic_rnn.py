"""TF1 RNNs whose TensorArrays have shapes known only when run, made by TensorFlow.

The GraphDefs and MetaGraphs under tests/fixtures/tf_dynamic_rnn/ were written by
TensorFlow (tests/fixtures/make_tf_dynamic_rnn.py) with the values it computed:
`dynamic_rnn` (LSTM, GRU) on a `[None, None, 3]` input with fed sequence lengths,
`raw_rnn` (trained too), and a loop over a `[None, 3]` input whose body has a cond
(frozen and trained at changing batch sizes), with v1 control flow (`v1/`) and as TF 2.x `compat.v1`
writes them (`v2/`).
Each runs at two batch sizes and time lengths; the element shapes of their TensorArrays
are decided when the loop is compiled for the fed shapes.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import flowgraph as tf
from kernels import errors

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf_dynamic_rnn"
MODES = ["v1", "v2"]
EXPECTED = {m: json.loads((FIXTURES / m / "expected.json").read_text()) for m in MODES}
ARRAY_TYPES = {"v1": {"TensorArrayV3", "Enter"}, "v2": {"TensorListReserve", "StatelessWhile"}}


def _feed(graph, feed: dict) -> dict:
    return {
        graph.get_tensor_by_name(k): np.asarray(v, np.int32 if k == "lengths:0" else np.float32)
        for k, v in feed.items()
    }


def _resumed_losses(mode: str, name: str, case: dict) -> list:
    """The losses of the training MetaGraph `name` restored from TF's checkpoint and run
    one step per feed of `case` (its loss fetched before each update)."""
    path = FIXTURES / mode / name
    with tf.Graph().as_default() as graph:
        saver = tf.train.import_meta_graph(str(path / "model.ckpt.meta"))
        train = graph.get_collection("train_op")[0]
        (loss,) = graph.get_collection("loss")
        with tf.Session() as sess:
            saver.restore(sess, str(path / case["saved"]))
            return [sess.run([loss, train], _feed(graph, f))[0] for f in case["feeds"]]


def _run_cases(sess, graph, fetches, case) -> None:
    assert len({np.shape(f["x:0"]) for f in case["feeds"]}) == 2  # two batch and time sizes
    for feed, expected in zip(case["feeds"], case["results"]):
        for got, want in zip(sess.run(fetches, _feed(graph, feed)), expected):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["lstm", "gru", "raw_rnn"])
def test_frozen_graphs_run_at_fed_batch_sizes_and_lengths(mode, name):
    case = EXPECTED[mode][name]
    assert ARRAY_TYPES[mode] <= set(case["op_types"])
    graph_def = tf.GraphDef.FromString((FIXTURES / mode / f"{name}.pb").read_bytes())
    with tf.Graph().as_default() as graph:
        x = graph_def.node[[n.name for n in graph_def.node].index("x")]
        assert [d.size for d in x.attr["shape"].shape.dim] == [-1, -1, 3]
        fetches = tf.import_graph_def(graph_def, return_elements=case["fetches"], name="")
        with tf.Session() as sess:
            _run_cases(sess, graph, fetches, case)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_inference_meta_graphs_restore_and_run(mode, name):
    case = EXPECTED[mode][name]
    path = FIXTURES / mode / f"{name}_infer"
    with tf.Graph().as_default() as graph:
        saver = tf.train.import_meta_graph(str(path / "model.ckpt.meta"))
        fetches = [graph.get_tensor_by_name(n) for n in case["fetches"]]
        with tf.Session() as sess:
            saver.restore(sess, str(path / case["saved"]))
            _run_cases(sess, graph, fetches, case)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["lstm_train", "gru_train"])
def test_training_meta_graphs_resume_with_tf_losses_at_changing_shapes(mode, name):
    # TF's gradients push the forward values' shapes (unknown batch) for the backward
    # loop's BroadcastGradientArgs, whose inputs must be known when compiled
    case = EXPECTED[mode][name]
    assert "BroadcastGradientArgs" in case["op_types"]
    losses = _resumed_losses(mode, name, case)
    assert len({np.shape(f["x:0"]) for f in case["feeds"]}) == 3
    np.testing.assert_allclose(losses, case["next_losses"], rtol=1e-5)


@pytest.mark.parametrize("mode", MODES)
def test_a_raw_rnn_training_meta_graph_resumes_with_tf_losses(mode):
    # its forward loop runs from the host (its emitted array grows): the shapes TF's
    # gradients push come out of it and are the backward loop's static inputs; TF 2.x's
    # gradient shrinks the grown list to the lengths the forward loop pushed
    case = EXPECTED[mode]["raw_rnn_train"]
    assert mode == "v1" or "TensorListResize" in case["op_types"]
    losses = _resumed_losses(mode, "raw_rnn_train", case)
    np.testing.assert_allclose(losses, case["next_losses"], rtol=1e-5)


def test_a_list_resized_beyond_its_length_is_refused_naming_the_node():
    # TF's gradient only shrinks a grown list; a constant size larger than it would grow it
    meta = tf.MetaGraphDef.FromString(
        (FIXTURES / "v2" / "raw_rnn_train" / "model.ckpt.meta").read_bytes()
    )
    (body,) = [
        f
        for f in meta.graph_def.library.function
        if any(n.op == "TensorListResize" for n in f.node_def)
    ]
    (resize,) = [n for n in body.node_def if n.op == "TensorListResize"]
    size = body.node_def.add(name="big_size", op="Const")
    size.attr["dtype"].type = tf.int32.as_datatype_enum
    size.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(100, tf.int32))
    resize.input[1] = "big_size:output:0"
    with tf.Graph().as_default():
        with pytest.raises(
            errors.UnimplementedError, match=f"TensorListResize node '{resize.name}'"
        ):
            tf.train.import_meta_graph(meta)


# what TF's gradient of a cond in a loop pushes under it: v1 stacks in the cond's
# branches, v2 the optionals of an `If` in a `While`, accumulated in lists
COND_PUSHES = {
    "v1": {"StackPushV2", "Switch", "Merge"},
    "v2": {"If", "OptionalFromValue", "OptionalNone", "OptionalGetValue", "TensorListPushBack"},
}


@pytest.mark.parametrize("mode", MODES)
def test_a_frozen_loop_with_a_cond_runs_at_fed_batch_sizes(mode):
    case = EXPECTED[mode]["cond_in_loop"]
    graph_def = tf.GraphDef.FromString((FIXTURES / mode / "cond_in_loop.pb").read_bytes())
    with tf.Graph().as_default() as graph:
        fetches = tf.import_graph_def(graph_def, return_elements=case["fetches"], name="")
        assert fetches[0].shape.as_list() == [None, 3]
        with tf.Session() as sess:
            for feed, expected in zip(case["feeds"], case["results"]):
                got = sess.run(fetches, _feed(graph, feed))
                np.testing.assert_allclose(got[0], expected[0], rtol=1e-5, atol=1e-6)
    assert len({np.shape(f["x:0"]) for f in case["feeds"]}) == 2


@pytest.mark.parametrize("mode", MODES)
def test_a_loop_with_a_cond_trained_at_changing_batch_sizes_resumes_with_tf_losses(mode):
    # the values and shapes (unknown batch) TF's gradient pushes inside the cond: where
    # the other branch runs, zeros of the shape the run gives; the pushed shapes reach
    # the backward cond's Fill/Reshape as values known when compiled
    case = EXPECTED[mode]["cond_in_loop_train"]
    assert COND_PUSHES[mode] <= set(case["op_types"])
    losses = _resumed_losses(mode, "cond_in_loop_train", case)
    assert len({np.shape(f["x:0"]) for f in case["feeds"]}) == 3
    np.testing.assert_allclose(losses, case["next_losses"], rtol=1e-5)


# why the other branch's value cannot give the shape of what one branch pushes
STATE_TOUCHED = {
    "v1": "StackPushV2 node .* cond has a shape known only when run, and ops that touch",
    "v2": "If node .* optional output .* shape known only when run, and ops that touch",
}


@pytest.mark.parametrize("mode", MODES)
def test_a_value_pushed_in_a_branch_from_state_touching_ops_is_refused(mode):
    # zeros for it in the other branch take the shape of that value built there: not
    # where its ops touch state (here a random shuffle in place of the branch's Sigmoid)
    meta = tf.MetaGraphDef.FromString(
        (FIXTURES / mode / "cond_in_loop_train" / "model.ckpt.meta").read_bytes()
    )
    graph_def = meta.graph_def
    nodes = [n for f in graph_def.library.function for n in f.node_def] or graph_def.node
    sigmoids = [n for n in nodes if n.op == "Sigmoid"]
    assert sigmoids
    for n in sigmoids:
        n.op = "RandomShuffle"
    with tf.Graph().as_default():
        with pytest.raises(errors.UnimplementedError, match=STATE_TOUCHED[mode]):
            tf.train.import_meta_graph(meta)


class _GRUCell(tf.nn.rnn_cell.RNNCell):
    """The fixture's GRU cell (TF1's `GRUCell` math, its initial weights)."""

    def __init__(self, units):
        super().__init__()
        self.units = units

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def __call__(self, inputs, h, scope=None):
        rng = np.random.RandomState(7)
        depth = inputs.shape[-1] + self.units
        gate_kernel = (rng.randn(depth, 2 * self.units) * 0.4).astype("f")
        kernel = (rng.randn(depth, self.units) * 0.4).astype("f")
        gates = tf.sigmoid(tf.matmul(tf.concat([inputs, h], 1), gate_kernel) + 1.0)
        r, u = tf.split(gates, 2, axis=1)
        candidate = tf.tanh(tf.matmul(tf.concat([inputs, r * h], 1), kernel))
        new_h = u * h + (1 - u) * candidate
        return new_h, new_h


def test_raw_rnn_built_here_matches_tensorflow():
    # the fixture's raw_rnn, built with flowgraph: its loop_fn decides when each entry
    # finishes, so the emitted TensorArray grows in a loop whose trip count a run decides
    case = EXPECTED["v1"]["raw_rnn"]
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float32, [None, None, 3], name="x")
        lengths = tf.placeholder(tf.int32, [None], name="lengths")
        cell = _GRUCell(4)
        inputs = tf.TensorArray(tf.float32, size=tf.shape(x)[1], clear_after_read=False)
        inputs = inputs.unstack(tf.transpose(x, [1, 0, 2]))

        def loop_fn(time, cell_output, cell_state, loop_state):
            state = (
                cell.zero_state(tf.shape(x)[0], tf.float32) if cell_output is None else cell_state
            )
            emit = None if cell_output is None else cell_output * 2.0
            finished = time >= lengths
            first = inputs.read(tf.minimum(time, tf.shape(x)[1] - 1))
            next_input = tf.where(finished, tf.zeros_like(first), first)
            return finished, next_input, state, emit, loop_state

        emit_ta, state, _ = tf.nn.raw_rnn(cell, loop_fn)
        fetches = [emit_ta.stack(), state]
        with tf.Session() as sess:
            _run_cases(sess, graph, fetches, case)
