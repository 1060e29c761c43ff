"""The batch fast paths of the parsing kernels give what the per-record paths give."""

import numpy as np
import pytest

from kernels import parsing
from kernels.example_proto import Example


def _example(**features):
    ex = Example()
    for key, (kind, values) in features.items():
        getattr(ex.features.feature[key], kind).value.extend(values)
    return ex.SerializeToString()


def _parse(records, sparse, dense):
    """ParseExample over `records` with sparse (key, dtype) and dense (key, dtype, shape,
    default) features."""
    serialized = np.empty(len(records), object)
    serialized[:] = records
    keys = [np.array(k.encode(), object) for k, *_ in sparse + dense]
    defaults = [np.asarray(d[3], d[1]) for d in dense]
    return parsing.parse_example(
        serialized,
        np.array([], object),
        *keys,
        *defaults,
        Nsparse=len(sparse),
        Ndense=len(dense),
        sparse_types=tuple(t for _, t in sparse),
        Tdense=tuple(d[1] for d in dense),
        dense_shapes=tuple(d[2] for d in dense),
    )


def _slow(records, sparse, dense):
    features = [Example.FromString(r).features.feature for r in records]
    dense_specs = [parsing._Dense(k, t, s, np.asarray(d, t)) for k, t, s, d in dense]
    sparse_specs = [(k, np.dtype(t)) for k, t in sparse]
    prefixes = [""] * len(records)
    return parsing._parse_features(features, prefixes, sparse_specs, dense_specs, (len(records),))


def _assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape
        assert x.tolist() == y.tolist()


def test_parse_example_batch_path_matches_the_per_record_path():
    records = [
        _example(
            x=("float_list", [i, i + 0.5]), s=("bytes_list", [b"a"] * i), n=("int64_list", [i])
        )
        for i in range(5)
    ]
    sparse = [("s", np.dtype(object))]
    dense = [("x", np.float32, (2,), []), ("n", np.int64, (), [])]
    assert (
        parsing._parse_batch(
            [Example.FromString(r).features.feature for r in records],
            [("s", np.dtype(object))],
            [parsing._Dense(k, t, s, np.asarray(d, t)) for k, t, s, d in dense],
        )
        is not None
    )
    _assert_same(_parse(records, sparse, dense), _slow(records, sparse, dense))


def test_parse_example_falls_back_for_defaults_and_errors():
    records = [_example(x=("float_list", [1.0])), _example()]
    dense = [("x", np.float32, (1,), [7.0])]
    assert _parse(records, [], dense)[0].tolist() == [[1.0], [7.0]]
    bad = [_example(x=("float_list", [1.0, 2.0]))]
    with pytest.raises(Exception, match="Number of float values != expected"):
        _parse(bad, [], [("x", np.float32, (1,), [])])


def _csv(lines, defaults, **options):
    records = np.empty(len(lines), object)
    records[:] = lines
    return parsing.decode_csv(records, *[np.asarray(d) for d in defaults], **options)


def test_decode_csv_batch_path_matches_the_per_record_path():
    lines = [b"1,2.5,abc,7", b" 3 ,-1e3,x, 9", b"5,nan,,11"]
    defaults = [
        np.zeros(0, np.int32),
        np.zeros(0, np.float32),
        np.array([b"d"], object),
        np.zeros(0, np.int64),
    ]
    fast = _csv(lines[:2], defaults)
    assert (
        parsing._decode_csv_batch(
            np.array(lines[:2], object), b",", b"", [np.asarray(d).reshape(-1) for d in defaults]
        )
        is not None
    )
    slow = _csv(lines[:2], defaults, select_cols=(0, 1, 2, 3))  # select_cols: per record
    _assert_same(fast, slow)
    mixed = _csv(lines, defaults)  # an empty field takes the per-record path
    assert mixed[2].tolist() == [b"abc", b"x", b"d"] and np.isnan(mixed[1][2])


@pytest.mark.parametrize("field", [b"1_0", b"1.5", b"99999999999", b"0x10"])
def test_decode_csv_rejects_what_tensorflow_rejects(field):
    with pytest.raises(Exception, match="not a valid int32"):
        _csv([b"1", field], [np.zeros(0, np.int32)])
