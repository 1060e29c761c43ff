"""Building ops checks them against their OpDefs and completes their attrs as TF does."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.framework.ops import apply_op

HERE = "test_op_def_library.py"


@pytest.fixture(autouse=True)
def graph():
    with tf.Graph().as_default() as g:
        yield g


def _mat():
    return tf.constant(np.ones((2, 2), np.float32))


def test_type_attrs_and_defaults_are_filled_as_in_tf():
    op = tf.matmul(_mat(), _mat()).op
    # TF's MatMul NodeDef: T from the inputs, every defaulted attr present.
    assert set(op.node_def.attr) == {"T", "transpose_a", "transpose_b", "grad_a", "grad_b"}
    assert op.get_attr("T") == tf.float32 and op.get_attr("grad_a") is False
    s = tf.reduce_sum(tf.constant([1, 2]), 0).op
    assert s.get_attr("Tidx") == tf.int32 and s.get_attr("keep_dims") is False
    c = tf.concat([_mat(), _mat(), _mat()], 0).op
    assert c.get_attr("N") == 3 and c.get_attr("Tidx") == tf.int32


def test_float_defaults_are_their_shortest_decimal():
    op = tf.nn.leaky_relu(_mat()).op
    assert op.get_attr("alpha") == 0.2


def test_wrong_attr_type_names_op_attr_and_line():
    a = _mat()
    with pytest.raises(ValueError) as e:
        apply_op("MatMul", [a, a], transpose_a=1)
    message = str(e.value)
    assert "AttrValue had value with type 'int' when 'bool' expected for attr 'transpose_a'" in (
        message
    )
    assert "{{node MatMul}}" in message and "Op<name=MatMul;" in message
    assert f"(defined at {HERE}:" in message


def test_undeclared_attr_in_our_own_build_path_is_an_error():
    a = _mat()
    with pytest.raises(ValueError, match="NodeDef mentions attr 'transposee_a' not in Op<name=Mat"):
        apply_op("MatMul", [a, a], transposee_a=True)
    # Internal attrs ("_" first) are TF's escape hatch and pass.
    assert apply_op("MatMul", [a, a], _note="x").op.get_attr("_note") == "x"


def test_missing_required_attr():
    with pytest.raises(ValueError, match=r"NodeDef missing attr 'dtype' from Op<name=Placeholder"):
        apply_op("Placeholder", [])


def test_wrong_number_of_inputs():
    with pytest.raises(ValueError) as e:
        apply_op("MatMul", [_mat()])
    assert "NodeDef expected inputs 'a, b' do not match 1 inputs specified" in str(e.value)
    assert f"(defined at {HERE}:" in str(e.value)


def test_input_dtype_not_allowed_or_mismatched():
    s = tf.constant(["a"])
    with pytest.raises(TypeError, match="parameter 'a' has DataType string not in list of allo"):
        apply_op("MatMul", [s, s])
    with pytest.raises(TypeError, match="Input 'b' of 'MatMul' Op has type float64 that does not"):
        apply_op("MatMul", [_mat(), tf.constant(np.ones((2, 2)))])


def test_attr_values_are_checked_against_allowed_values_and_minimum():
    x = tf.zeros([1, 4, 4, 1])
    with pytest.raises(ValueError, match=r"attr 'padding' of \"SOME\" is not in the list"):
        apply_op("MaxPool", [x], ksize=(1, 2, 2, 1), strides=(1, 1, 1, 1), padding="SOME")
    with pytest.raises(ValueError, match="attr 'N' of 1 must be at least minimum 2"):
        apply_op("ConcatV2", [x, tf.constant(0)], N=1)


def test_float_attrs_take_ints():
    op = apply_op("LeakyRelu", [_mat()], alpha=1).op
    assert op.get_attr("alpha") == 1.0 and isinstance(op.get_attr("alpha"), float)
    assert op.node_def.attr["alpha"].WhichOneof("value") == "f"


def test_unknown_op_type_is_not_found_at_build_with_the_users_line():
    with pytest.raises(tf.errors.NotFoundError) as e:
        apply_op("Bogus", [_mat()])
    assert "Op type not registered 'Bogus'" in str(e.value)
    assert f"(defined at {HERE}:" in str(e.value)


def test_tensorflow_op_without_a_kernel_is_not_found_at_build():
    with pytest.raises(tf.errors.NotFoundError, match="'ResourceApplyAdam' in flowgraph"):
        apply_op("ResourceApplyAdam", [])


def test_flowgraph_specific_ops_are_checked_too():
    x = tf.constant([1.0, 2.0])
    (g,) = tf.gradients(tf.reduce_sum(x * x), x)
    vjp = g.op if g.op.type == "VJP" else g.op.inputs[0].op
    assert vjp.type == "VJP" and vjp.get_attr("Targs")
    # Filled from the inferred outputs: Mul's gradients for both of its inputs.
    assert vjp.get_attr("Tgrads") == [tf.float32, tf.float32] and vjp.get_attr("wrt") == (0, 1)


def test_a_repeated_node_gets_its_own_completed_attrs():
    a = _mat()
    first = tf.matmul(a, a).op
    second = tf.matmul(a, a).op
    assert first._attrs == second._attrs and first._attrs is not second._attrs
    third = apply_op("MatMul", [a, a], _note="x").op  # extra attrs key a different node
    assert third.get_attr("_note") == "x" and "_note" not in first._attrs


def test_nodes_equal_but_for_value_kinds_or_input_dtypes_are_checked_afresh():
    a = _mat()
    apply_op("MatMul", [a, a], transpose_a=True)
    with pytest.raises(ValueError, match="type 'int' when 'bool' expected"):
        apply_op("MatMul", [a, a], transpose_a=1)  # 1 == True, yet not a bool
    apply_op("MatMul", [a, a], transpose_a=False)
    with pytest.raises(ValueError, match="type 'int' when 'bool' expected"):
        apply_op("MatMul", [a, a], transpose_a=0)
    with pytest.raises(TypeError, match="Input 'b' of 'MatMul' Op has type float64"):
        apply_op("MatMul", [a, tf.constant(np.ones((2, 2)))])
    for value in (0.0, -0.0):  # equal floats, different attrs: left out of the cache
        assert str(apply_op("LeakyRelu", [a], alpha=value).op.get_attr("alpha")) == str(value)
