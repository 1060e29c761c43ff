"""TF 2.x functional control flow made by TensorFlow, rebuilt through flowgraph's builders.

The GraphDefs under tests/fixtures/tf_v2_control_flow/ were written by TensorFlow's
`tf.compat.v1` graph code with control flow v2 on (tests/fixtures/make_tf_v2_control_flow.py),
with the values it computed.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import flowgraph as tf
from kernels import errors

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf_v2_control_flow"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
TRAINING = {k: EXPECTED.pop(k) for k in [k for k in EXPECTED if k.startswith("train_")]}
V2_TYPES = {"StatelessIf", "StatelessWhile", "StatelessCase", "PartitionedCall"}
TENSOR_LISTS = {"TensorListReserve", "TensorListSetItem", "TensorListGetItem"}


def _graph_def(name: str):
    return tf.GraphDef.FromString((FIXTURES / f"{name}.pb").read_bytes())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_tf_v2_graphs_compute_what_tensorflow_computed(name):
    case = EXPECTED[name]
    assert set(case["op_types"]) & V2_TYPES  # made with control flow v2
    with tf.Graph().as_default() as graph:
        fetches = tf.import_graph_def(_graph_def(name), return_elements=case["fetches"], name="")
        types = {op.type for op in graph.get_operations()}
        assert not types & (V2_TYPES | TENSOR_LISTS)
        with tf.Session() as sess:
            for feed, expected in zip(case["feeds"], case["results"]):
                feed = {
                    k: np.asarray(v, graph.get_tensor_by_name(k).dtype.as_numpy_dtype)
                    for k, v in feed.items()
                }
                for got, want in zip(sess.run(fetches, feed), expected):
                    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_functional_nodes_become_our_functional_ops():
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(_graph_def("while_cond"))
    types = [op.type for op in graph.get_operations()]
    assert types.count("While") == 1 and types.count("If") == 1
    (loop,) = [op for op in graph.get_operations() if op.type == "While"]
    assert loop.name.startswith("import/while")  # under the node's name
    # TF's fetch names resolve: through TF's Identity nodes, the cond's output is the If's
    op = graph.get_tensor_by_name("import/out:0").op
    while op.type == "Identity":
        op = op.inputs[0].op
    assert op.type == "If"


def test_nested_loops_and_conds_nest_functional_ops():
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(_graph_def("nested"), name="")
    (loop,) = [op for op in graph.get_operations() if op.type == "While"]
    body = loop.get_attr("body")
    assert [node.op for node in body.graph.nodes].count("While") == 1


def test_dynamic_rnn_tensor_lists_become_tensor_arrays():
    assert TENSOR_LISTS <= set(EXPECTED["dynamic_rnn"]["op_types"])
    with tf.Graph().as_default() as graph:
        outputs, state = tf.import_graph_def(
            _graph_def("dynamic_rnn"), return_elements=["outputs:0", "state:0"], name=""
        )
    assert outputs.shape.as_list() == [2, 5, 4] and state.shape.as_list() == [2, 4]
    assert [op.type for op in graph.get_operations()].count("While") == 1


def test_gradients_flow_through_imported_v2_loops():
    x = np.asarray([1.0, -2.0, 3.0, 0.5], np.float32)
    with tf.Graph().as_default():
        ph = tf.placeholder(tf.float32, [4])
        (out,) = tf.import_graph_def(
            _graph_def("while_cond"), input_map={"x:0": ph}, return_elements=["out:0"]
        )
        (grad,) = tf.gradients(tf.reduce_sum(out), [ph])
        with tf.Session() as sess:
            got = sess.run(grad, {ph: x})
            eps, numeric = 1e-2, np.zeros(4, np.float32)
            for k in range(4):
                d = np.zeros(4, np.float32)
                d[k] = eps
                hi = sess.run(out, {ph: x + d}).sum()
                lo = sess.run(out, {ph: x - d}).sum()
                numeric[k] = (hi - lo) / (2 * eps)
    np.testing.assert_allclose(got, numeric, rtol=1e-2, atol=1e-2)


def test_missing_types_in_function_bodies_are_listed():
    graph_def = _graph_def("function_call")
    for fdef in graph_def.library.function:
        for nd in fdef.node_def:
            if nd.op == "Relu":
                nd.op = "NoSuchOpAnywhere"
    with tf.Graph().as_default():
        with pytest.raises(errors.NotFoundError, match="NoSuchOpAnywhere"):
            tf.import_graph_def(graph_def)


# what TF's gradients of each graph hold besides the forward ops
TRAINING_TYPES = {
    "train_while": {"TensorListPushBack", "TensorListPopBack", "While", "TanhGrad"},
    "train_cond": {"If", "OptionalFromValue", "OptionalNone", "OptionalGetValue"},
    "train_rnn": {"TensorListGetItem", "TensorListSetItem", "TensorListPopBack", "ConcatOffset"},
    # an If in a While: the loop pushes the If's optionals (values of different shapes in
    # its two branches) and its while_grad pops them into the If's gradient
    "train_cond_in_loop": {"OptionalFromValue", "OptionalNone", "TensorListPushBack", "If"},
    # a loop with no counter (and no maximum_iterations) pushing TF's accumulators: its
    # trip count, only known when it runs, changes as the model trains
    "train_uncounted": {"TensorListPushBack", "TensorListPopBack", "While", "TanhGrad"},
    # dynamic_rnn over an LSTM cell with fed sequence lengths (a bound known when run,
    # its accumulators sized by TF's maximum_iterations), trained by Adam
    "train_lstm": {"TensorListPushBack", "TensorListSetItem", "Select", "ResourceApplyAdam"},
    # bidirectional_dynamic_rnn over GRUs with fed lengths, outputs concatenated
    "train_bidirectional": {"ReverseSequence", "ConcatV2", "ResourceApplyMomentum"},
}


@pytest.mark.parametrize("name", sorted(TRAINING_TYPES))
def test_a_training_meta_graph_with_tf_v2_gradients_resumes_with_tf_losses(name):
    # TF's gradient of a v2 loop: a `while_grad` While popping TensorLists the forward
    # loop pushed (EmptyTensorList, TensorListPushBack/PopBack), on resource variables;
    # of a v2 cond: an If whose forward If returns its intermediates as optionals
    case = TRAINING[name]
    assert TRAINING_TYPES[name] <= set(case["op_types"])
    path = FIXTURES / name
    with tf.Graph().as_default() as graph:
        saver = tf.train.import_meta_graph(str(path / "model.ckpt.meta"))
        types = {op.type for op in graph.get_operations()}
        converted = {t for t in case["op_types"] if t.startswith(("TensorList", "Optional"))}
        assert not types & (V2_TYPES | converted)
        assert "VarHandleOp" not in types
        train = graph.get_collection("train_op")[0]
        (loss,) = graph.get_collection("loss")
        with tf.Session() as sess:
            saver.restore(sess, str(path / case["saved"]))
            losses = [sess.run([loss, train], case.get("feed"))[0] for _ in range(4)]
    np.testing.assert_allclose(losses, case["next_losses"], rtol=1e-5)
