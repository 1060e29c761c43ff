"""map(parse_single_example).batch(n) runs as batch(n) then one ParseExample per batch:
the same elements, in the same order, with the same errors as record by record."""

import numpy as np
import pytest

import flowgraph as tf

FEATURES = {
    "x": tf.FixedLenFeature([2], tf.float32),
    "y": tf.FixedLenFeature([], tf.int64, default_value=-1),
}


def _example(i: int, with_y: bool = True) -> bytes:
    feature = {"x": tf.train.Feature(float_list=tf.train.FloatList(value=[i, i + 0.5]))}
    if with_y:
        feature["y"] = tf.train.Feature(int64_list=tf.train.Int64List(value=[i]))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def _records(n: int, bad=(), no_y=()) -> list[bytes]:
    return [b"garbage" if i in bad else _example(i, i not in no_y) for i in range(n)]


def _run(records, fn, batch=4, drop=False, parallel=None, fused=True):
    """The batches (or error messages) of map(fn).batch(batch), with the fusion on or off."""
    with tf.Graph().as_default():
        mapped = tf.data.Dataset.from_tensor_slices(records).map(fn, parallel)
        if not fused:
            mapped = mapped.map(lambda *c: c[0] if len(c) == 1 else c)  # a map after a map
        get_next = tf.data.make_one_shot_iterator(mapped.batch(batch, drop)).get_next()
        out = []
        with tf.Session() as sess:
            while True:
                try:
                    out.append(sess.run(get_next))
                except tf.errors.OutOfRangeError:
                    return out
                except tf.errors.InvalidArgumentError as e:
                    out.append(e.message.split(" (defined at")[0])


def _parse(record):
    return tf.parse_single_example(record, FEATURES)


def _parse_tuple(record):
    parsed = tf.parse_single_example(record, FEATURES)
    return parsed["y"], parsed["x"]


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert type(x) is type(y)
        if isinstance(x, str):
            assert x == y
        else:
            flat_x, flat_y = _flat(x), _flat(y)
            assert all(u.dtype == v.dtype and np.array_equal(u, v) for u, v in zip(flat_x, flat_y))


def _flat(element) -> list:
    return [element[k] for k in sorted(element)] if isinstance(element, dict) else list(element)


def _map_op(fn):
    with tf.Graph().as_default():
        return tf.data.Dataset.from_tensor_slices([b""]).map(fn)._variant_tensor().op


def test_a_parse_only_map_carries_its_batched_form():
    assert "_batched" in _map_op(_parse)._attrs
    assert "_batched" in _map_op(_parse_tuple)._attrs
    assert "_batched" not in _map_op(lambda r: tf.parse_single_example(r, FEATURES)["x"] * 2)._attrs
    assert "_batched" not in _map_op(lambda r: tf.strings.length(r))._attrs


@pytest.mark.parametrize("fn", [_parse, _parse_tuple])
@pytest.mark.parametrize("drop", [False, True])
def test_fused_batches_match_record_by_record(fn, drop):
    records = _records(10, no_y=(2, 7))
    fused = _run(records, fn, drop=drop)
    _same(fused, _run(records, fn, drop=drop, fused=False))
    assert len(fused) == (2 if drop else 3)
    first = fused[0] if fn is _parse else {"y": fused[0][0], "x": fused[0][1]}
    np.testing.assert_array_equal(first["y"], [0, 1, -1, 3])
    np.testing.assert_array_equal(first["x"][:, 1], [0.5, 1.5, 2.5, 3.5])


@pytest.mark.parametrize("parallel", [None, 2])
def test_a_bad_record_fails_its_batch_and_the_rest_follow(parallel):
    records = _records(11, bad=(5,))
    fused = _run(records, _parse, parallel=parallel)
    _same(fused, _run(records, _parse, parallel=parallel, fused=False))
    assert isinstance(fused[1], str) and "Could not parse example input" in fused[1]
    np.testing.assert_array_equal(fused[2]["y"], [6, 7, 8, 9])  # the records after it


def test_a_missing_required_feature_fails_as_record_by_record():
    records = _records(6)
    records[1] = tf.train.Example().SerializeToString()
    fused = _run(records, _parse)
    _same(fused, _run(records, _parse, fused=False))
    assert "x" in fused[0] and "required" in fused[0].lower()


def test_a_bad_record_in_a_dropped_remainder_still_fails():
    records = _records(6, bad=(5,))
    fused = _run(records, _parse, drop=True)
    _same(fused, _run(records, _parse, drop=True, fused=False))
    assert len(fused) == 2 and isinstance(fused[1], str)


def test_map_and_batch_fuses_the_same_way():
    records = _records(11, bad=(5,), no_y=(1,))
    with tf.Graph().as_default():
        fused = tf.data.Dataset.from_tensor_slices(records).apply(
            tf.data.experimental.map_and_batch(_parse, 4)
        )
        assert "_batched" in fused._variant_tensor().op._attrs
        get_next = tf.data.make_one_shot_iterator(fused).get_next()
        out = []
        with tf.Session() as sess:
            for _ in range(4):  # [0-3], the error (4, 5), [6-9], [10]
                try:
                    out.append(sess.run(get_next))
                except tf.errors.InvalidArgumentError as e:
                    out.append(e.message.split(" (defined at")[0])
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(get_next)
    _same(out, _run(records, _parse, fused=False))
