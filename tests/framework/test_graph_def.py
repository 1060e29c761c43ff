"""GraphDef serialisation: every op of the op tables round-trips with its attrs intact."""

from __future__ import annotations

import numpy as np
import pytest
from tensorboard.compat.proto import function_pb2, graph_pb2, tensor_pb2, types_pb2

import flowgraph as tf
from flowgraph.framework import graph_def as graph_def_lib
from tests.ops import (
    test_array_ops_more,
    test_conv_ops,
    test_linalg_ops,
    test_math_ops_more,
    test_op_table,
    test_spectral_ops,
)

TABLES = [
    test_op_table.ROWS,
    test_array_ops_more.ROWS,
    test_array_ops_more.HOST_ROWS,
    test_math_ops_more.ROWS,
    test_linalg_ops.ROWS,
    test_conv_ops.ROWS,
    test_spectral_ops.ROWS,
]


def _build_tables() -> tf.Graph:
    """Every row of the op tables, fed and on constants, plus the gradients of the float
    ones (VJP nodes carry their forward op's attrs as an attr map)."""
    graph = tf.Graph()
    with graph.as_default():
        for rows in TABLES:
            for r in rows:
                fed = [test_op_table._placeholder(s, None) for s in r.inputs]
                out = r.build(*fed)
                r.build(*[tf.constant(v) for v in test_op_table._values(r, 4)])
                floats = [x for x in fed if x.dtype.is_floating]
                if isinstance(out, tf.Tensor) and out.dtype.is_floating and floats:
                    tf.gradients(tf.reduce_sum(out), floats)
    return graph


def _normal(value):
    """An attr value in a form that compares by content (lists as tuples, dtypes as numpy)."""
    if isinstance(value, (list, tuple)):
        return tuple(_normal(v) for v in value)
    if isinstance(value, np.ndarray):
        return (
            "array",
            value.dtype,
            value.shape,
            value.tobytes() if value.dtype != object else tuple(value.flat),
        )
    if isinstance(value, type) and issubclass(value, np.generic):
        return np.dtype(value)
    return value


@pytest.fixture(scope="module")
def tables():
    graph = _build_tables()
    # With `_output_shapes`, shapes refined by `set_shape` (gradients do) survive too.
    data = graph.as_graph_def(add_shapes=True).SerializeToString()
    imported = tf.Graph()
    with imported.as_default():
        tf.import_graph_def(graph_pb2.GraphDef.FromString(data), name="")
    return graph, imported


def test_every_table_op_round_trips_with_its_attrs(tables):
    graph, imported = tables
    ops = graph.get_operations()
    assert len(ops) > 2000 and {"VJP", "Const", "Conv2D", "Unique"} <= {op.type for op in ops}
    for op in ops:
        new = imported.get_operation_by_name(op.name)
        assert new.type == op.type
        assert [t.name for t in new.inputs] == [t.name for t in op.inputs], op.name
        assert [c.name for c in new.control_inputs] == [c.name for c in op.control_inputs]
        assert new.device == op.device
        assert set(new._attrs) == set(op._attrs), op.name
        for key, value in op._attrs.items():
            got = new._attrs[key]
            assert _normal(got) == _normal(value), (op.name, key, got, value)
            assert type(_normal(got)) is type(_normal(value)), (op.name, key, got, value)
        for t, u in zip(op.outputs, new.outputs):
            assert (u.dtype, u.shape.as_list() if u.shape.ndims is not None else None) == (
                t.dtype,
                t.shape.as_list() if t.shape.ndims is not None else None,
            ), op.name


def test_reexport_of_an_imported_graph_is_byte_identical(tables):
    graph, imported = tables
    first = graph.as_graph_def(add_shapes=True).SerializeToString(deterministic=True)
    again = imported.as_graph_def(add_shapes=True).SerializeToString(deterministic=True)
    assert first == again


def test_node_def_has_tf_fields():
    graph = tf.Graph()
    with graph.as_default():
        a = tf.constant([[1.5, 2.0]], name="nd_a")
        with graph.control_dependencies([a]), graph.device("/cpu:0"):
            s = tf.matmul(a, a, transpose_b=True, name="nd_mm")
    nd = s.op.node_def
    assert (nd.name, nd.op, list(nd.input), nd.device) == (
        "nd_mm",
        "MatMul",
        ["nd_a", "nd_a"],
        "/device:CPU:0",
    )
    assert nd.attr["T"].type == types_pb2.DT_FLOAT
    assert nd.attr["transpose_b"].b is True and nd.attr["transpose_a"].b is False
    value = a.op.node_def.attr["value"].tensor
    assert value.dtype == types_pb2.DT_FLOAT
    assert [d.size for d in value.tensor_shape.dim] == [1, 2]
    np.testing.assert_array_equal(graph_def_lib.make_ndarray(value), [[1.5, 2.0]])
    # Field numbers are TF's: NodeDef name=1, op=2, input=3, device=4; AttrValue type=6.
    assert nd.SerializeToString().startswith(b"\n\x05nd_mm\x12\x06MatMul\x1a\x04nd_a")
    assert tf.AttrValue(type=types_pb2.DT_FLOAT).SerializeToString() == b"0\x01"


def test_graph_def_versions_from_version_and_shapes():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        version = g.version
        tf.reduce_sum(x, axis=1, name="s")
    full = g.as_graph_def()
    assert full.versions.producer > 0
    assert [n.name for n in g.as_graph_def(from_version=version).node] == [
        n.name for n in full.node[version:]
    ]
    shaped = g.as_graph_def(add_shapes=True)
    (shape,) = shaped.node[-1].attr["_output_shapes"].list.shape
    assert [d.size for d in shape.dim] == [-1]
    assert "_output_shapes" not in full.node[-1].attr


@pytest.mark.parametrize(
    "name, value",
    [
        ("alpha", 0.2),  # float32 would round it: kept exact
        ("min", -6.0),
        ("x", float("nan")),
        ("ksize", (1, 2, 2, 1)),
        ("boundaries", (0.1, 0.5)),
        ("shape", None),
        ("shape", ()),
        ("shape", (None, 3)),
        ("shapes", ((2,), None, ())),
        ("shapes", ()),
        ("squeeze_dims", ()),
        ("T", np.dtype(np.complex64)),
        ("Tlist", (np.dtype(np.float32), np.dtype(object))),
        ("forward_attrs", (("T", np.dtype(np.float32)), ("ksize", (1, 2)), ("padding", "SAME"))),
        ("_class", (b"loc:@v",)),
        ("message", "héllo"),
        ("big", 2**40),
        ("flag", True),
        ("other", None),
    ],
)
def test_attr_values_round_trip_exactly(name, value):
    proto = graph_def_lib.attr_value(value, name)
    back = graph_def_lib.attr_python(tf.AttrValue.FromString(proto.SerializeToString()), name)
    if isinstance(value, float) and np.isnan(value):
        assert np.isnan(back)
    else:
        assert back == value and type(back) is type(value), (back, value)


def test_attr_values_use_tf_fields():
    assert graph_def_lib.attr_value(-6.0, "min").f == -6.0
    assert graph_def_lib.attr_value(np.dtype(np.int64), "T").type == types_pb2.DT_INT64
    assert list(graph_def_lib.attr_value((1, 2), "strides").list.i) == [1, 2]
    assert graph_def_lib.attr_value(None, "shape").shape.unknown_rank
    assert graph_def_lib.attr_value("SAME", "padding").s == b"SAME"


@pytest.mark.parametrize(
    "array",
    [
        np.arange(6, dtype=np.float32).reshape(2, 3),
        np.array(3.5),
        np.array([1 + 2j, 3 - 4j], np.complex64),
        np.array(1 - 1j, np.complex128),
        np.array([[True, False]]),
        np.array([b"a", b"", b"\xff"], dtype=object),
        np.array([1, 2], np.uint8),
        np.array(7, np.int16),
        np.array([1.5, -2], np.float16),
        np.array(2.5, tf.bfloat16.as_numpy_dtype),
        np.zeros((0, 3), np.int64),
    ],
)
def test_tensor_protos_round_trip(array):
    proto = graph_def_lib.make_tensor_proto(array)
    back = graph_def_lib.make_ndarray(tensor_pb2.TensorProto.FromString(proto.SerializeToString()))
    assert back.dtype == array.dtype and back.shape == array.shape
    assert back.tobytes() == array.tobytes() if array.dtype != object else list(back) == list(array)


def test_tf_style_splat_tensor_protos_are_expanded():
    # TF writes a constant fill as one typed value; the rest repeat it.
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[0.5])
    proto.tensor_shape.dim.add(size=2)
    proto.tensor_shape.dim.add(size=2)
    np.testing.assert_array_equal(graph_def_lib.make_ndarray(proto), np.full((2, 2), 0.5))
    empty = tensor_pb2.TensorProto(dtype=types_pb2.DT_INT32)
    empty.tensor_shape.dim.add(size=3)
    np.testing.assert_array_equal(graph_def_lib.make_ndarray(empty), [0, 0, 0])


def test_python_objects_in_attrs_are_a_clear_error():
    g = tf.Graph()
    with g.as_default():
        op = tf.no_op(name="holder")
    op._attrs = {**op._attrs, "fn": print}
    with pytest.raises(TypeError, match=r"Operation 'holder'.*attr 'fn' holds builtin_function"):
        g.as_graph_def()


def test_function_attrs_go_to_the_library_through_the_codec(monkeypatch):
    class Body:
        def __init__(self, name):
            self.name = name

    def to_fdef(body, library):
        return function_pb2.FunctionDef(signature={"name": body.name})

    codec = graph_def_lib.FunctionCodec(Body, to_fdef, lambda name, library: Body(name))
    monkeypatch.setattr(graph_def_lib, "_function_codec", codec)
    g = tf.Graph()
    with g.as_default():
        op = tf.no_op(name="loop")
    op._attrs = {**op._attrs, "body": Body("body_fn"), "cond": Body("body_fn")}
    gd = g.as_graph_def()
    assert [f.signature.name for f in gd.library.function] == ["body_fn"]
    assert gd.node[0].attr["body"].func.name == "body_fn"
    back = graph_def_lib.attr_python(gd.node[0].attr["body"], "body", gd.library)
    assert isinstance(back, Body) and back.name == "body_fn"


def test_function_attrs_without_a_codec_are_a_clear_error(monkeypatch):
    monkeypatch.setattr(graph_def_lib, "_function_codec", None)
    value = tf.AttrValue()
    value.func.name = "f"
    with pytest.raises(ValueError, match="function attr 'f'"):
        graph_def_lib.attr_python(value, "body")
