"""TensorFlow's tensor bundle: TF's bytes for TF's tensors, every dtype, slices, shards,
and DataLossError naming the file for a truncated or corrupted checkpoint."""

from __future__ import annotations

import os
import shutil

import ml_dtypes
import numpy as np
import pytest

from kernels import errors, tensor_bundle as tb
from tests import tf_checkpoints as fixtures

DATA = ".data-00000-of-00001"


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def test_writer_gives_tf_saveV2_bytes(tmp_path):  # noqa: N802
    values = fixtures.expected("dtypes")
    writer = tb.BundleWriter(str(tmp_path / "m"))
    for name in sorted(values):  # TF's Saver saves its variables sorted by name
        writer.add(name, values[name])
    writer.finish()
    tf_prefix = fixtures.path("dtypes")
    for suffix in (".index", DATA):
        assert _read_bytes(str(tmp_path / "m") + suffix) == _read_bytes(tf_prefix + suffix)
    assert sorted(os.listdir(tmp_path)) == ["m.data-00000-of-00001", "m.index"]


def test_reader_gives_the_values_tf_saved():
    reader = tb.BundleReader(fixtures.path("dtypes"))
    values = fixtures.expected("dtypes")
    assert reader.names() == sorted(values)
    for name, value in values.items():
        got = reader.read(name)
        assert got.dtype == value.dtype and got.shape == value.shape, name
        np.testing.assert_array_equal(got, value)
        assert reader.shape_and_dtype(name) == (value.shape, value.dtype)


def test_slices_give_tf_bytes_and_read_back_in_any_window(tmp_path):
    full = fixtures.expected("partitioned")["emb"]  # [7, 2] in parts of 3, 2, 2 rows
    writer = tb.BundleWriter(str(tmp_path / "m"))
    for start, rows in ((0, 3), (3, 2), (5, 2)):
        writer.add_slice("emb", [7, 2], [(start, rows), (0, 2)], full[start : start + rows])
    writer.finish()
    for suffix in (".index", DATA):
        tf_file = fixtures.path("partitioned") + suffix
        assert _read_bytes(str(tmp_path / "m") + suffix) == _read_bytes(tf_file)
    reader = tb.BundleReader(fixtures.path("partitioned"))
    assert reader.names() == ["emb"] and reader.shape_and_dtype("emb") == ((7, 2), np.float32)
    np.testing.assert_array_equal(reader.read("emb"), full)
    np.testing.assert_array_equal(reader.read("emb", [(2, 4), (1, 1)]), full[2:6, 1:2])


def test_slice_keys_are_tf_ordered_code():
    assert tb.slice_key("emb", [(0, 3), (0, 2)]) == b"\x00emb\x00\x01\x01\x02\x80\x83\x80\x82"
    numbers = [-(2**40), -70000, -65, -64, -1, 0, 1, 63, 64, 8191, 8192, 2**40, 2**62]
    encoded = [tb._ordered_signed(n) for n in numbers]
    assert encoded == sorted(encoded) and len(set(encoded)) == len(numbers)
    assert [len(e) for e in encoded[4:9]] == [1, 1, 1, 1, 2]


def test_sharded_merge_gives_tf_files(tmp_path):
    values = fixtures.expected("sharded")  # a, b on /cpu:0; c, d on /cpu:1
    os.mkdir(tmp_path / "m_temp")
    parts = [str(tmp_path / "m_temp" / f"part-{i:05d}-of-00002") for i in range(2)]
    for part, names in zip(parts, (["a", "b"], ["c", "d"])):
        writer = tb.BundleWriter(part)
        for name in names:
            writer.add(name, values[name])
        writer.finish()
    tb.merge(parts, str(tmp_path / "m"))
    assert not os.path.exists(tmp_path / "m_temp")
    for suffix in (".index", ".data-00000-of-00002", ".data-00001-of-00002"):
        tf_file = fixtures.path("sharded") + suffix
        assert _read_bytes(str(tmp_path / "m") + suffix) == _read_bytes(tf_file)
    reader = tb.BundleReader(fixtures.path("sharded"))
    for name, value in values.items():
        np.testing.assert_array_equal(reader.read(name), value)


@pytest.mark.parametrize(
    "dtype",
    [np.float16, ml_dtypes.bfloat16, np.float32, np.float64, np.int8, np.int16, np.int32]
    + [np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.bool_, np.complex64]
    + [np.complex128],
)
def test_every_dtype_round_trips(tmp_path, dtype):
    value = (np.arange(24).reshape(2, 3, 4) % 7 - 3).astype(dtype)
    writer = tb.BundleWriter(str(tmp_path / "m"))
    writer.add("x", value)
    writer.add("scalar", value.reshape(-1)[5])
    writer.finish()
    reader = tb.BundleReader(str(tmp_path / "m"))
    for name, want in (("x", value), ("scalar", value.reshape(-1)[5])):
        got = reader.read(name)
        assert got.dtype == np.dtype(dtype) and got.shape == np.shape(want)
        np.testing.assert_array_equal(got, want)


def test_strings_round_trip(tmp_path):
    value = np.array([[b"", b"a\x00b"], [b"\xff" * 300, "unicode: \u00e9".encode()]], dtype=object)
    writer = tb.BundleWriter(str(tmp_path / "m"))
    writer.add("s", value)
    writer.add("na\u00efve/\u00fc", np.float32(1.5))  # names are UTF-8 in the index
    writer.finish()
    reader = tb.BundleReader(str(tmp_path / "m"))
    got = reader.read("s")
    assert got.dtype == object and got.shape == (2, 2) and got.tolist() == value.tolist()
    assert reader.names() == ["na\u00efve/\u00fc", "s"] and reader.read("na\u00efve/\u00fc") == 1.5


def _copy(tmp_path) -> str:
    for name in os.listdir(os.path.dirname(fixtures.path("dtypes"))):
        shutil.copy(os.path.join(os.path.dirname(fixtures.path("dtypes")), name), tmp_path)
    return str(tmp_path / "model.ckpt")


@pytest.mark.parametrize("cut", [0, 20, -1])
def test_a_truncated_index_is_data_loss_naming_the_file(tmp_path, cut):
    prefix = _copy(tmp_path)
    data = _read_bytes(prefix + ".index")
    with open(prefix + ".index", "wb") as f:
        f.write(data[:cut] if cut >= 0 else data[:cut])
    with pytest.raises(errors.DataLossError, match=r"model\.ckpt\.index"):
        tb.BundleReader(prefix)


def test_a_corrupted_index_is_data_loss_naming_the_file(tmp_path):
    prefix = _copy(tmp_path)
    data = bytearray(_read_bytes(prefix + ".index"))
    data[30] ^= 1
    with open(prefix + ".index", "wb") as f:
        f.write(data)
    with pytest.raises(errors.DataLossError, match=r"model\.ckpt\.index.*checksum"):
        tb.BundleReader(prefix)


def test_corrupted_or_truncated_data_is_data_loss_naming_the_file(tmp_path):
    prefix = _copy(tmp_path)
    data = bytearray(_read_bytes(prefix + DATA))
    data[5] ^= 1  # inside the first tensor ("b", sorted first)
    with open(prefix + DATA, "wb") as f:
        f.write(data)
    reader = tb.BundleReader(prefix)
    with pytest.raises(errors.DataLossError, match=r"model\.ckpt\.data-00000-of-00001.*Checksum"):
        reader.read("c128")
    np.testing.assert_array_equal(reader.read("b"), [True, False, True])
    with open(prefix + DATA, "wb") as f:
        f.write(data[:100])
    with pytest.raises(errors.DataLossError, match=r"data-00000-of-00001: truncated"):
        reader.read("u8")


def test_missing_checkpoint_and_tensor_are_not_found(tmp_path):
    with pytest.raises(errors.NotFoundError, match="Failed to find any matching files"):
        tb.BundleReader(str(tmp_path / "none"))
    with pytest.raises(errors.NotFoundError, match="Key nope not found in checkpoint"):
        tb.BundleReader(fixtures.path("dtypes")).read("nope")


def test_parse_shape_and_slice():
    assert tb.parse_shape_and_slice("7 2 0,3:-") == ([7, 2], [(0, 3), (0, -1)])
    assert tb.resolve([(0, 3), (0, -1)], [7, 2]) == [(0, 3), (0, 2)]
    with pytest.raises(errors.InvalidArgumentError, match="Invalid shape and slice"):
        tb.parse_shape_and_slice("7 2 0,3")
