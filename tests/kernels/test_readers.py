"""Reader kernels: a TFRecordReader's keys are `file:offset` of each record's frame, also
across the lists a streamed file is read in."""

import gzip

import pytest

from kernels import readers, tfrecord


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
