"""`Graph.create_op` with TF1's signature, and imports checked against the OpDefs."""

from __future__ import annotations

import numpy as np
import pytest
from google.protobuf import text_format

import flowgraph as tf


@pytest.fixture
def graph():
    with tf.Graph().as_default() as g:
        yield g


def _mat():
    return tf.constant(np.ones((2, 2), np.float32))


def test_create_op_takes_attr_value_protos(graph):
    a = _mat()
    op = graph.create_op("MatMul", [a, a], name="mm", attrs={"transpose_a": tf.AttrValue(b=True)})
    assert op.name == "mm" and op.get_attr("transpose_a") is True
    assert op.get_attr("transpose_b") is False and op.get_attr("T") == tf.float32
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(op.outputs[0]), np.full((2, 2), 2.0))


def test_create_op_positional_arguments_are_tf1s(graph):
    a = _mat()
    # op_type, inputs, dtypes, input_types, name, attrs, op_def, compute_shapes, compute_device
    op = graph.create_op("Identity", [a], [tf.float32], [tf.float32], "ident", None, None, True)
    assert op.name == "ident" and op.outputs[0].dtype == tf.float32
    assert graph.create_op("Identity", [a], name="scope/").name == "scope"


def test_create_op_errors_are_tfs(graph):
    a = _mat()
    with pytest.raises(ValueError, match="type 'int' when 'bool' expected for attr 'transpose_a'"):
        graph.create_op("MatMul", [a, a], attrs={"transpose_a": tf.AttrValue(i=1)})
    with pytest.raises(ValueError, match="NodeDef missing attr 'dtype' from Op<name=Placeholder"):
        graph.create_op("Placeholder", [])
    with pytest.raises(ValueError, match="do not match 1 inputs specified"):
        graph.create_op("MatMul", [a])
    with pytest.raises(tf.errors.NotFoundError, match="Op type not registered 'Bogus'"):
        graph.create_op("Bogus", [a])
    with pytest.raises(TypeError, match="are not compatible with expected types"):
        graph.create_op("Identity", [a], input_types=[tf.int32])


def test_create_op_compute_device(graph):
    a = _mat()
    with graph.device("/cpu:0"):
        placed = graph.create_op("Identity", [a])
        unplaced = graph.create_op("Identity", [a], compute_device=False)
    assert placed.device.endswith("CPU:0") and unplaced.device == ""


def _import(text: str, **kwargs):
    gd = text_format.Parse(text, tf.GraphDef())
    with tf.Graph().as_default() as g:
        tf.import_graph_def(gd, name="", **kwargs)
    return g


_CONST = """
  node { name: "c" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 2 }
                dim { size: 2 } } float_val: 1.0 } } } }
"""


_T = 'attr { key: "T" value { type: DT_FLOAT } }'


def test_import_fills_omitted_defaults():
    g = _import(_CONST + 'node { name: "m" op: "MatMul" input: "c" input: "c" ' + _T + " }")
    m = g.get_operation_by_name("m")
    assert set(m.node_def.attr) == {"T", "transpose_a", "transpose_b", "grad_a", "grad_b"}
    assert m.get_attr("transpose_a") is False


def test_import_refuses_a_missing_attr_without_default_as_tf_does():
    # TF 2.21's tf.import_graph_def, word for word (its OpDef summary included).
    with pytest.raises(ValueError) as e:
        _import(_CONST + 'node { name: "m" op: "MatMul" input: "c" input: "c" }')
    assert str(e.value) == (
        "NodeDef missing attr 'T' from Op<name=MatMul; signature=a:T, b:T -> product:T; "
        "attr=transpose_a:bool,default=false; attr=transpose_b:bool,default=false; "
        "attr=T:type,allowed=[DT_BFLOAT16, DT_HALF, DT_FLOAT, DT_DOUBLE, DT_INT32, DT_INT64, "
        "DT_UINT8, DT_UINT16, DT_UINT32, DT_UINT64, DT_COMPLEX64, DT_COMPLEX128]; "
        "attr=grad_a:bool,default=false; attr=grad_b:bool,default=false>; NodeDef: {{node m}}"
    )
    with pytest.raises(ValueError) as e:
        _import('node { name: "p" op: "Placeholder" }')
    assert str(e.value) == (
        "NodeDef missing attr 'dtype' from Op<name=Placeholder; signature= -> output:dtype; "
        "attr=dtype:type; attr=shape:shape,default=<unknown>>; NodeDef: {{node p}}"
    )
    with pytest.raises(ValueError) as e:
        _import('node { name: "k" op: "Const" }')
    assert str(e.value).startswith(
        "NodeDef missing attrs 'dtype', 'value' from Op<name=Const; signature= -> "
        "output:dtype; attr=value:tensor; attr=dtype:type>"
    )


def test_import_tolerates_undeclared_attrs_as_tf_does():
    g = _import(
        _CONST + 'node { name: "m" op: "MatMul" input: "c" input: "c" '
        'attr { key: "from_the_future" value { i: 3 } } ' + _T + " }"
    )
    assert g.get_operation_by_name("m").get_attr("from_the_future") == 3


def test_import_checks_attr_types():
    with pytest.raises(ValueError, match="Node 'm': AttrValue had value with type 'int' when 'b"):
        _import(
            _CONST + 'node { name: "m" op: "MatMul" input: "c" input: "c" '
            'attr { key: "transpose_a" value { i: 1 } } }'
        )


def test_import_lists_every_missing_op_type_at_once():
    text = _CONST + (
        'node { name: "a" op: "Bogus" input: "c" } node { name: "b" op: "Nope" input: "c" } '
        'node { name: "d" op: "TensorListLength" input: "c" }'
    )
    with pytest.raises(tf.errors.NotFoundError) as e:
        _import(text)
    message = str(e.value)
    assert "Op types not registered 'Bogus', 'Nope'" in message
    # A TensorFlow op flowgraph lacks is told apart from a name that is no op at all.
    assert "TensorFlow op type 'TensorListLength' has no kernel in flowgraph" in message


def test_exported_graph_defs_carry_every_attr_the_strict_import_needs():
    # TF's importer refuses a NodeDef missing an attr without a default: what flowgraph
    # exports (as_graph_def, export_meta_graph) carries them all and imports again.
    from kernels import op_def as op_def_registry

    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.Variable(tf.ones([3, 2]), name="w")
        y = tf.cond(tf.reduce_sum(x) > 0, lambda: tf.matmul(x, w), lambda: -tf.matmul(x, w))
        _, s = tf.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * 2.0), [0, y])
        loss = tf.reduce_mean(tf.nn.relu(s))
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        q = tf.FIFOQueue(4, tf.float32, shapes=[[3]])
        q.enqueue_many(x)
        tf.train.Saver()
        graph_def = graph.as_graph_def()
        meta = tf.train.export_meta_graph()
    nodes = list(graph_def.node) + [n for f in graph_def.library.function for n in f.node_def]
    assert len(nodes) > 40
    for node in nodes:
        op_def = op_def_registry.find(node.op)
        required = {a.name for a in op_def.attr if not a.HasField("default_value")}
        assert required <= set(node.attr), (node.name, node.op, required - set(node.attr))
    for exported in (graph_def, meta.graph_def):
        with tf.Graph().as_default():
            tf.import_graph_def(exported, name="")
    with tf.Graph().as_default():
        tf.train.import_meta_graph(meta)
    assert train is not None
