"""TF1 v1 control flow made by TensorFlow, converted to If/While at import.

The GraphDefs and MetaGraphs under tests/fixtures/tf_v1_control_flow/ were written by
TensorFlow (tests/fixtures/make_tf_v1_control_flow.py) with the values it computed.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import flowgraph as tf

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf_v1_control_flow"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
FROZEN = ["while_cond", "nested_while", "cond_in_while", "nested_cond", "dynamic_rnn", "deep_body"]
V1_TYPES = {"Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond"}


def _graph_def(name: str):
    return tf.GraphDef.FromString((FIXTURES / f"{name}.pb").read_bytes())


@pytest.mark.parametrize("name", FROZEN)
def test_frozen_tf_graphs_compute_what_tensorflow_computed(name):
    case = EXPECTED[name]
    assert {"Switch", "Merge"} <= set(case["op_types"])  # made with v1 control flow
    with tf.Graph().as_default() as graph:
        fetches = tf.import_graph_def(_graph_def(name), return_elements=case["fetches"], name="")
        types = {op.type for op in graph.get_operations()}
        assert not types & V1_TYPES and types & {"If", "While"}
        with tf.Session() as sess:
            for feed, expected in zip(case["feeds"], case["results"]):
                feed = {k: np.asarray(v, np.float32) for k, v in feed.items()}
                for got, want in zip(sess.run(fetches, feed), expected):
                    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_loops_and_conds_become_one_functional_op_each():
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(_graph_def("while_cond"))
    ops = graph.get_operations()
    assert [op.type for op in ops].count("While") == 1
    assert [op.type for op in ops].count("If") == 1
    # the converted nodes keep their names: TF's fetch names still resolve
    out = graph.get_tensor_by_name("import/out:0")
    assert out.shape.as_list() == [4]
    assert graph.get_tensor_by_name("import/while/Exit_1:0").op.inputs[0].op.type == "While"
    assert graph.get_tensor_by_name("import/cond/Merge:0").op.inputs[0].op.type == "If"


def test_nested_loops_nest_while_ops():
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(_graph_def("nested_while"), name="")
    (loop,) = [op for op in graph.get_operations() if op.type == "While"]
    body = loop.get_attr("body")  # the inner loop is one While node of the outer body
    assert [node.op for node in body.graph.nodes].count("While") == 1


def test_dynamic_rnn_tensor_arrays_become_dense_lists():
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(_graph_def("dynamic_rnn"), name="")
    types = {op.type for op in graph.get_operations()}
    assert "TensorArrayV3" in EXPECTED["dynamic_rnn"]["op_types"]
    assert not {t for t in types if t.startswith("TensorArray")}
    assert {"DenseListScatter", "DenseListGather", "While"} <= types


def test_input_map_reaches_into_loop_bodies():
    case = EXPECTED["nested_while"]
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [], name="mine")
        (out,) = tf.import_graph_def(
            _graph_def("nested_while"), input_map={"x:0": x * 1.0}, return_elements=["out:0"]
        )
        with tf.Session() as sess:
            got = sess.run(out, {x: case["feeds"][1]["x:0"]})
    np.testing.assert_allclose(got, case["results"][1][0])


def test_op_types_we_lack_are_listed_all_at_once_in_a_v1_graph():
    graph_def = _graph_def("while_cond")
    graph_def.node[3].op = "Bogus"
    graph_def.node[5].op = "TensorListLength"  # TensorFlow's, without a kernel here
    with tf.Graph().as_default():
        with pytest.raises(tf.errors.NotFoundError) as info:
            tf.import_graph_def(graph_def)
    message = str(info.value)
    assert "'Bogus'" in message and "'TensorListLength'" in message
    assert "Switch" not in message and "Merge" not in message


def test_a_training_meta_graph_with_a_v1_loop_gradient_resumes_with_tf_losses():
    # TF's gradient of a v1 loop: a backward loop popping stacks the forward loop pushed
    case = EXPECTED["train_while"]
    assert {"StackV2", "StackPushV2", "StackPopV2", "TanhGrad"} <= set(case["op_types"])
    path = FIXTURES / "train_while"
    with tf.Graph().as_default() as graph:
        saver = tf.train.import_meta_graph(str(path / "model.ckpt.meta"))
        types = [op.type for op in graph.get_operations()]
        assert types.count("While") == 2 and not {t for t in types if t.startswith("Stack")}
        train = graph.get_collection("train_op")[0]  # the optimizer's, once more by hand
        (loss,) = graph.get_collection("loss")
        with tf.Session() as sess:
            saver.restore(sess, str(path / case["saved"]))
            losses = [sess.run([loss, train])[0] for _ in range(4)]
    np.testing.assert_allclose(losses, case["next_losses"], rtol=1e-5)


def test_a_training_meta_graph_with_v1_cond_gradients_resumes_with_tf_losses():
    # TF builds a cond's gradient in the cond's own context (sharing its Switches), so
    # forward and gradient Merges become separate Ifs, in dependency order
    case = EXPECTED["train_cond"]
    path = FIXTURES / "train_cond"
    with tf.Graph().as_default() as graph:
        saver = tf.train.import_meta_graph(str(path / "model.ckpt.meta"))
        types = [op.type for op in graph.get_operations()]
        # cond (forward, then its gradient after the loops) and cond_1 with its gradient
        assert types.count("If") == 3 and types.count("While") == 2
        train = graph.get_collection("train_op")[0]
        (loss,) = graph.get_collection("loss")
        with tf.Session() as sess:
            saver.restore(sess, str(path / case["saved"]))
            losses = [sess.run([loss, train])[0] for _ in range(4)]
    np.testing.assert_allclose(losses, case["next_losses"], rtol=1e-5)


def test_the_gradient_of_a_cond_inside_a_v1_loop_resumes_with_tf_losses():
    # TF's gradient of a cond in a loop body pushes its branch's values only when that
    # branch runs (StackPushV2 behind a Switch) and the predicate every iteration; the
    # backward loop pops the predicate and switches on it to pop inside the branch
    case = EXPECTED["train_cond_in_loop"]
    assert {"StackPushV2", "StackPopV2", "ControlTrigger"} <= set(case["op_types"])
    path = FIXTURES / "train_cond_in_loop"
    with tf.Graph().as_default() as graph:
        saver = tf.train.import_meta_graph(str(path / "model.ckpt.meta"))
        types = [op.type for op in graph.get_operations()]
        assert types.count("While") == 2 and not {t for t in types if t.startswith("Stack")}
        train = graph.get_collection("train_op")[0]
        (loss,) = graph.get_collection("loss")
        with tf.Session() as sess:
            saver.restore(sess, str(path / case["saved"]))
            losses = [sess.run([loss, train])[0] for _ in range(4)]
    np.testing.assert_allclose(losses, case["next_losses"], rtol=1e-5)


def test_values_pushed_in_a_cond_of_a_loop_without_recorded_shapes():
    # the other branch pushes zeros of the value's shape: recorded by the GraphDef, or
    # inferred by building the value once more
    case = EXPECTED["train_cond_in_loop"]
    path = FIXTURES / "train_cond_in_loop"
    meta = tf.MetaGraphDef.FromString((path / "model.ckpt.meta").read_bytes())
    for node in meta.graph_def.node:
        node.attr.pop("_output_shapes", None)
    with tf.Graph().as_default() as graph:
        saver = tf.train.import_meta_graph(meta)
        train = graph.get_collection("train_op")[0]
        (loss,) = graph.get_collection("loss")
        with tf.Session() as sess:
            saver.restore(sess, str(path / case["saved"]))
            losses = [sess.run([loss, train])[0] for _ in range(4)]
    np.testing.assert_allclose(losses, case["next_losses"], rtol=1e-5)


def test_a_v1_loop_gradient_whose_trip_count_only_a_run_knows_resumes_with_tf_losses():
    # the forward loop runs until its value is large: its stacks are sized to a power of
    # two >= the trip count the host reads from the loop run once without its pushes
    case = EXPECTED["train_uncounted"]
    assert {"StackPushV2", "StackPopV2", "TanhGrad"} <= set(case["op_types"])
    path = FIXTURES / "train_uncounted"
    with tf.Graph().as_default() as graph:
        saver = tf.train.import_meta_graph(str(path / "model.ckpt.meta"))
        types = [op.type for op in graph.get_operations()]
        # forward, its trip count's copy without pushes, backward
        assert types.count("While") == 3 and {"WhileTripCount", "WhileBucket"} <= set(types)
        train = graph.get_collection("train_op")[0]
        (loss,) = graph.get_collection("loss")
        with tf.Session() as sess:
            saver.restore(sess, str(path / case["saved"]))
            losses = [sess.run([loss, train])[0] for _ in range(4)]
    np.testing.assert_allclose(losses, case["next_losses"], rtol=1e-5)


# TF1's gradients through TensorArrays: TensorArrayGradV3 of an array scattered or split
# before a loop (written in the backward loop, its flow accumulated, gathered or
# concatenated after it) and of one written in the loop (scattered or split after the
# backward loop's start, read in it), with what else each graph holds
TENSOR_ARRAY_GRADIENTS = {
    # dynamic_rnn over an LSTM, run to the longest fed sequence (stacks sized by the
    # inputs' length, TF's maximum_iterations)
    "train_lstm": {"TensorArrayScatterV3", "TensorArrayGatherV3", "Select", "Max"},
    # dynamic_rnn over a GRU, no sequence lengths
    "train_gru": {"TensorArrayScatterV3", "TensorArrayGatherV3", "SigmoidGrad"},
    # bidirectional_dynamic_rnn over GRUs with fed lengths, outputs concatenated
    "train_bidirectional": {"ReverseSequence", "ConcatV2", "ApplyMomentum"},
    # split before a loop, concatenated after it and read in a cond (whose gradient
    # writes the gradient array in a branch and takes the Shape of a flow)
    "train_tensor_array": {"TensorArraySplitV3", "TensorArrayConcatV3", "Shape", "Switch"},
}


@pytest.mark.parametrize("name", sorted(TENSOR_ARRAY_GRADIENTS))
def test_training_meta_graphs_with_tensor_array_gradients_resume_with_tf_losses(name):
    case = EXPECTED[name]
    assert TENSOR_ARRAY_GRADIENTS[name] | {"TensorArrayGradV3", "StackPushV2"} <= set(
        case["op_types"]
    )
    path = FIXTURES / name
    with tf.Graph().as_default() as graph:
        saver = tf.train.import_meta_graph(str(path / "model.ckpt.meta"))
        types = {op.type for op in graph.get_operations()}
        assert not {t for t in types if t.startswith(("TensorArray", "Stack"))}
        assert "WhileTripCount" not in types  # each loop's steps are bounded when compiled
        train = graph.get_collection("train_op")[0]
        (loss,) = graph.get_collection("loss")
        with tf.Session() as sess:
            saver.restore(sess, str(path / case["saved"]))
            losses = [sess.run([loss, train], case.get("feed"))[0] for _ in range(4)]
    np.testing.assert_allclose(losses, case["next_losses"], rtol=1e-5)


def test_a_tensor_array_gradient_of_no_tensor_array_is_named():
    graph_def = _graph_def("dynamic_rnn")
    node = graph_def.node.add(name="rnn/grad", op="TensorArrayGradV3", input=["x", "x"])
    node.attr["source"].s = b"gradients"
    with tf.Graph().as_default():
        with pytest.raises(tf.errors.UnimplementedError) as info:
            tf.import_graph_def(graph_def)
    message = str(info.value)
    assert "TensorArrayGradV3 node 'rnn/grad'" in message
    assert "its handle does not come from a TensorArrayV3" in message


def test_a_v1_loop_imported_then_differentiated_here():
    graph_def = _graph_def("while_cond")
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [4])
        (out,) = tf.import_graph_def(graph_def, input_map={"x:0": x}, return_elements=["out:0"])
        (grad,) = tf.gradients(tf.reduce_sum(out), [x])
        with tf.Session() as sess:
            feed = np.asarray(EXPECTED["while_cond"]["feeds"][0]["x:0"], np.float32)
            got = sess.run(grad, {x: feed})
            eps = 1e-2
            numeric = [
                (sess.run(tf.reduce_sum(out), {x: feed + eps * e})
                 - sess.run(tf.reduce_sum(out), {x: feed - eps * e})) / (2 * eps)
                for e in np.eye(4, dtype=np.float32)
            ]  # fmt: skip
    np.testing.assert_allclose(got, numeric, rtol=1e-2)


def test_queue_runner_meta_graph_made_by_tensorflow():
    path = FIXTURES / "queue"
    with tf.Graph().as_default() as graph:
        saver = tf.train.import_meta_graph(str(path / "model.ckpt.meta"))
        assert graph.get_collection("numbers") == EXPECTED["queue"]["numbers"]
        (runner,) = graph.get_collection(tf.GraphKeys.QUEUE_RUNNERS)
        (batch,) = graph.get_collection("batch")
        with tf.Session() as sess:
            saver.restore(sess, str(path / "model.ckpt"))
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord=coord)
            first, second = sess.run(batch), sess.run(batch)
            coord.request_stop()
            sess.run(runner.cancel_op)
            coord.join(threads, stop_grace_period_secs=10)
    np.testing.assert_array_equal(first, [1, 2, 3])
    np.testing.assert_array_equal(second, [4, 5, 6])


@pytest.mark.parametrize("taken", [True, False])
def test_enqueues_fed_a_v1_branch_value_run_only_with_their_branch(taken):
    # TF's graph: `enqueue`/`enqueue_many` outside the cond take a value of its true branch
    # (no Merge reaches them); TF ran them and recorded what the queue then held.
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.import_graph_def(_graph_def("dead_enqueue"), name="")
        sess.run(["enqueue", "enqueue_many"], {"p:0": taken})
        n = sess.run("size:0")
        got = [sess.run("dequeue:0").tolist() for _ in range(n)]
    assert sorted(got) == sorted(EXPECTED["dead_enqueue"][str(taken)])


@pytest.mark.parametrize("p, r", [(True, True), (True, False), (False, True), (False, False)])
def test_effects_in_nested_v1_conds_run_only_with_their_branches(p, r):
    # TF's graph: an enqueue fed a value of the inner cond's true branch (outside both
    # conds) and an assign_add made in the inner false branch; fetched by name, TF ran each
    # only when its outer and inner branches both ran.
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.import_graph_def(_graph_def("dead_enqueue_nested"), name="")
        sess.run("init")
        sess.run(["enqueue", "outer/inner/bump"], {"p:0": p, "r:0": r})
        n = sess.run("size:0")
        got = {"queue": [sess.run("dequeue:0").tolist() for _ in range(n)],
               "v": float(sess.run("v:0"))}  # fmt: skip
    assert got == EXPECTED["dead_enqueue_nested"][f"{p},{r}"]


def test_a_host_op_in_a_nested_cond_runs_its_enclosing_cond_from_the_host():
    # The inner cond holds an enqueue (a host op): the outer one runs from the host too
    # (it was compiled, and the inner host cond failed inside it).
    with tf.Graph().as_default(), tf.Session() as sess:
        p, r = tf.placeholder(tf.bool, []), tf.placeholder(tf.bool, [])
        q = tf.FIFOQueue(10, tf.float32, shapes=[[2]])

        def inner_true():
            with tf.control_dependencies([q.enqueue(tf.constant([1.0, 2.0]) * 3.0)]):
                return tf.constant(1.0)

        out = tf.cond(p, lambda: tf.cond(r, inner_true, lambda: tf.constant(2.0)),
                      lambda: tf.constant(0.0))  # fmt: skip
        got = [sess.run([out, q.size()], {p: a, r: b}) for a, b in ((1, 1), (1, 0), (0, 1))]
        assert [float(v) for v, _ in got] == [1.0, 2.0, 0.0]
        assert [int(n) for _, n in got] == [1, 1, 1]
        np.testing.assert_array_equal(sess.run(q.dequeue()), [3.0, 6.0])
