"""PNG encoding byte for byte as TensorFlow's EncodePng (libpng 1.6 with its defaults).

Any 8- or 16-bit image of 1-4 channels (Pillow cannot write 16-bit images with more than
one channel). libpng's choices, reproduced: every row gets the filter whose output bytes,
read as signed, have the smallest absolute sum (ties to the first of None, Sub, Up,
Average, Paeth); zlib compresses with the Z_FILTERED strategy and memLevel 9 (as TF's
output shows); a stream of at most 16 KiB gets the smallest window that holds it written
in its header; IDAT chunks are 8 KiB.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

_COLOR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> gray, gray+alpha, RGB, RGBA
_IDAT_SIZE = 8192  # libpng's PNG_ZBUF_SIZE: it writes an IDAT each time this fills


def encode(image: np.ndarray, level: int = -1) -> bytes:
    """The PNG file of `image` (height, width, channels; uint8 or uint16)."""
    height, width, channels = image.shape
    depth = image.dtype.itemsize * 8
    rows = image.astype(f">u{image.dtype.itemsize}").view(np.uint8).reshape(height, -1)
    data = _filtered(rows, channels * image.dtype.itemsize).tobytes()
    header = struct.pack(">IIBBBBB", width, height, depth, _COLOR_TYPE[channels], 0, 0, 0)
    stream = _deflate(data, level)
    idats = [stream[i : i + _IDAT_SIZE] for i in range(0, len(stream), _IDAT_SIZE)]
    chunks = [_chunk(b"IHDR", header)] + [_chunk(b"IDAT", d) for d in idats or [b""]]
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _filtered(rows: np.ndarray, bpp: int) -> np.ndarray:
    """Each row prefixed by its filter type and filtered by it (libpng's heuristic)."""
    x = rows.astype(np.int16)
    up = np.vstack([np.zeros_like(x[:1]), x[:-1]])  # the row above (zeros above the first)
    left = np.pad(x, ((0, 0), (bpp, 0)))[:, : x.shape[1]]
    upper_left = np.pad(up, ((0, 0), (bpp, 0)))[:, : x.shape[1]]
    candidates = np.stack(
        [x, x - left, x - up, x - (left + up) // 2, x - _paeth(left, up, upper_left)]
    ).astype(np.uint8)  # (filter, row, byte), mod 256
    cost = np.where(candidates < 128, candidates, 256 - candidates.astype(np.int32)).sum(-1)
    best = np.argmin(cost, axis=0)  # the first of equal costs, as libpng's strict `<`
    chosen = candidates[best, np.arange(len(best))]
    return np.hstack([best.astype(np.uint8)[:, None], chosen])


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def _deflate(data: bytes, level: int) -> bytes:
    bits = 15
    if len(data) <= 16384:  # libpng's png_deflate_claim: the smallest window that fits
        while bits > 9 and len(data) + 262 <= 1 << (bits - 1):
            bits -= 1
    compressor = zlib.compressobj(level, zlib.DEFLATED, bits, 9, zlib.Z_FILTERED)
    return _optimize_cmf(compressor.compress(data) + compressor.flush(), len(data))


def _optimize_cmf(stream: bytes, size: int) -> bytes:
    """libpng's optimize_cmf: the header names the smallest window holding `size` bytes."""
    cmf = stream[0]
    if size > 16384 or cmf & 0x0F != 8 or cmf & 0xF0 > 0x70:
        return stream
    cinfo, half = cmf >> 4, 1 << ((cmf >> 4) + 7)
    if size > half:
        return stream
    while True:
        half >>= 1
        cinfo -= 1
        if not (cinfo > 0 and size <= half):
            break
    cmf = (cmf & 0x0F) | (cinfo << 4)
    flg = stream[1] & 0xE0
    flg += 0x1F - ((cmf << 8) + flg) % 0x1F
    return bytes([cmf, flg]) + stream[2:]
