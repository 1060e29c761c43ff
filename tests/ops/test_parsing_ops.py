"""Parsing ops: decode_csv, decode_raw, Example / SequenceExample parsing, TensorProto."""

import struct

import numpy as np
import pytest

import flowgraph as tf

OP_TYPES_TESTED = {
    "DecodeCSV",
    "DecodeRaw",
    "ParseExample",
    "ParseSingleExample",
    "ParseSingleSequenceExample",
    "SerializeTensor",
    "ParseTensor",
}
NOT_DIFFERENTIABLE = {
    "DecodeCSV": "parses strings",
    "DecodeRaw": "reinterprets bytes",
    "ParseExample": "parses protos",
    "ParseSingleExample": "parses protos",
    "ParseSingleSequenceExample": "parses protos",
    "SerializeTensor": "produces bytes",
    "ParseTensor": "parses bytes",
}


def _run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


# -- decode_csv ---------------------------------------------------------------------------------


def test_decode_csv_types_defaults_and_quotes():
    with tf.Graph().as_default():
        cols = tf.decode_csv(["1,2.5,a", '4,,"b,c"', '7,1e3,"say ""hi"""'], [[0], [1.0], [""]])
        assert [c.dtype for c in cols] == [tf.int32, tf.float32, tf.string]
        assert cols[0].op.type == "DecodeCSV"
        ints, floats, strings = _run(cols)
    np.testing.assert_array_equal(ints, [1, 4, 7])
    np.testing.assert_array_equal(floats, np.float32([2.5, 1.0, 1000.0]))
    assert list(strings) == [b"a", b"b,c", b'say "hi"']


def test_decode_csv_options():
    with tf.Graph().as_default():
        a = tf.decode_csv(["1|NA|x"], [[0], [9.0], [""]], field_delim="|", na_value="NA")
        b = tf.decode_csv(["1,2,3,4"], [[0], [""]], select_cols=[1, 3])
        c = tf.decode_csv(['1,"x""y"'], [[0], [""]], use_quote_delim=False)
        d = tf.decode_csv([["1,2"], ["3,4"]], [[tf.constant(0, tf.int64)], [0.5]])
        e = tf.decode_csv(" 1.5 ,nan", [[0.0], [tf.constant(0.0, tf.float64)]])
        a, b, c, d, e = _run([a, b, c, d, e])
    assert [list(v) for v in a] == [[1], [9.0], [b"x"]]
    assert [list(v) for v in b] == [[2], [b"4"]]
    assert list(c[1]) == [b'"x""y"']
    assert d[0].dtype == np.int64 and d[0].shape == (2, 1)
    np.testing.assert_array_equal(d[1], np.float32([[2], [4]]))
    assert e[0] == np.float32(1.5) and e[1].dtype == np.float64 and np.isnan(e[1])


@pytest.mark.parametrize(
    "records, defaults, message",
    [
        (["1,2.5"], [[0], [1.0], [""]], "Expect 3 fields but have 2 in record 0"),
        (["1,x", ",y"], [[], [""]], "Field 0 is required but missing in record 1!"),
        (["1,zz"], [[0], [1.0]], "Field 1 in record 0 is not a valid float: zz"),
        (["3", "1.5"], [[0]], "Field 0 in record 1 is not a valid int32: 1.5"),
        (["99999999999"], [[0]], "not a valid int32: 99999999999"),
        (['1,"x"y'], [[0], [""]], "Quote inside a string has to be escaped"),
        (['1,"x'], [[0], [""]], "Quoted field has to end with quote"),
        (["1,"], [[0], []], "Field 1 is required but missing in record 0"),
    ],
)
def test_decode_csv_bad_rows_name_the_row(records, defaults, message):
    with tf.Graph().as_default():
        defaults = [tf.constant([], tf.string) if d == [] else d for d in defaults]
        cols = tf.decode_csv(records, defaults)
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            _run(cols)


def test_decode_csv_build_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="strictly increasing"):
            tf.decode_csv(["1,2"], [[0], [0]], select_cols=[1, 0])
        with pytest.raises(ValueError, match="length-0 or length-1"):
            tf.decode_csv(["1,2"], [["x", "y"], [0]])
        with pytest.raises(TypeError, match="record_defaults"):
            tf.decode_csv(["1"], [[True]])


# -- decode_raw ---------------------------------------------------------------------------------


def test_decode_raw_endianness_and_shape():
    data = [struct.pack("<2h", 1, -2), struct.pack("<2h", 300, 4)]
    with tf.Graph().as_default():
        little = tf.decode_raw(data, tf.int16)
        big = tf.decode_raw(data, tf.int16, little_endian=False)
        floats = tf.decode_raw(struct.pack("<f", 1.25), tf.float32)
        assert little.shape.as_list() == [2, None]
        little, big, floats = _run([little, big, floats])
    np.testing.assert_array_equal(little, [[1, -2], [300, 4]])
    expected_big = np.frombuffer(b"".join(data), ">i2").reshape(2, 2)
    np.testing.assert_array_equal(big, expected_big)
    np.testing.assert_array_equal(floats, np.float32([1.25]))


def test_decode_raw_errors():
    with tf.Graph().as_default():
        with pytest.raises(tf.errors.InvalidArgumentError, match="element 1 has size 4 != 3"):
            _run(tf.decode_raw([b"abcd", b"efg"], tf.int16))
        with pytest.raises(tf.errors.InvalidArgumentError, match="not a multiple of 2"):
            _run(tf.decode_raw([b"abc"], tf.int16))


# -- Example parsing ----------------------------------------------------------------------------


def _example(**features) -> bytes:
    example = tf.train.Example()
    for key, values in features.items():
        feature = example.features.feature[key]
        if values is None:
            feature.SetInParent()  # present, holding no list at all
        elif isinstance(values[0], bytes):
            feature.bytes_list.value.extend(values)
        elif isinstance(values[0], float):
            feature.float_list.value.extend(values)
        else:
            feature.int64_list.value.extend(values)
    return example.SerializeToString()


def test_parse_example_dense_and_varlen():
    a = _example(x=[1, 2], y=[1.5], s=[b"a", b"b"])
    b = _example(x=[3, 4], s=[b"c"])
    features = {
        "x": tf.FixedLenFeature([2], tf.int64),
        "y": tf.FixedLenFeature([], tf.float32, default_value=-1.0),
        "s": tf.VarLenFeature(tf.string),
    }
    with tf.Graph().as_default():
        parsed = tf.parse_example([a, b], features)
        assert parsed["x"].op.type == "ParseExample"
        assert parsed["x"].shape.as_list() == [2, 2]
        assert isinstance(parsed["s"], tf.SparseTensor)
        out = _run(parsed)
    np.testing.assert_array_equal(out["x"], [[1, 2], [3, 4]])
    np.testing.assert_array_equal(out["y"], np.float32([1.5, -1.0]))
    np.testing.assert_array_equal(out["s"].indices, [[0, 0], [0, 1], [1, 0]])
    assert list(out["s"].values) == [b"a", b"b", b"c"]
    np.testing.assert_array_equal(out["s"].dense_shape, [2, 2])


def test_parse_example_fed_batch_and_empty_features():
    features = {"v": tf.VarLenFeature(tf.int64), "m": tf.FixedLenFeature([2], tf.int64)}
    with tf.Graph().as_default():
        batch = tf.placeholder(tf.string, [None])
        parsed = tf.parse_example(batch, features)
        with tf.Session() as sess:
            out = sess.run(parsed, {batch: [_example(v=None, m=[1, 2]), _example(v=[7], m=[3, 4])]})
    np.testing.assert_array_equal(out["v"].indices, [[1, 0]])
    np.testing.assert_array_equal(out["v"].values, [7])
    np.testing.assert_array_equal(out["v"].dense_shape, [2, 1])
    np.testing.assert_array_equal(out["m"], [[1, 2], [3, 4]])


def test_parse_example_defaults_with_shapes():
    features = {
        "m": tf.FixedLenFeature([2, 2], tf.float32, default_value=[[1, 2], [3, 4]]),
        "t": tf.FixedLenFeature([], tf.string, default_value="none"),
    }
    with tf.Graph().as_default():
        out = _run(tf.parse_example([_example(), _example(t=[b"x"])], features))
    np.testing.assert_array_equal(out["m"], np.float32([[[1, 2], [3, 4]]] * 2))
    assert list(out["t"]) == [b"none", b"x"]


def test_parse_example_fixed_len_sequence_pads():
    feature = tf.FixedLenSequenceFeature([2], tf.int64, allow_missing=True, default_value=9)
    with tf.Graph().as_default():
        parsed = tf.parse_example(
            [_example(x=[1, 2]), _example(), _example(x=[5, 6, 7, 8])], {"x": feature}
        )
        assert parsed["x"].shape.as_list() == [3, None, 2]
        out = _run(parsed)
    np.testing.assert_array_equal(out["x"], [[[1, 2], [9, 9]], [[9, 9], [9, 9]], [[5, 6], [7, 8]]])
    with pytest.raises(ValueError, match="allow_missing"):
        tf.parse_example([b""], {"x": tf.FixedLenSequenceFeature([], tf.int64)})


@pytest.mark.parametrize("already_sorted", [False, True])
def test_parse_example_sparse_feature(already_sorted):
    batch = [_example(ix=[3, 1], v=[1.5, 2.5]), _example(ix=[0], v=[4.0])]
    feature = tf.SparseFeature("ix", "v", tf.float32, 5, already_sorted=already_sorted)
    with tf.Graph().as_default():
        out = _run(tf.parse_example(batch, {"sp": feature}))
    assert list(out) == ["sp"]
    if already_sorted:  # kept in the order the example lists them, as TF does
        np.testing.assert_array_equal(out["sp"].indices, [[0, 3], [0, 1], [1, 0]])
        np.testing.assert_array_equal(out["sp"].values, np.float32([1.5, 2.5, 4.0]))
    else:
        np.testing.assert_array_equal(out["sp"].indices, [[0, 1], [0, 3], [1, 0]])
        np.testing.assert_array_equal(out["sp"].values, np.float32([2.5, 1.5, 4.0]))
    np.testing.assert_array_equal(out["sp"].dense_shape, [2, 5])


@pytest.mark.parametrize(
    "serialized, features, names, message",
    [
        (
            [_example(x=[1])],
            {"y": tf.FixedLenFeature([], tf.float32)},
            None,
            r"Name: <unknown>, Feature: y \(data type: float\) is required but could not be found",
        ),
        (
            [_example(x=[1]), _example()],
            {"x": tf.FixedLenFeature([], tf.int64)},
            ["first", "second"],
            r"Name: second, Feature: x \(data type: int64\) is required",
        ),
        (
            [_example(x=[1, 2])],
            {"x": tf.FixedLenFeature([], tf.float32)},
            None,
            "Key: x, Index: 0.  Data types don't match. Data type: int64 but expected type: float",
        ),
        (
            [_example(x=[1, 2])],
            {"x": tf.FixedLenFeature([3], tf.int64)},
            None,
            r"Number of int64 values != expected.  Values size: 2 but output shape: \[3\]",
        ),
        (
            [b"garbage"],
            {"x": tf.VarLenFeature(tf.float32)},
            None,
            "Could not parse example input, value: 'garbage'",
        ),
    ],
)
def test_parse_example_errors(serialized, features, names, message):
    with tf.Graph().as_default():
        parsed = tf.parse_example(serialized, features, example_names=names)
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            _run(parsed)


def test_parse_single_example():
    features = {
        "x": tf.FixedLenFeature([2], tf.int64),
        "s": tf.VarLenFeature(tf.string),
        "ix": tf.SparseFeature("i", "v", tf.float32, 4),
    }
    record = _example(x=[1, 2], s=[b"a", b"b"], i=[2], v=[0.5])
    with tf.Graph().as_default():
        parsed = tf.parse_single_example(record, features)
        assert parsed["x"].op.type == "ParseSingleExample"
        assert parsed["x"].shape.as_list() == [2]
        out = _run(parsed)
        np.testing.assert_array_equal(out["x"], [1, 2])
        np.testing.assert_array_equal(out["s"].indices, [[0], [1]])
        np.testing.assert_array_equal(out["s"].dense_shape, [2])
        np.testing.assert_array_equal(out["ix"].indices, [[2]])
        np.testing.assert_array_equal(out["ix"].dense_shape, [4])
        missing = tf.parse_single_example(record, {"q": tf.FixedLenFeature([2], tf.int64)})
        with pytest.raises(tf.errors.InvalidArgumentError, match="Feature: q .* required"):
            _run(missing)


# -- SequenceExample ----------------------------------------------------------------------------


def _sequence_example() -> bytes:
    seq = tf.train.SequenceExample()
    seq.context.feature["len"].int64_list.value.append(3)
    for values in ([1, 2], [3, 4], [5, 6]):
        seq.feature_lists.feature_list["tok"].feature.add().int64_list.value.extend(values)
    for values in ([b"a"], [], [b"b", b"c"]):
        seq.feature_lists.feature_list["w"].feature.add().bytes_list.value.extend(values)
    return seq.SerializeToString()


def test_parse_single_sequence_example():
    context_features = {
        "len": tf.FixedLenFeature([], tf.int64),
        "c2": tf.FixedLenFeature([2], tf.float32, default_value=[1.0, 2.0]),
        "cs": tf.VarLenFeature(tf.string),
    }
    sequence_features = {
        "tok": tf.FixedLenSequenceFeature([2], tf.int64),
        "w": tf.VarLenFeature(tf.string),
        "miss": tf.FixedLenSequenceFeature([], tf.float32, allow_missing=True),
    }
    with tf.Graph().as_default():
        context, lists = tf.parse_single_sequence_example(
            _sequence_example(), context_features, sequence_features
        )
        assert lists["tok"].op.type == "ParseSingleSequenceExample"
        assert lists["tok"].shape.as_list() == [None, 2]
        context, lists = _run((context, lists))
    assert context["len"] == 3
    np.testing.assert_array_equal(context["c2"], np.float32([1, 2]))
    assert context["cs"].indices.shape == (0, 1)
    np.testing.assert_array_equal(context["cs"].dense_shape, [0])
    np.testing.assert_array_equal(lists["tok"], [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(lists["w"].indices, [[0, 0], [2, 0], [2, 1]])
    assert list(lists["w"].values) == [b"a", b"b", b"c"]
    np.testing.assert_array_equal(lists["w"].dense_shape, [3, 2])
    assert lists["miss"].shape == (0,) and lists["miss"].dtype == np.float32


@pytest.mark.parametrize(
    "context, sequence, message",
    [
        ({}, {"miss": tf.FixedLenSequenceFeature([], tf.float32)}, "Feature list 'miss' is req"),
        ({}, {"tok": tf.FixedLenSequenceFeature([3], tf.int64)}, "Key: tok, Index: 0.  Number"),
        ({}, {"tok": tf.FixedLenSequenceFeature([2], tf.float32)}, "Feature list: tok, Index: 0"),
        ({"q": tf.FixedLenFeature([2], tf.float32)}, {}, "ex7, Context feature: q"),
    ],
)
def test_parse_single_sequence_example_errors(context, sequence, message):
    with tf.Graph().as_default():
        parsed = tf.parse_single_sequence_example(
            _sequence_example(), context, sequence, example_name="ex7"
        )
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            _run(parsed)


# -- serialize_tensor / parse_tensor ------------------------------------------------------------


def test_serialize_tensor_bytes_match_tensorflow():
    # TensorProto: dtype = 1 (varint), tensor_shape = 2, tensor_content = 4, string_val = 8.
    with tf.Graph().as_default():
        floats = tf.io.serialize_tensor(tf.constant([1.5, 2.0]))
        strings = tf.io.serialize_tensor(tf.constant([b"ab", b"c"]))
        scalar = tf.io.serialize_tensor(tf.constant(True))
        assert floats.op.type == "SerializeTensor" and floats.shape.as_list() == []
        floats, strings, scalar = _run([floats, strings, scalar])
    shape_2 = bytes([0x12, 4, 0x12, 2, 0x08, 2])  # TensorShapeProto{dim{size: 2}}
    assert floats == bytes([0x08, 1]) + shape_2 + bytes([0x22, 8]) + struct.pack("<2f", 1.5, 2)
    assert strings == bytes([0x08, 7]) + shape_2 + b"\x42\x02ab\x42\x01c"
    assert scalar == bytes([0x08, 10, 0x12, 0, 0x22, 1, 1])


@pytest.mark.parametrize(
    "value",
    [
        np.arange(6, dtype=np.int32).reshape(2, 3),
        np.array([[b"x", b""]], dtype=object),
        np.array([1 + 2j], np.complex64),
        np.zeros((0, 2), np.float64),
        np.array(3, np.uint8),
    ],
)
def test_parse_tensor_round_trip(value):
    dtype = tf.as_dtype(value.dtype) if value.dtype != object else tf.string
    with tf.Graph().as_default():
        parsed = tf.parse_tensor(tf.serialize_tensor(tf.constant(value, dtype=dtype)), dtype)
        assert parsed.op.type == "ParseTensor"
        out = _run(parsed)
    assert out.shape == value.shape and out.dtype == value.dtype
    np.testing.assert_array_equal(out, value)


def test_parse_tensor_errors():
    with tf.Graph().as_default():
        wrong = tf.parse_tensor(tf.serialize_tensor(tf.constant([1, 2])), tf.float32)
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"\(int32\) and dtype \(float\)"):
            _run(wrong)
        with pytest.raises(tf.errors.InvalidArgumentError, match="as TensorProto"):
            _run(tf.parse_tensor(b"garbage\xff", tf.float32))


def test_feature_keys_need_not_be_valid_op_names():
    record = _example(**{"my key": [4]})
    features = {
        "my key": tf.FixedLenFeature([], tf.int64, default_value=0),
        "image/height": tf.FixedLenFeature([], tf.int64, default_value=1),
    }
    with tf.Graph().as_default():
        out = _run(tf.parse_single_example(record, features))
    assert out == {"my key": 4, "image/height": 1}
