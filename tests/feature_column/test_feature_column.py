"""input_layer, linear_model, make_parse_example_spec: TensorFlow's values (fixtures) and
TF1's variable names, collections and errors."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.feature_column.base import _LazyBuilder
from tests.feature_column import fc_programs

fc = tf.feature_column
FIXTURES = json.loads(
    (pathlib.Path(__file__).parent.parent / "fixtures" / "feature_column_tf.json").read_text()
)


def _assert_close(got, expected):
    if isinstance(expected, dict):
        assert sorted(got) == sorted(expected)
        for key in expected:
            _assert_close(got[key], expected[key])
    else:
        np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "name", ["input_layer", "linear_model", "shared_embeddings", "parse_example_end_to_end"]
)
def test_values_and_variable_names_equal_tensorflow(name):
    program = getattr(fc_programs, name)
    _assert_close(fc_programs.run(tf, program, _LazyBuilder), FIXTURES[name]["values"])
    assert fc_programs.names(tf, program, _LazyBuilder) == FIXTURES[name]["variables"]


def test_input_layer_sorts_columns_by_name_and_flattens_them():
    features = {"b": [[1.0, 2.0, 3.0, 4.0]], "a": [[5.0]]}
    columns = [fc.numeric_column("b", shape=(2, 2)), fc.numeric_column("a")]
    with tf.Session() as sess:
        out = sess.run(fc.input_layer(features, columns))
    np.testing.assert_array_equal(out, [[5.0, 1.0, 2.0, 3.0, 4.0]])


def test_input_layer_cols_to_vars_collections_and_trainable():
    ids = fc.categorical_column_with_identity("ids", 3)
    columns = [fc.embedding_column(ids, 2), fc.numeric_column("x")]
    cols_to_vars, outputs = {}, {}
    with tf.Graph().as_default() as g:
        features = {"ids": tf.constant([[0], [2]], tf.int64), "x": tf.constant([[1.0], [2.0]])}
        fc.input_layer(features, columns, weight_collections=["mine"], trainable=False,
                       cols_to_vars=cols_to_vars, cols_to_output_tensors=outputs)  # fmt: skip
        (var,) = cols_to_vars[columns[0]]
        assert var.name == "input_layer/ids_embedding/embedding_weights:0"
        assert cols_to_vars[columns[1]] == []
        assert var in g.get_collection("mine") and var in g.get_collection(
            tf.GraphKeys.MODEL_VARIABLES
        )
        assert g.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES) == []
        assert outputs[columns[1]].shape.as_list() == [2, 1]


def test_embedding_default_initializer_is_truncated_normal_of_stddev_one_over_sqrt_dim():
    ids = fc.categorical_column_with_identity("ids", 2000)
    with tf.Graph().as_default():
        fc.input_layer({"ids": tf.constant([[0]], tf.int64)}, [fc.embedding_column(ids, 16)])
        (var,) = tf.global_variables()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            value = sess.run(var)
    assert value.shape == (2000, 16)
    assert np.abs(value).max() <= 2 / np.sqrt(16) + 1e-6  # truncated at two stddevs
    # A truncated normal's stddev is 0.88 of its parameter's.
    assert abs(value.std() - 0.88 * 0.25) < 0.01


def test_linear_model_variables_bias_and_reuse_of_the_scope():
    price = fc.numeric_column("price")
    kw = fc.categorical_column_with_hash_bucket("kw", 5)
    cols_to_vars = {}
    with tf.Graph().as_default() as g:
        features = {"price": tf.constant([[1.0]]), "kw": tf.constant([["a"]])}
        fc.linear_model(features, [price, kw], units=3, cols_to_vars=cols_to_vars)
        fc.linear_model(features, [price])
        assert [v.name for v in cols_to_vars["bias"]] == ["linear_model/bias_weights:0"]
        assert cols_to_vars[kw][0].shape.as_list() == [5, 3]
        assert sorted(v.name for v in g.get_collection(tf.GraphKeys.MODEL_VARIABLES)) == [
            "linear_model/bias_weights:0", "linear_model/kw/weights:0",
            "linear_model/price/weights:0", "linear_model_1/bias_weights:0",
            "linear_model_1/price_1/weights:0",  # TF's names: layer names taken outside
        ]  # fmt: skip


def test_linear_model_trains_to_a_linear_target():
    x = fc.numeric_column("x")
    color = fc.categorical_column_with_vocabulary_list("color", ["r", "g"])
    features = {"x": np.array([[1.0], [2.0], [3.0], [0.5]], np.float32),
                "color": np.array([["r"], ["g"], ["r"], ["g"]], object)}  # fmt: skip
    target = 2 * features["x"] + np.array([[1.0], [-1.0], [1.0], [-1.0]], np.float32)
    with tf.Graph().as_default():
        loss = tf.reduce_mean(tf.square(fc.linear_model(features, [x, color]) - target))
        step = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
            first = sess.run(loss)
            for _ in range(400):
                sess.run(step)
            assert sess.run(loss) < first / 1000


def test_make_parse_example_spec():
    ids = fc.categorical_column_with_identity("ids", 5)
    columns = [
        fc.numeric_column("price", shape=(2,), default_value=1.0),
        fc.embedding_column(fc.weighted_categorical_column(ids, "w"), 3),
        fc.crossed_column(["kw", fc.categorical_column_with_hash_bucket("h", 3, tf.int64)][:1]
                          + ["other"], 10),
    ]  # fmt: skip
    assert fc.make_parse_example_spec(columns) == {
        "price": tf.FixedLenFeature((2,), tf.float32, (1.0, 1.0)),
        "ids": tf.VarLenFeature(tf.int64),
        "w": tf.VarLenFeature(tf.float32),
        "kw": tf.VarLenFeature(tf.string),
        "other": tf.VarLenFeature(tf.string),
    }
    with pytest.raises(ValueError, match="different parse_spec for key price"):
        fc.make_parse_example_spec([columns[0], fc.numeric_column("price")])
    with pytest.raises(ValueError, match="must be _FeatureColumn instances"):
        fc.make_parse_example_spec(["price"])


def test_bad_inputs_give_tensorflows_errors():
    price = fc.numeric_column("price")
    kw = fc.categorical_column_with_hash_bucket("kw", 5)
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="^Feature price is not in features dictionary.$"):
            fc.input_layer({"other": [[1.0]]}, [price])
        with pytest.raises(ValueError, match="Items of feature_columns must be a _DenseColumn"):
            fc.input_layer({"kw": [["a"]]}, [kw])
        with pytest.raises(ValueError, match="Duplicate feature column name"):
            fc.input_layer({"price": [[1.0]]}, [price, fc.numeric_column("price")])
        with pytest.raises(ValueError, match="feature_columns must not be empty"):
            fc.linear_model({"price": [[1.0]]}, [])
        with pytest.raises(ValueError, match="must be a Tensor. SparseTensor is not supported"):
            sp = tf.SparseTensor([[0, 0]], [1.0], [1, 1])
            fc.input_layer({"price": sp}, [price])
        with pytest.raises(ValueError, match=r"Batch size \(first dimension\) of each feature"):
            fc.input_layer({"price": [[1.0]], "x": [[1.0], [2.0]]},
                           [price, fc.numeric_column("x")])  # fmt: skip
        with pytest.raises(ValueError, match="cannot have rank 0"):
            fc.input_layer({"price": 1.0}, [price])
