"""A dataset of SparseTensors in a GraphDef: its variant components carry DT_VARIANT (not
DT_STRING) in IteratorGetNext's output_types and DeserializeSparse's Tserialized, as TF
2.21 writes them (tests/fixtures/tf_sparse_dataset, made by TF), on import and on export."""

import json
import pathlib

import numpy as np
from tensorboard.compat.proto import types_pb2

import flowgraph as tf

FIXTURE = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf_sparse_dataset"
EXPECTED = json.loads((FIXTURE / "expected.json").read_text())
TYPE = {"variant": types_pb2.DT_VARIANT, "string": types_pb2.DT_STRING}


def _handle_attrs(graph_def):
    nodes = {n.op: n for n in graph_def.node}
    return (
        [nodes["DeserializeSparse"].attr["Tserialized"].type],
        list(nodes["IteratorGetNext"].attr["output_types"].list.type),
    )


def _tfs_types():
    return ([TYPE[t] for t in EXPECTED["Tserialized"]],
            [TYPE[t] for t in EXPECTED["output_types"]])  # fmt: skip


def test_a_tf_made_graph_def_imports_runs_and_exports_its_variant_types_again():
    graph_def = tf.GraphDef()
    graph_def.ParseFromString((FIXTURE / "graph.pb").read_bytes())
    assert _handle_attrs(graph_def) == _tfs_types() == ([types_pb2.DT_VARIANT],) * 2
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(graph_def, name="")
        assert graph.get_tensor_by_name("IteratorGetNext:0").dtype == tf.variant
        with tf.Session() as sess:
            sess.run(EXPECTED["init"])
            for step in EXPECTED["steps"]:
                got = sess.run(EXPECTED["fetches"])
                for value, expected in zip(got, step):
                    np.testing.assert_array_equal(value, expected)
        assert _handle_attrs(graph.as_graph_def()) == _tfs_types()


def test_flowgraphs_own_sparse_dataset_exports_tfs_types():
    with tf.Graph().as_default() as graph:
        st = tf.SparseTensor([[0, 0], [1, 2], [2, 1]], [1.5, -2.0, 4.0], [3, 4])
        batched = tf.data.Dataset.from_tensor_slices(st).batch(2)
        iterator = tf.data.make_initializable_iterator(batched)
        element = iterator.get_next()
        assert _handle_attrs(graph.as_graph_def()) == _tfs_types()
        with tf.Session() as sess:
            sess.run(iterator.initializer)
            for step in EXPECTED["steps"]:
                got = sess.run([element.indices, element.values, element.dense_shape])
                for value, expected in zip(got, step):
                    np.testing.assert_array_equal(value, expected)


def test_a_string_serialized_sparse_tensor_keeps_tserialized_string():
    from flowgraph.framework.ops import apply_op

    with tf.Graph().as_default() as graph:
        st = tf.SparseTensor([[0, 1], [1, 0]], [1.0, 2.0], [2, 2])
        out = apply_op("DeserializeSparse", [tf.io.serialize_sparse(st)], dtype=np.float32)
        (node,) = [n for n in graph.as_graph_def().node if n.op == "DeserializeSparse"]
        assert node.attr["Tserialized"].type == types_pb2.DT_STRING
        with tf.Session() as sess:
            indices, values, shape = sess.run(list(out))
        np.testing.assert_array_equal(indices, [[0, 1], [1, 0]])
        np.testing.assert_array_equal(values, [1.0, 2.0])
        np.testing.assert_array_equal(shape, [2, 2])
