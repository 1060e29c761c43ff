"""Feature-column programs run both by flowgraph (the tests) and by TensorFlow (the fixture
script `tests/fixtures/feature_column_tf.py`): each takes the `tf` module and returns what
to fetch, so both sides build exactly the same graph. Programs that read a column's ids
directly also take the `_LazyBuilder` class of their side."""

from __future__ import annotations

import numpy as np

WORDS = ["a", "b", "hello", "", "TensorFlow", "x" * 40, "ünïcode", "a longer string value"]
INTS = [0, 1, -7, 42, 123456789, -123456789012, 2**40]


def hash_buckets(tf, builder_class):
    """categorical_column_with_hash_bucket ids of strings and of integers."""
    fc = tf.feature_column
    features = {
        "s": tf.constant([[w] for w in WORDS if w]),
        "i": tf.constant([[i] for i in INTS], tf.int64),
        "i32": tf.constant([[i] for i in INTS if abs(i) < 2**31], tf.int32),
    }
    columns = {
        "s": fc.categorical_column_with_hash_bucket("s", 1000),
        "i": fc.categorical_column_with_hash_bucket("i", 977, dtype=tf.int64),
        "i32": fc.categorical_column_with_hash_bucket("i32", 10, dtype=tf.int32),
    }
    transformed = _transform(builder_class, features, columns)
    return {key: value.values for key, value in transformed.items()}


def _transform(builder_class, features, columns):
    builder = builder_class(features)
    return {key: column._get_sparse_tensors(builder).id_tensor for key, column in columns.items()}


def crosses(tf, builder_class):
    """crossed_column ids: strings, integers, bucketized and vocabulary columns, nesting,
    a custom hash_key and dense inputs."""
    fc = tf.feature_column
    age = fc.bucketized_column(fc.numeric_column("age"), [18.0, 25.0, 40.0])
    color = fc.categorical_column_with_vocabulary_list("color", ["R", "G", "B"], num_oov_buckets=2)
    ident = fc.categorical_column_with_identity("ident", 10)
    features = {
        "kw": tf.SparseTensor([[0, 0], [0, 1], [1, 0], [3, 0], [3, 1], [3, 2]],
                              ["a", "b", "c", "d", "e", "f"], [4, 3]),
        "n": tf.SparseTensor([[0, 0], [1, 0], [1, 1], [3, 0]],
                             tf.constant([5, -3, 2**40, 0], tf.int64), [4, 2]),
        "age": tf.constant([[10.0], [25.0], [60.0], [30.0]]),
        "color": tf.constant([["R"], ["Y"], ["B"], ["G"]]),
        "ident": tf.constant([[1, 3], [7, -1], [2, 2], [0, 9]], tf.int64),
        "dense_s": tf.constant([["p", "q"], ["r", "s"], ["t", "u"], ["v", "w"]]),
    }  # fmt: skip
    columns = {
        "strings": fc.crossed_column(["kw", "dense_s"], 1000),
        "string_int": fc.crossed_column(["kw", "n"], 50),
        "three": fc.crossed_column(["kw", age, color], 13),
        "nested": fc.crossed_column([fc.crossed_column(["kw", ident], 7), age], 100),
        "hash_key": fc.crossed_column(["kw", color], 1000, hash_key=12345),
        "no_modulo_like": fc.crossed_column([ident, color], 2**62),
    }
    transformed = _transform(builder_class, features, columns)
    return {
        key: {"indices": v.indices, "values": v.values, "dense_shape": v.dense_shape}
        for key, v in transformed.items()
    }


def _features(tf):
    return {
        "price": tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
        "age": tf.constant([[10.0], [25.0], [60.0]]),
        "kw": tf.SparseTensor([[0, 0], [0, 1], [2, 0]], ["a", "b", "c"], [3, 2]),
        "ids": tf.constant([[1, 3], [7, -1], [2, 2]], tf.int64),
        "ids_w": tf.constant([[0.5, 2.0], [1.0, 0.0], [3.0, 1.0]]),
        "color": tf.constant([["R"], ["Y"], ["B"]]),
        "n": tf.constant([[20], [10], [99]], tf.int64),
        "hint": tf.constant([[123], [-1], [7]], tf.int64),
        "terms": tf.constant(["x", "y", "x"]),  # rank 1: gets a last dimension
    }


def _columns(tf):
    fc = tf.feature_column
    ids = fc.categorical_column_with_identity("ids", 5, default_value=0)
    color = fc.categorical_column_with_vocabulary_list("color", ["R", "G", "B"], num_oov_buckets=2)
    age = fc.bucketized_column(fc.numeric_column("age"), [18.0, 25.0, 40.0])
    return {
        "price": fc.numeric_column("price", shape=(2,)),
        "age": age,
        "kw": fc.categorical_column_with_hash_bucket("kw", 7),
        "ids": ids,
        "weighted": fc.weighted_categorical_column(ids, "ids_w"),
        "cross": fc.crossed_column(["kw", age, color], 13),
        "color": color,
        "n": fc.categorical_column_with_vocabulary_list("n", [10, 20, 30]),
        "hint": fc.categorical_column_with_hash_bucket("hint", 11, dtype=tf.int64),
        "terms": fc.categorical_column_with_vocabulary_list("terms", ["x", "y"]),
    }


def _table(rows, cols, scale=10.0):
    return (np.arange(rows * cols, dtype=np.float32).reshape(rows, cols) - rows) / scale


def input_layer(tf, builder_class=None):
    """input_layer over every dense column, with embeddings of fixed values."""
    fc, c = tf.feature_column, _columns(tf)
    columns = [
        c["price"], c["age"], fc.indicator_column(c["kw"]), fc.indicator_column(c["weighted"]),
        fc.indicator_column(c["cross"]), fc.indicator_column(c["n"]),
        fc.indicator_column(c["hint"]), fc.indicator_column(c["ids"]),
        fc.indicator_column(c["terms"]),
        fc.embedding_column(c["color"], 3, initializer=tf.constant_initializer(_table(5, 3))),
        fc.embedding_column(c["kw"], 2, combiner="sqrtn",
                            initializer=tf.constant_initializer(_table(7, 2))),
        fc.embedding_column(c["weighted"], 2, combiner="sum",
                            initializer=tf.constant_initializer(_table(5, 2))),
        fc.embedding_column(c["ids"], 4, combiner="mean", max_norm=1.5,
                            initializer=tf.constant_initializer(_table(5, 4, 3.0))),
    ]  # fmt: skip
    out = fc.input_layer(_features(tf), columns)
    return {"input_layer": out}


def linear_model(tf, builder_class=None):
    """linear_model over dense and categorical columns, its weights set to fixed values,
    with each sparse_combiner."""
    fc, c = tf.feature_column, _columns(tf)
    names = ["price", "age", "kw", "weighted", "cross", "color", "n", "hint", "terms"]
    out, cols_to_vars = {}, {}
    for combiner in ("sum", "mean", "sqrtn"):
        out[combiner] = fc.linear_model(
            _features(tf), [c[n] for n in names], units=2, sparse_combiner=combiner,
            cols_to_vars=cols_to_vars,
        )  # fmt: skip
    assigns = [
        v.assign(np.reshape(np.arange(np.prod(v.shape.as_list())) / 10.0 - 1, v.shape.as_list()))
        for v in tf.global_variables()
    ]
    return {"predictions": out, "assign": assigns}


def shared_embeddings(tf, builder_class=None):
    """shared_embedding_columns: one variable for two columns, in input_layer."""
    fc = tf.feature_column
    a = fc.categorical_column_with_identity("a", 4)
    b = fc.categorical_column_with_identity("b", 4)
    columns = fc.shared_embedding_columns(
        [b, a], 3, combiner="sum", initializer=tf.constant_initializer(_table(4, 3))
    )
    features = {
        "a": tf.SparseTensor([[0, 0], [0, 1], [2, 0]], tf.constant([1, 3, 2], tf.int64), [3, 2]),
        "b": tf.constant([[0], [3], [-1]], tf.int64),
    }
    return {"input_layer": fc.input_layer(features, columns)}


def _example(tf, **features):
    def feature(values):
        if isinstance(values[0], bytes):
            return tf.train.Feature(bytes_list=tf.train.BytesList(value=values))
        if isinstance(values[0], int):
            return tf.train.Feature(int64_list=tf.train.Int64List(value=values))
        return tf.train.Feature(float_list=tf.train.FloatList(value=values))

    proto = {k: feature(v) for k, v in features.items() if v}
    return tf.train.Example(features=tf.train.Features(feature=proto)).SerializeToString()


def parse_example_end_to_end(tf, builder_class=None):
    """make_parse_example_spec -> parse_example -> input_layer and linear_model."""
    fc = tf.feature_column
    price = fc.numeric_column("price", shape=(2,), default_value=(-1.0, -2.0))
    age = fc.bucketized_column(fc.numeric_column("age", dtype=tf.int64), [18, 25, 40])
    kw = fc.categorical_column_with_hash_bucket("kw", 10)
    ids = fc.categorical_column_with_identity("ids", 6)
    weighted = fc.weighted_categorical_column(ids, "w")
    serialized = [
        _example(tf, price=[1.5, 2.5], age=[30], kw=[b"cat", b"dog"], ids=[1, 4], w=[0.5, 2.0]),
        _example(tf, age=[12], kw=[b"fish"], ids=[5], w=[3.0]),
        _example(tf, price=[0.0, -4.0], age=[70], kw=[], ids=[], w=[]),
    ]
    dense = [
        price,
        age,
        fc.indicator_column(kw),
        fc.indicator_column(weighted),
        fc.embedding_column(kw, 2, initializer=tf.constant_initializer(_table(10, 2))),
    ]
    linear = [price, age, kw, weighted]
    spec = fc.make_parse_example_spec(dense + linear)
    features = tf.parse_example(tf.constant(serialized), spec)
    logits = fc.linear_model(features, linear, units=1)
    assigns = [
        v.assign(np.reshape(np.arange(np.prod(v.shape.as_list())) / 4.0 - 1, v.shape.as_list()))
        for v in tf.global_variables() if "linear_model" in v.name
    ]  # fmt: skip
    return {"input_layer": fc.input_layer(features, dense), "linear": logits, "assign": assigns}


def run(tf, program, builder_class):
    """Builds `program` in a new graph and returns its fetched values."""
    with tf.Graph().as_default():
        fetches = program(tf, builder_class)
        assign = fetches.pop("assign", None)
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
            if assign is not None:
                sess.run(assign)
            return sess.run(fetches)


def names(tf, program, builder_class):
    """The names of the global variables `program` creates, sorted."""
    with tf.Graph().as_default():
        program(tf, builder_class)
        return sorted(v.name for v in tf.global_variables())
