"""TensorFlow's table format (leveldb's): round trips, TF's bytes, checksums, corruption."""

from __future__ import annotations

import io
import os

import google_crc32c
import pytest

from kernels import leveldb_table as lt

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "tf_checkpoints")


def _write(pairs) -> bytes:
    out = io.BytesIO()
    writer = lt.TableWriter(out)
    for key, value in pairs:
        writer.add(key, value)
    writer.finish()
    return out.getvalue()


def test_rewriting_tf_index_tables_gives_tf_bytes():
    for name in ("dtypes", "sharded", "partitioned"):
        with open(os.path.join(FIXTURES, name, "model.ckpt.index"), "rb") as f:
            data = f.read()
        pairs = lt.read_table(data)
        assert pairs[0][0] == b"" and len(pairs) > 3
        assert _write(pairs) == data


def test_many_blocks_round_trip_with_shared_prefixes():
    # ~1.5 MB of values: six 256 KiB data blocks, index separators between them.
    pairs = [(b"layer/%05d/kernel" % i, bytes([i % 251]) * (300 + i)) for i in range(2000)]
    data = _write(pairs)
    assert lt.read_table(data) == pairs
    assert len(data) < sum(len(k) + len(v) for k, v in pairs) + 2000 * 6 + 4096


def test_keys_must_increase():
    writer = lt.TableWriter(io.BytesIO())
    writer.add(b"b", b"1")
    with pytest.raises(ValueError, match="out of order"):
        writer.add(b"a", b"2")


def test_masked_crc_and_varints():
    crc = google_crc32c.value(b"123456789")
    assert crc == 0xE3069283  # CRC-32C's check value
    assert lt.unmask(lt.mask(crc)) == crc and lt.mask(crc) != crc
    assert lt.masked_crc32c(b"123456789") == lt.mask(crc)
    for value in (0, 1, 127, 128, 300, 2**32, 2**63 - 1):
        encoded = lt.put_varint(value)
        assert lt.get_varint(encoded + b"rest", 0) == (value, len(encoded))
    assert lt.put_varint(300) == b"\xac\x02"


def test_separators_are_short_and_between():
    assert lt._shortest_separator(b"abcd", b"abzz") == b"abd"
    assert lt._shortest_separator(b"abc", b"abd") == b"abc"  # no shorter key fits
    assert lt._short_successor(b"ab\xff") == b"b"
    assert lt._short_successor(b"\xff\xff") == b"\xff\xff"


@pytest.mark.parametrize("where", [0, 10, -60, -8])  # data, index block, magic
def test_a_flipped_byte_or_truncation_is_a_corruption(where):
    data = bytearray(_write([(b"k%03d" % i, b"v" * i) for i in range(50)]))
    data[where] ^= 0x40
    with pytest.raises(lt.CorruptionError):
        lt.read_table(bytes(data))
    good = _write([(b"a", b"b")])
    for cut in (len(good) - 1, 40, 0):
        with pytest.raises(lt.CorruptionError):
            lt.read_table(good[:cut])
