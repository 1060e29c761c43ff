"""File sources hand records over in bulk (lists) to shuffle, repeat and batch: the same
batches, in the same order, with the same errors in the same places as record by record."""

import zlib

import numpy as np
import pytest

from kernels import dataset, dataset_readers, tfrecord
from kernels.errors import DataLossError, OpError


def _write(path, records, corrupt_at=None):
    data = b"".join(tfrecord.encode_record(r) for r in records)
    if corrupt_at is not None:  # a flipped byte in that record's data
        offset = sum(16 + len(r) for r in records[:corrupt_at]) + 12
        data = data[:offset] + bytes([data[offset] ^ 1]) + data[offset + 1 :]
    path.write_bytes(data)
    return str(path)


@pytest.fixture
def files(tmp_path):
    """Three files; the second has a corrupt 6th record; lengths vary in the third."""
    return [
        _write(tmp_path / "a", [b"a%03d" % i for i in range(20)]),
        _write(tmp_path / "b", [b"b%03d" % i for i in range(20)], corrupt_at=5),
        _write(tmp_path / "c", [b"c" * (i % 4) + b"%d" % i for i in range(25)]),
    ]


def _drain(iterator) -> list:
    """Every batch (as a list) and error message, going on after errors (ignore_errors)."""
    out = []
    while True:
        try:
            out.append([c.tolist() for c in next(iterator)])
        except StopIteration:
            return out
        except OpError as e:
            out.append(e.message)


def _both_ways(make, monkeypatch) -> tuple[list, list]:
    chunked = _drain(make().iterate())
    monkeypatch.setattr(dataset_readers.FileRecords, "chunkable", lambda self: False)
    return chunked, _drain(make().iterate())


def _records(files, compression=""):
    return dataset_readers.FileRecords(
        files,
        lambda name: tfrecord.iter_records(name, compression),
        lambda name: tfrecord.iter_record_chunks(name, compression),
    )


@pytest.mark.parametrize("drop", [False, True])
@pytest.mark.parametrize("size", [1, 7, 64])
def test_batches_of_chunks_match_record_by_record(files, monkeypatch, size, drop):
    chunked, single = _both_ways(lambda: dataset.Batch(_records(files), size, drop), monkeypatch)
    assert chunked == single
    (error,) = [x for x in chunked if isinstance(x, str)]
    assert "b: corrupted record at" in error
    assert chunked[-1][0][-1] == b"24" or drop  # the file after the corrupt one is read


def test_a_repeat_ends_at_an_error_as_record_by_record(files, monkeypatch):
    chunked, single = _both_ways(
        lambda: dataset.Batch(dataset.Repeat(_records(files), 2), 6, False), monkeypatch
    )
    assert chunked == single and isinstance(chunked[-1], str)


@pytest.mark.parametrize("buffer", [1, 10, 100])
def test_shuffled_chunks_come_in_the_same_order(files, monkeypatch, buffer):
    chunked, single = _both_ways(
        lambda: dataset.Batch(
            dataset.Shuffle(dataset.Repeat(_records(files[::2]), 3), buffer, 7, 9, True), 16, False
        ),
        monkeypatch,
    )
    assert chunked == single and len(chunked) == 9  # 135 records
    records = [r for batch in chunked for r in batch[0]]
    expected = [b"a%03d" % i for i in range(20)] + [b"c" * (i % 4) + b"%d" % i for i in range(25)]
    assert sorted(records) == sorted(expected * 3)
    assert records != expected * 3 or buffer == 1


def test_a_corrupt_file_in_a_shuffle_ends_it_as_record_by_record(files, monkeypatch):
    chunked, single = _both_ways(
        lambda: dataset.Batch(dataset.Shuffle(_records(files), 8, 1, 2, True, count=2), 4, False),
        monkeypatch,
    )
    assert chunked == single and isinstance(chunked[-1], str)


def test_streamed_files_are_read_in_lists_with_errors_after_them(tmp_path, monkeypatch):
    monkeypatch.setattr(tfrecord, "_CHUNK", 3)
    plain = _write(tmp_path / "plain", [b"%d" % i for i in range(8)], corrupt_at=7)
    path = tmp_path / "z"
    path.write_bytes(zlib.compress(open(plain, "rb").read()))
    chunks = tfrecord.iter_record_chunks(str(path), "ZLIB")
    assert [len(next(chunks)) for _ in range(3)] == [3, 3, 1]
    with pytest.raises(DataLossError, match="z: corrupted record at 131"):
        next(chunks)
    chunked, single = _both_ways(
        lambda: dataset.Batch(_records([str(path)] * 2, "ZLIB"), 5, False), monkeypatch
    )
    assert chunked == single and len(chunked) == 4  # a batch of 5, the error: twice


def test_a_missing_file_raises_in_place(files, monkeypatch):
    chunked, single = _both_ways(
        lambda: dataset.Batch(_records([files[0], files[0] + "-nope", files[2]]), 16, False),
        monkeypatch,
    )
    assert chunked == single
    assert any(isinstance(x, str) and "No such file" in x for x in chunked)


def test_text_lines_batch_in_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(dataset_readers, "_CHUNK", 2)
    path = tmp_path / "t.txt"
    path.write_bytes(b"one\ntwo\r\nthree\nfour")
    make = lambda: dataset.Batch(  # noqa: E731
        dataset_readers.FileRecords([str(path)], lambda n: dataset_readers._lines(n, "")), 3, False
    )
    chunked, single = _both_ways(make, monkeypatch)
    assert chunked == single == [[[b"one", b"two", b"three"]], [[b"four"]]]


def test_corrupt_records_still_name_file_and_offset(files):
    batches = dataset.Batch(_records(files[1:2]), 100, False).iterate()
    with pytest.raises(DataLossError, match=r"/b: corrupted record at 112\b"):
        next(batches)  # record 5's data starts at 5 * (16 + 4) + 12
    assert np.asarray(dataset.records_array([b"x"])).dtype == object
