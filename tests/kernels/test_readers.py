"""Reader kernels: a TFRecordReader's keys are `file:offset` of each record's frame, also
across the lists a streamed file is read in; reads cut records from those lists in order,
counting them, and a corrupt record fails the read that reaches it."""

import gzip

import numpy as np
import pytest

from kernels import data_flow, errors, readers, tfrecord


@pytest.mark.parametrize("chunk", [1, 2, 3, 100])
def test_tfrecord_keys_are_frame_offsets_across_chunks(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(tfrecord, "_CHUNK", chunk)
    records = [b"x" * n for n in (3, 0, 5, 1, 7)]
    path = tmp_path / "r.tfrecord.gz"
    path.write_bytes(gzip.compress(b"".join(tfrecord.encode_record(r) for r in records)))
    reader = readers.TFRecordReader("reader", "GZIP")
    got = list(reader.records(str(path).encode()))
    offsets, offset = [], 0
    for r in records:
        offsets.append(offset)
        offset += 8 + 4 + len(r) + 4  # length, its CRC, data, data CRC
    assert got == [(b"%s:%d" % (str(path).encode(), o), r) for o, r in zip(offsets, records)]


def _work_queue(paths):
    queue = data_flow.FIFOQueue("files", [np.dtype(object)], [()], -1)
    names = np.array([str(p).encode() for p in paths], dtype=object)
    queue.enqueue(queue.elements([names], many=True))
    queue.close(cancel_pending_enqueues=False)
    return queue


@pytest.mark.parametrize("chunk", [2, 3, 100])
def test_read_up_to_cuts_records_from_lists_in_order_and_counts_them(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(tfrecord, "_CHUNK", chunk)
    paths, records = [], []
    for f in range(2):
        path = tmp_path / f"{f}.tfrecord.gz"
        rows = [b"%d-%d" % (f, i) for i in range(5)]
        path.write_bytes(gzip.compress(b"".join(tfrecord.encode_record(r) for r in rows)))
        paths.append(path)
        records.append(rows)
    reader = readers.TFRecordReader("reader", "GZIP")
    queue = _work_queue(paths)
    reads = [reader.read_up_to(queue, 3) for _ in range(4)]  # a read ends with its file
    assert [[v for _, v in r] for r in reads] == [
        records[0][:3], records[0][3:], records[1][:3], records[1][3:]
    ]
    frame = 8 + 4 + 3 + 4  # each record's: length, its CRC, data, data CRC
    assert reads[1][0][0] == str(paths[0]).encode() + b":%d" % (3 * frame)
    assert reader.num_records_produced() == 10 and reader.num_work_units_completed() == 2
    with pytest.raises(errors.OutOfRangeError):
        reader.read_up_to(queue, 3)


def test_a_corrupt_record_fails_its_read_after_the_records_before_it(tmp_path):
    good = b"".join(tfrecord.encode_record(b"r%d" % i) for i in range(4))
    bad = bytearray(good)
    bad[2 * 18 + 12] ^= 0xFF  # the third record's data (frames of 18 bytes)
    paths = [tmp_path / "bad.tfrecord", tmp_path / "good.tfrecord"]
    paths[0].write_bytes(bytes(bad))
    paths[1].write_bytes(good)
    reader = readers.TFRecordReader("reader", "")
    queue = _work_queue(paths)
    assert [v for _, v in reader.read_up_to(queue, 1)] == [b"r0"]
    with pytest.raises(errors.DataLossError, match="corrupted record"):
        reader.read_up_to(queue, 3)  # r1 is read, counted and lost with the read
    assert reader.num_records_produced() == 2
    assert [v for _, v in reader.read_up_to(queue, 3)] == [b"r0", b"r1", b"r2"]  # the next file
    assert reader.num_work_units_completed() == 1
