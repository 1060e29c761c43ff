"""`tf.import_graph_def` and the `tf.graph_util` GraphDef rewrites."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
from google.protobuf import text_format

import flowgraph as tf

FEED = np.array([[1, 1, 1], [0, 1, 0]], np.float32)


def _model():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.Variable([[1.0], [2.0], [3.0]], name="w")
    loss = tf.reduce_sum(tf.square(tf.matmul(x, w)), name="loss")
    train = tf.train.GradientDescentOptimizer(0.01).minimize(loss, name="train")
    return x, loss, train, tf.global_variables_initializer()


def _losses(sess, x, loss, train, init, steps=3):
    sess.run(init)
    return [sess.run([loss, train], {x: FEED})[0] for _ in range(steps)]


def test_imported_training_graph_runs_like_the_original():
    g = tf.Graph()
    with g.as_default():
        model = _model()
    with tf.Session(graph=g) as sess:
        expected = _losses(sess, *model)
    gd = tf.GraphDef.FromString(g.as_graph_def().SerializeToString())
    with tf.Graph().as_default() as g2:
        names = ["x:0", "loss:0", "train", "init"]
        imported = tf.import_graph_def(gd, return_elements=names)
        assert [e.name for e in imported] == [
            "import/x:0",
            "import/loss:0",
            "import/train",
            "import/init",
        ]
        assert g2.get_tensor_by_name("import/w:0").dtype == tf.float32._as_ref
    with tf.Session(graph=g2) as sess:
        got = _losses(sess, *imported)
    np.testing.assert_array_equal(got, expected)
    assert expected[0] == 40.0 and expected[1] < expected[0]


def test_input_map_replaces_tensors_and_prefixes_nest():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [2], name="x")
        tf.multiply(x, 3.0, name="y")
    gd = g.as_graph_def()
    with tf.Graph().as_default():
        value = tf.constant([1.0, 2.0])
        with tf.name_scope("outer"):
            (y,) = tf.import_graph_def(gd, input_map={"x": value}, return_elements=["y:0"])
            (y2,) = tf.import_graph_def(
                gd, input_map={"x:0": [5.0, 6.0]}, return_elements=["y:0"], name="m"
            )
        (y3,) = tf.import_graph_def(gd, input_map={"x:0": value}, return_elements=["y:0"])
        assert (y.name, y2.name, y3.name) == ("outer/import/y:0", "outer/m/y:0", "import/y:0")
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run([y, y2]), [[3.0, 6.0], [15.0, 18.0]])


def test_empty_name_keeps_names_and_uniquifies_clashes():
    with tf.Graph().as_default() as g:
        tf.constant(1.0, name="a")
    gd = g.as_graph_def()
    with tf.Graph().as_default():
        tf.constant(2.0, name="a")
        (a,) = tf.import_graph_def(gd, return_elements=["a:0"], name="")
        assert a.name == "a_1:0"
        assert tf.constant(0.0, name="a").name == "a_2:0"


def test_devices_control_inputs_and_colocation_survive():
    with tf.Graph().as_default() as g:
        a = tf.constant(1.0, name="a")
        with g.device("/cpu:0"), g.control_dependencies([tf.no_op(name="first")]):
            tf.identity(a, name="b")
        tf.Variable(1.0, name="v")
    gd = g.as_graph_def()
    with tf.Graph().as_default() as g2:
        with g2.device("/job:worker"):
            tf.import_graph_def(gd, name="i")
        b = g2.get_operation_by_name("i/b")
        assert b.device == "/job:worker/device:CPU:0"
        assert [c.name for c in b.control_inputs] == ["i/first"]
        assert g2.get_operation_by_name("i/v/read").get_attr("_class") == [b"loc:@i/v"]


def test_producer_op_list_drops_default_attrs_the_kernel_does_not_read():
    with tf.Graph().as_default() as g:
        tf.constant(1.0, name="a")
    gd = g.as_graph_def()
    gd.node[0].attr["new_attr"].i = 7
    ops = tf.MetaGraphDef().meta_info_def.stripped_op_list
    op_def = ops.op.add(name="Const")
    op_def.attr.add(name="new_attr", type="int").default_value.i = 7
    with tf.Graph().as_default() as g2:
        tf.import_graph_def(gd, producer_op_list=ops, name="")
        assert "new_attr" not in g2.get_operation_by_name("a").node_def.attr


def test_a_tf_written_graph_def_imports_and_runs():
    text = """
      node { name: "c" op: "Const"
             attr { key: "dtype" value { type: DT_FLOAT } }
             attr { key: "value" value { tensor { dtype: DT_FLOAT
                    tensor_shape { dim { size: 2 } dim { size: 2 } } float_val: 1.5 } } } }
      node { name: "s" op: "Sum" input: "c" input: "axis"
             attr { key: "T" value { type: DT_FLOAT } }
             attr { key: "Tidx" value { type: DT_INT32 } }
             attr { key: "keep_dims" value { b: false } } }
      node { name: "axis" op: "Const"
             attr { key: "dtype" value { type: DT_INT32 } }
             attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { }
                    int_val: 0 } } } }
      versions { producer: 27 }
    """
    gd = text_format.Parse(text, tf.GraphDef())
    with tf.Graph().as_default():
        (s,) = tf.import_graph_def(gd, return_elements=["s:0"])
        assert s.shape.as_list() == [2]
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(s), [3.0, 3.0])


@pytest.mark.parametrize(
    "edit, kwargs, error, match",
    [
        (
            lambda gd: setattr(gd.node[1], "op", "Bogus"),
            {},
            tf.errors.NotFoundError,  # TF's class for this (checked against TF 2.21)
            "Op type not registered 'Bogus'",
        ),
        (
            lambda gd: gd.node[1].input.append("nope"),
            {},
            ValueError,
            "Node 'y': Unknown input node 'nope'",
        ),
        (
            lambda gd: gd.node[1].input.__setitem__(0, "x:4"),
            {},
            ValueError,
            "Connecting to invalid output 4 of source node x",
        ),
        (
            None,
            {"input_map": {"z:0": 1.0}},
            ValueError,
            r"Attempted to map inputs that were not found in graph_def: \[z:0\]",
        ),
        (
            lambda gd: gd.node[1].attr["T"].__setattr__("type", tf.int32.as_datatype_enum),
            {},
            ValueError,  # TF's importer: a ValueError, not the TypeError of building an op
            "Node 'y': Input 'input' of 'Identity' Op has type float32 that does not match",
        ),
        (None, {"return_elements": ["y:3"]}, ValueError, "Requested return tensor 'y:3' not found"),
        (None, {"return_elements": ["q"]}, ValueError, "Requested return node 'q' not found"),
        (None, {"return_elements": "y"}, TypeError, "return_elements must be a list"),
        (None, {"input_map": {1: 2}}, TypeError, "input_map must be a dictionary"),
        (None, {"input_map": {"x:0": 1.0}, "name": ""}, ValueError, "requires a non-empty"),
    ],
)
def test_import_errors_are_tfs(edit, kwargs, error, match):
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [], name="x")
        tf.identity(x, name="y")
    gd = g.as_graph_def()
    if edit is not None:
        edit(gd)
    with tf.Graph().as_default():
        with pytest.raises(error, match=match):
            tf.import_graph_def(gd, **kwargs)


def test_import_rejects_a_non_graph_def():
    with pytest.raises(TypeError, match="graph_def must be a GraphDef proto"):
        tf.import_graph_def(b"bytes")


# -- graph_util ---------------------------------------------------------------------------------


def test_convert_variables_to_constants_freezes_trained_values():
    g = tf.Graph()
    with g.as_default():
        x, loss, train, init = _model()
    with tf.Session(graph=g) as sess:
        _losses(sess, x, loss, train, init, steps=2)
        expected = sess.run(loss, {x: FEED})
        frozen = tf.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), ["loss"])
    assert {n.op for n in frozen.node}.isdisjoint({"VariableV2", "Assign", "ApplyGradientDescent"})
    assert frozen.node and all(n.name != "train" for n in frozen.node)
    with tf.Graph().as_default():
        (y,) = tf.import_graph_def(frozen, return_elements=["loss:0"])
        with tf.Session() as sess:
            assert sess.run(y, {"import/x:0": FEED}) == expected


def test_graph_util_freezes_a_training_meta_graph_tensorflow_wrote():
    # TF 2.21's compat.v1 MetaGraph (resource variables, Adam) and checkpoint after 3 steps;
    # the loss at that state is the first of TF's recorded next losses.
    resume = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf_checkpoints" / "resume"
    data = json.loads((resume / "expected.json").read_text())
    with tf.Graph().as_default() as graph:
        saver = tf.train.import_meta_graph(str(resume / (data["saved"] + ".meta")))
        with tf.Session() as sess:
            saver.restore(sess, str(resume / data["saved"]))
            frozen = tf.graph_util.convert_variables_to_constants(
                sess, graph.as_graph_def(), ["Mean"]
            )
    frozen = tf.graph_util.remove_training_nodes(tf.graph_util.extract_sub_graph(frozen, ["Mean"]))
    assert not {n.op for n in frozen.node} & {"VariableV2", "VarHandleOp", "ReadVariableOp"}
    with tf.Graph().as_default():
        (loss,) = tf.import_graph_def(frozen, return_elements=["Mean:0"])
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(loss), data["next_losses"][0], rtol=1e-5)


def test_convert_variables_lists_pick_the_variables():
    with tf.Graph().as_default() as g:
        a = tf.Variable(1.0, name="a")
        b = tf.Variable(2.0, name="b")
        tf.add(a, b, name="out")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            only_a = tf.graph_util.convert_variables_to_constants(
                sess, g.as_graph_def(), ["out"], variable_names_whitelist=["a"]
            )
            not_a = tf.graph_util.convert_variables_to_constants(
                sess, g.as_graph_def(), ["out"], variable_names_blacklist=["a"]
            )
    ops = lambda gd: {n.name: n.op for n in gd.node}  # noqa: E731
    assert (ops(only_a)["a"], ops(only_a)["b"]) == ("Const", "VariableV2")
    assert (ops(not_a)["a"], ops(not_a)["b"]) == ("VariableV2", "Const")


def test_extract_sub_graph_keeps_what_the_destinations_need():
    with tf.Graph().as_default() as g:
        a = tf.constant(1.0, name="a")
        c = tf.constant(2.0, name="c")
        with g.control_dependencies([c]):
            tf.identity(a, name="b")
        tf.constant(3.0, name="unused")
    sub = tf.graph_util.extract_sub_graph(g.as_graph_def(), ["b"])
    assert [n.name for n in sub.node] == ["a", "c", "b"]
    with pytest.raises(AssertionError, match="nope is not in graph"):
        tf.graph_util.extract_sub_graph(g.as_graph_def(), ["nope"])
    with pytest.raises(TypeError, match="GraphDef"):
        tf.graph_util.extract_sub_graph(g, ["b"])


def test_remove_training_nodes_splices_identities():
    with tf.Graph().as_default() as g:
        a = tf.constant([1.0, 2.0], name="a")
        i = tf.identity(tf.identity(a, name="i1"), name="i2")
        checked = tf.check_numerics(i, "bad", name="check")
        tf.multiply(checked, 2.0, name="out")
        tf.identity(a, name="kept")
    out = tf.graph_util.remove_training_nodes(g.as_graph_def(), protected_nodes=["kept"])
    nodes = {n.name: list(n.input) for n in out.node}
    assert "i1" not in nodes and "i2" not in nodes and "check" not in nodes
    assert nodes["out"][0] == "a" and nodes["kept"] == ["a"]
    with tf.Graph().as_default():
        (y,) = tf.import_graph_def(out, return_elements=["out:0"])
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(y), [2.0, 4.0])


def test_must_run_on_cpu():
    with tf.Graph().as_default():
        ints = tf.constant([1], name="i")
        floats = tf.constant([1.0], name="f")
        cast = tf.cast(ints, tf.float32)
        v = tf.Variable(1.0)
    assert tf.graph_util.must_run_on_cpu(ints.op)
    assert not tf.graph_util.must_run_on_cpu(floats.op.node_def)
    assert tf.graph_util.must_run_on_cpu(cast.op)
    assert tf.graph_util.must_run_on_cpu(v.op, pin_variables_on_cpu=True)
    assert not tf.graph_util.must_run_on_cpu(v.op)
