"""tf.train.Example and friends: TensorFlow's field numbers, so the bytes interoperate."""

import struct

import flowgraph as tf
from flowgraph.core.example import example_pb2, feature_pb2


def _len_delimited(field: int, payload: bytes) -> bytes:
    # Wire type 2 (length-delimited); every payload here is shorter than 128 bytes.
    assert len(payload) < 128
    return bytes([field << 3 | 2, len(payload)]) + payload


def _entry(key: str, value: bytes) -> bytes:
    # A map<string, V> entry: key = 1, value = 2.
    return _len_delimited(1, key.encode()) + _len_delimited(2, value)


def test_int64_example_bytes():
    example = tf.train.Example(
        features=tf.train.Features(
            feature={"a": tf.train.Feature(int64_list=tf.train.Int64List(value=[1, 2, 300]))}
        )
    )
    int64_list = _len_delimited(1, bytes([1, 2, 0xAC, 0x02]))  # packed varints; 300 = ac 02
    feature = _len_delimited(3, int64_list)  # Feature.int64_list = 3
    expected = _len_delimited(1, _len_delimited(1, _entry("a", feature)))
    assert example.SerializeToString() == expected


def test_float_and_bytes_features():
    floats = tf.train.Feature(float_list=tf.train.FloatList(value=[1.5, -2.0]))
    assert floats.SerializeToString() == _len_delimited(
        2,
        _len_delimited(1, struct.pack("<2f", 1.5, -2.0)),  # Feature.float_list = 2, packed
    )
    strings = tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"hi", b""]))
    assert strings.SerializeToString() == _len_delimited(
        1,
        _len_delimited(1, b"hi") + _len_delimited(1, b""),  # Feature.bytes_list = 1
    )


def test_sequence_example_bytes():
    seq = tf.train.SequenceExample()
    seq.context.feature["c"].int64_list.value.append(7)
    steps = seq.feature_lists.feature_list["x"].feature
    steps.add().float_list.value.append(0.5)
    steps.add().float_list.value.append(1.0)
    step = [_len_delimited(2, _len_delimited(1, struct.pack("<f", v))) for v in (0.5, 1.0)]
    feature_list = b"".join(_len_delimited(1, s) for s in step)
    context = _len_delimited(1, _entry("c", _len_delimited(3, _len_delimited(1, b"\x07"))))
    lists = _len_delimited(1, _entry("x", feature_list))
    expected = _len_delimited(1, context) + _len_delimited(2, lists)
    assert seq.SerializeToString() == expected


def test_parses_bytes_with_map_entries_in_any_order():
    # Two entries in the order TensorFlow's Python happened to write them.
    entry_c = _entry("c", _len_delimited(1, _len_delimited(1, b"hi")))
    entry_a = _entry("a", _len_delimited(3, _len_delimited(1, b"\x05")))
    example = tf.train.Example.FromString(
        _len_delimited(1, _len_delimited(1, entry_c) + _len_delimited(1, entry_a))
    )
    assert list(example.features.feature["c"].bytes_list.value) == [b"hi"]
    assert list(example.features.feature["a"].int64_list.value) == [5]
    assert example.features.feature["a"].WhichOneof("kind") == "int64_list"


def test_descriptors_name_tensorflow_files_and_fields():
    assert feature_pb2.DESCRIPTOR.name == "tensorflow/core/example/feature.proto"
    assert example_pb2.DESCRIPTOR.name == "tensorflow/core/example/example.proto"
    assert tf.train.Example.DESCRIPTOR.full_name == "tensorflow.Example"
    numbers = {f.name: f.number for f in tf.train.Feature.DESCRIPTOR.fields}
    assert numbers == {"bytes_list": 1, "float_list": 2, "int64_list": 3}
    fields = {f.name: f.number for f in tf.train.SequenceExample.DESCRIPTOR.fields}
    assert fields == {"context": 1, "feature_lists": 2}
    assert (
        tf.train.Features.DESCRIPTOR.fields_by_name["feature"].message_type.GetOptions().map_entry
    )
    assert example_pb2.Example is tf.train.Example
