"""Dense features of same-layout Examples, read with numpy, match protobuf's parse; records
the layout path cannot vouch for go back to the per-record parser."""

import numpy as np
import pytest

from kernels import example_layout, parsing
from kernels.example_proto import Example

F32, I64 = np.dtype(np.float32), np.dtype(np.int64)


def _example(**features) -> bytes:
    ex = Example()
    for key, (kind, values) in features.items():
        getattr(ex.features.feature[key], kind).value.extend(values)
    return ex.SerializeToString()


def _records(n: int, seed: int = 0, ints=(-(2**63), 2**63)) -> list[bytes]:
    rng = np.random.default_rng(seed)
    return [
        _example(
            x=("float_list", rng.normal(size=4).astype(np.float32)),
            y=("int64_list", [int(v) for v in rng.integers(*ints, size=3, dtype=np.int64)]),
            s=("bytes_list", [bytes(rng.integers(0, 256, 5, dtype=np.uint8))]),
            label=("int64_list", [int(rng.integers(2))]),
        )
        for _ in range(n)
    ]


def _protobuf(records, key, kind, dtype, shape):
    values = [getattr(Example.FromString(r).features.feature[key], kind).value for r in records]
    return np.array(values, dtype).reshape(len(records), *shape)


DENSE = [("x", F32, (4,)), ("y", I64, (3,)), ("label", I64, ())]


def test_same_length_records_match_protobuf():
    records = _records(64, ints=(0, 100))  # one byte per varint: every record one length
    assert len(set(map(len, records))) == 1
    x, y, label = example_layout.parse_dense(records, DENSE)
    np.testing.assert_array_equal(x, _protobuf(records, "x", "float_list", F32, (4,)))
    np.testing.assert_array_equal(y, _protobuf(records, "y", "int64_list", I64, (3,)))
    np.testing.assert_array_equal(label, _protobuf(records, "label", "int64_list", I64, ()))
    assert x.dtype == F32 and y.dtype == I64 and label.shape == (64,)


def test_long_and_negative_varints_match_protobuf():
    records = [_example(y=("int64_list", [v, -v, 300])) for v in (1, 2**62, 2**63 - 1, 5)]
    records += [_example(y=("int64_list", [-(2**63), 0, -1]))]
    assert len(set(map(len, records))) <= example_layout.MAX_LAYOUTS
    (y,) = example_layout.parse_dense(records, [("y", I64, (3,))])
    np.testing.assert_array_equal(y, _protobuf(records, "y", "int64_list", I64, (3,)))


def test_records_of_a_few_lengths_keep_their_order():
    records = [
        _example(y=("int64_list", [200 ** (i % 3)]), z=("float_list", [i])) for i in range(9)
    ]
    assert len(set(map(len, records))) == 3
    y, z = example_layout.parse_dense(records, [("y", I64, (1,)), ("z", F32, ())])
    assert y[:, 0].tolist() == [200 ** (i % 3) for i in range(9)]
    assert z.tolist() == list(range(9))


@pytest.mark.parametrize(
    "records",
    [
        [_example(x=("float_list", [1.0])), _example(z=("float_list", [1.0]))],  # keys differ
        [_example(x=("int64_list", [1]))],  # another type
        [_example(x=("float_list", [1.0, 2.0]))],  # another count
        [_example()],  # missing: the default's business
        [_example(x=("float_list", [1.0])) + b"\x10\x01"],  # an unknown field
        [b"\x0a\x02\x0a\x00" + _example(x=("float_list", [1.0]))[2:]],  # features twice
        [b"\x0a\x07\x0a\x05\x0a\x01x\x12\x00"],  # a Feature without a kind
        [b"\x0a\x0f\x0a\x0d\x0a\x01x\x12\x08\x12\x06\x0d\x00\x00\x80\x3f\x00"],  # unpacked
        [_example(x=("float_list", [float(i)])) for i in range(6)] + [b"\x0a"],  # truncated
        ["not bytes"],
    ],
)
def test_records_it_cannot_vouch_for_are_left_to_protobuf(records):
    assert example_layout.parse_dense(records, [("x", F32, ())]) is None


def test_a_repeated_key_is_left_to_protobuf():
    entry = _example(x=("float_list", [1.0]))[2:]  # the Features' bytes: one map entry
    twice = b"\x0a" + bytes([2 * len(entry)]) + entry + entry
    assert Example.FromString(twice).features.feature["x"].float_list.value == [1.0]
    assert example_layout.parse_dense([twice], [("x", F32, ())]) is None


def test_a_malformed_varint_among_good_ones_is_left_to_protobuf():
    good = _example(y=("int64_list", [1, 1]))
    bad = good[:-2] + b"\x81\x81"  # the same frame, values that never end
    assert example_layout.parse_dense([good, good], [("y", I64, (2,))]) is not None
    assert example_layout.parse_dense([good, bad], [("y", I64, (2,))]) is None


def test_more_lengths_than_layouts_are_left_to_protobuf():
    records = [_example(y=("int64_list", [1 << (8 * i)])) for i in range(6)]
    assert len(set(map(len, records))) > example_layout.MAX_LAYOUTS
    assert example_layout.parse_dense(records, [("y", I64, ())]) is None


def _parse(records, dense):
    serialized = np.empty(len(records), object)
    serialized[:] = records
    return parsing.parse_example(
        serialized,
        np.array([], object),
        *[np.array(k.encode(), object) for k, *_ in dense],
        *[np.asarray(d, t) for _, t, _, d in dense],
        Nsparse=0,
        Ndense=len(dense),
        sparse_types=(),
        Tdense=tuple(t for _, t, _, _ in dense),
        dense_shapes=tuple(s for _, _, s, _ in dense),
    )


def test_parse_example_gives_the_per_record_values_and_errors(monkeypatch):
    records = _records(32, seed=3)
    dense = [(k, t, s, []) for k, t, s in DENSE]
    fast = _parse(records, dense)
    monkeypatch.setattr(example_layout, "MAX_LAYOUTS", 0)  # every batch record by record
    slow = _parse(records, dense)
    for a, b in zip(fast, slow):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    monkeypatch.undo()
    bad = records[:3] + [_example(x=("float_list", [1.0]))]
    with pytest.raises(Exception, match="Key: x, Index: 3.  Number of float values"):
        _parse(bad, dense)


def test_outputs_are_writable_arrays_of_their_own():
    records = [_example(x=("float_list", [1.0, 2.0]), y=("int64_list", [3]))]
    x, y = example_layout.parse_dense(records, [("x", F32, (2,)), ("y", I64, ())])
    x[0, 0], y[0] = 5.0, 6
    assert x.tolist() == [[5.0, 2.0]] and y.tolist() == [6]
