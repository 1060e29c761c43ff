"""String kernels (host): formatting, joining, hashing, splitting, substrings, regexes,
number parsing and base64 on numpy object arrays of bytes."""

from __future__ import annotations

import base64
import functools
import re

import numpy as np

from kernels.array import merge_shapes
from kernels.errors import InvalidArgumentError
from kernels.registry import HOST, Spec, register

_STRING = np.dtype(object)


def _to_string_shape(specs, attrs, static_values):
    return [Spec(specs[0].shape, _STRING)]


@register("AsString", kind=HOST, shape=_to_string_shape)
def as_string(
    input,
    *,
    precision: int = -1,
    scientific: bool = False,
    shortest: bool = False,
    width: int = -1,
    fill: str = "",
):
    fmt = _format_spec(np.asarray(input).dtype, precision, scientific, shortest, width, fill)
    out = np.empty(np.shape(input), dtype=object)
    flat = out.reshape(-1)
    for i, v in enumerate(np.asarray(input).reshape(-1)):
        flat[i] = _format_one(v, fmt).encode()
    return out


def _format_spec(dtype, precision, scientific, shortest, width, fill) -> str:
    # The printf format TF's AsString builds from its attrs.
    flags = "%" + (fill if fill else "") + (str(width) if width > -1 else "")
    if dtype.kind == "f" or dtype.kind == "c":
        prec = f".{precision}" if precision > -1 else ""
        return flags + prec + ("g" if shortest else "e" if scientific else "f")
    if dtype.kind == "b":
        return "bool"
    return flags + "d"


def _format_one(value, fmt: str) -> str:
    if fmt == "bool":
        return "true" if value else "false"
    if isinstance(value, (complex, np.complexfloating)):
        return "(" + (fmt % value.real) + "," + (fmt % value.imag) + ")"
    return fmt % value


def _join_shape(specs, attrs, static_values):
    # TF: scalars broadcast; all other inputs must have one shape (no general broadcasting).
    if all(s.shape == () for s in specs):
        return [Spec((), _STRING)]
    shape = merge_shapes(s.shape for s in specs if s.shape != ())
    return [Spec(shape, _STRING)]


@register("StringJoin", kind=HOST, shape=_join_shape)
def string_join(*inputs, separator: str = ""):
    sep = separator.encode()
    arrays = [np.asarray(x, dtype=object) for x in inputs]
    shape = next((a.shape for a in arrays if a.ndim), ())
    for a in arrays:
        if a.ndim and a.shape != shape:
            raise ValueError(f"Input shapes do not match: {list(shape)} vs. {list(a.shape)}")
    arrays = [np.broadcast_to(a, shape) for a in arrays]
    out = np.empty(arrays[0].shape, dtype=object)
    flat_out = out.reshape(-1)
    flats = [a.reshape(-1) for a in arrays]
    for i in range(flat_out.size):
        flat_out[i] = sep.join(_as_bytes(f[i]) for f in flats)
    return out


def _as_bytes(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


# -- hashing ------------------------------------------------------------------------------------
# The three hash functions TF's StringToHashBucket* kernels use, on 64-bit unsigned ints.

_M64 = (1 << 64) - 1


def _rotr(v: int, shift: int) -> int:
    return ((v >> shift) | (v << (64 - shift))) & _M64


def _fetch64(s: bytes, i: int) -> int:
    return int.from_bytes(s[i : i + 8], "little")


def hash64(s: bytes, seed: int = 0xDECAFCAFFE) -> int:
    """TF's `Hash64` (tensorflow/core/lib/hash/hash.cc, a MurmurHash64A variant)."""
    m, r, n = 0xC6A4A7935BD1E995, 47, len(s)
    h = (seed ^ (n * m)) & _M64
    full = n - n % 8
    for i in range(0, full, 8):
        k = (_fetch64(s, i) * m) & _M64
        k = ((k ^ (k >> r)) * m) & _M64
        h = ((h ^ k) * m) & _M64
    if n % 8:
        h = ((h ^ int.from_bytes(s[full:], "little")) * m) & _M64
    h = ((h ^ (h >> r)) * m) & _M64
    return h ^ (h >> r)


_K0, _K1, _K2 = 0xC3A5C85C97CB3127, 0xB492B66FBE98F273, 0x9AE16A3B2F90404F


def _shift_mix(v: int) -> int:
    return v ^ (v >> 47)


def _len16(u: int, v: int, mul: int) -> int:
    a = _shift_mix(((u ^ v) * mul) & _M64)
    b = _shift_mix(((v ^ a) * mul) & _M64)
    return (b * mul) & _M64


def _len0to16(s: bytes) -> int:
    n = len(s)
    if n >= 8:
        mul = _K2 + n * 2
        a = (_fetch64(s, 0) + _K2) & _M64
        b = _fetch64(s, n - 8)
        c = (_rotr(b, 37) * mul + a) & _M64
        d = ((_rotr(a, 25) + b) * mul) & _M64
        return _len16(c, d, mul)
    if n >= 4:
        mul = _K2 + n * 2
        a = int.from_bytes(s[:4], "little")
        return _len16(n + (a << 3), int.from_bytes(s[n - 4 :], "little"), mul)
    if n:
        y = s[0] + (s[n >> 1] << 8)
        z = n + (s[n - 1] << 2)
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _M64) * _K2) & _M64
    return _K2


def _len17to32(s: bytes) -> int:
    n = len(s)
    mul = _K2 + n * 2
    a = (_fetch64(s, 0) * _K1) & _M64
    b = _fetch64(s, 8)
    c = (_fetch64(s, n - 8) * mul) & _M64
    d = (_fetch64(s, n - 16) * _K2) & _M64
    return _len16(
        (_rotr((a + b) & _M64, 43) + _rotr(c, 30) + d) & _M64,
        (a + _rotr((b + _K2) & _M64, 18) + c) & _M64,
        mul,
    )


def _len33to64(s: bytes) -> int:
    n = len(s)
    mul = _K2 + n * 2
    a = (_fetch64(s, 0) * _K2) & _M64
    b = _fetch64(s, 8)
    c = (_fetch64(s, n - 8) * mul) & _M64
    d = (_fetch64(s, n - 16) * _K2) & _M64
    y = (_rotr((a + b) & _M64, 43) + _rotr(c, 30) + d) & _M64
    z = _len16(y, (a + _rotr((b + _K2) & _M64, 18) + c) & _M64, mul)
    e = (_fetch64(s, 16) * mul) & _M64
    f = _fetch64(s, 24)
    g = ((y + _fetch64(s, n - 32)) * mul) & _M64
    h = ((z + _fetch64(s, n - 24)) * mul) & _M64
    return _len16(
        (_rotr((e + f) & _M64, 43) + _rotr(g, 30) + h) & _M64,
        (e + _rotr((f + a) & _M64, 18) + g) & _M64,
        mul,
    )


def _weak32(s: bytes, i: int, a: int, b: int) -> tuple[int, int]:
    w, x, y, z = (_fetch64(s, i + k) for k in (0, 8, 16, 24))
    a = (a + w) & _M64
    b = _rotr((b + a + z) & _M64, 21)
    c = a
    a = (a + x + y) & _M64
    b = (b + _rotr(a, 44)) & _M64
    return (a + z) & _M64, (b + c) & _M64


def fingerprint64(s: bytes) -> int:
    """farmhash's `Fingerprint64` (farmhashna::Hash64), TF's `Fingerprint64`."""
    n = len(s)
    if n <= 16:
        return _len0to16(s)
    if n <= 32:
        return _len17to32(s)
    if n <= 64:
        return _len33to64(s)
    seed = 81
    x, y = seed, (seed * _K1 + 113) & _M64
    z = (_shift_mix((y * _K2 + 113) & _M64) * _K2) & _M64
    v, w = (0, 0), (0, 0)
    x = (x * _K2 + _fetch64(s, 0)) & _M64
    end, last64 = ((n - 1) // 64) * 64, n - 64
    i = 0
    while True:
        x = (_rotr((x + y + v[0] + _fetch64(s, i + 8)) & _M64, 37) * _K1) & _M64
        y = (_rotr((y + v[1] + _fetch64(s, i + 48)) & _M64, 42) * _K1) & _M64
        x ^= w[1]
        y = (y + v[0] + _fetch64(s, i + 40)) & _M64
        z = (_rotr((z + w[0]) & _M64, 33) * _K1) & _M64
        v = _weak32(s, i, (v[1] * _K1) & _M64, (x + w[0]) & _M64)
        w = _weak32(s, i + 32, (z + w[1]) & _M64, (y + _fetch64(s, i + 16)) & _M64)
        z, x = x, z
        i += 64
        if i == end:
            break
    mul = _K1 + ((z & 0xFF) << 1)
    i = last64
    w = ((w[0] + ((n - 1) & 63)) & _M64, w[1])
    v = ((v[0] + w[0]) & _M64, v[1])
    w = ((w[0] + v[0]) & _M64, w[1])
    x = (_rotr((x + y + v[0] + _fetch64(s, i + 8)) & _M64, 37) * mul) & _M64
    y = (_rotr((y + v[1] + _fetch64(s, i + 48)) & _M64, 42) * mul) & _M64
    x ^= (w[1] * 9) & _M64
    y = (y + v[0] * 9 + _fetch64(s, i + 40)) & _M64
    z = (_rotr((z + w[0]) & _M64, 33) * mul) & _M64
    v = _weak32(s, i, (v[1] * mul) & _M64, (x + w[0]) & _M64)
    w = _weak32(s, i + 32, (z + w[1]) & _M64, (y + _fetch64(s, i + 16)) & _M64)
    z, x = x, z
    return _len16(
        (_len16(v[0], w[0], mul) + _shift_mix(y) * _K0 + z) & _M64,
        (_len16(v[1], w[1], mul) + x) & _M64,
        mul,
    )


def _rotl(v: int, shift: int) -> int:
    return ((v << shift) | (v >> (64 - shift))) & _M64


def siphash24(key: tuple[int, int], s: bytes) -> int:
    """SipHash-2-4 keyed by two 64-bit words (TF's `StrongKeyedHash`)."""
    k0, k1 = key[0] & _M64, key[1] & _M64
    v = [
        k0 ^ 0x736F6D6570736575,
        k1 ^ 0x646F72616E646F6D,
        k0 ^ 0x6C7967656E657261,
        k1 ^ 0x7465646279746573,
    ]

    def rounds(count):
        for _ in range(count):
            v[0] = (v[0] + v[1]) & _M64
            v[1] = _rotl(v[1], 13) ^ v[0]
            v[0] = _rotl(v[0], 32)
            v[2] = (v[2] + v[3]) & _M64
            v[3] = _rotl(v[3], 16) ^ v[2]
            v[0] = (v[0] + v[3]) & _M64
            v[3] = _rotl(v[3], 21) ^ v[0]
            v[2] = (v[2] + v[1]) & _M64
            v[1] = _rotl(v[1], 17) ^ v[2]
            v[2] = _rotl(v[2], 32)

    n = len(s)
    full = n - n % 8
    for i in range(0, full, 8):
        m = _fetch64(s, i)
        v[3] ^= m
        rounds(2)
        v[0] ^= m
    m = int.from_bytes(s[full:], "little") | ((n & 0xFF) << 56)
    v[3] ^= m
    rounds(2)
    v[0] ^= m
    v[2] ^= 0xFF
    rounds(4)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def _int64_like_input(specs, attrs, static_values):
    return [Spec(specs[0].shape, np.dtype(np.int64))]


def _buckets(input, hash_fn, num_buckets: int) -> np.ndarray:
    strings = np.asarray(input, dtype=object)
    flat = [hash_fn(_as_bytes(s)) % num_buckets for s in strings.reshape(-1)]
    return np.asarray(flat, dtype=np.int64).reshape(strings.shape)


# Feature strings repeat from batch to batch (vocabularies, feature columns' hash buckets
# and crosses): their pure-Python fingerprints are worth keeping.
cached_fingerprint64 = functools.lru_cache(maxsize=1 << 16)(fingerprint64)


@register("StringToHashBucketFast", kind=HOST, shape=_int64_like_input)
def string_to_hash_bucket_fast(input, *, num_buckets: int):
    return _buckets(input, cached_fingerprint64, num_buckets)


@register("StringToHashBucket", kind=HOST, shape=_int64_like_input)
def string_to_hash_bucket(string_tensor, *, num_buckets: int):
    return _buckets(string_tensor, hash64, num_buckets)


@register("StringToHashBucketStrong", kind=HOST, shape=_int64_like_input)
def string_to_hash_bucket_strong(input, *, num_buckets: int, key: tuple = (0, 0)):
    return _buckets(input, lambda s: siphash24(key, s), num_buckets)


# -- splitting ----------------------------------------------------------------------------------


def _split_shape(specs, attrs, static_values):
    return [
        Spec((None, 2), np.dtype(np.int64)),
        Spec((None,), _STRING),
        Spec((2,), np.dtype(np.int64)),
    ]


def _to_sparse(rows: list[list[bytes]]):
    indices = [(i, j) for i, row in enumerate(rows) for j in range(len(row))]
    values = np.empty(len(indices), dtype=object)
    values[:] = [tok for row in rows for tok in row]
    width = max((len(row) for row in rows), default=0)
    return (
        np.asarray(indices, np.int64).reshape(-1, 2),
        values,
        np.asarray([len(rows), width], np.int64),
    )


def _vector_and_scalar(input, sep, sep_name: str):
    input, sep = np.asarray(input, dtype=object), np.asarray(sep, dtype=object)
    if input.ndim != 1:
        raise InvalidArgumentError(
            None, None, f"input must be a vector, got shape: {list(input.shape)}"
        )
    if sep.ndim != 0:
        raise InvalidArgumentError(
            None, None, f"{sep_name} must be a scalar, got shape: {list(sep.shape)}"
        )
    return [_as_bytes(s) for s in input], _as_bytes(sep[()])


@register("StringSplit", kind=HOST, shape=_split_shape)
def string_split(input, delimiter, *, skip_empty: bool = True):
    texts, delim = _vector_and_scalar(input, delimiter, "delimiter")
    rows = []
    for text in texts:
        if not delim:
            tokens = [text[i : i + 1] for i in range(len(text))]
        else:
            tokens = re.split(b"[" + re.escape(delim) + b"]", text)
        rows.append([t for t in tokens if t or not skip_empty])
    return _to_sparse(rows)


@register("StringSplitV2", kind=HOST, shape=_split_shape)
def string_split_v2(input, sep, *, maxsplit: int = -1):
    texts, sep = _vector_and_scalar(input, sep, "sep")
    # Python's str.split: no sep splits on runs of whitespace; a sep splits on each occurrence.
    rows = [t.split(sep or None, maxsplit) for t in texts]
    return _to_sparse(rows)


# -- substrings and lengths ---------------------------------------------------------------------


def _substr_shape(specs, attrs, static_values):
    a, b = specs[0].shape, merge_shapes((specs[1].shape, specs[2].shape))
    if a is None or b is None:
        return [Spec(None, _STRING)]
    if len(b) == 0:
        return [Spec(a, _STRING)]
    return [Spec(broadcast_shapes(a, b), _STRING)]


def broadcast_shapes(a: tuple, b: tuple) -> tuple:
    out = []
    for x, y in zip((1,) * (len(b) - len(a)) + tuple(a), (1,) * (len(a) - len(b)) + tuple(b)):
        if x == 1 or y == 1 or x is None or y is None or x == y:
            out.append(y if x == 1 else x if y == 1 else x if x is not None else y)
        else:
            raise ValueError(f"Incompatible shapes: {list(a)} vs. {list(b)}")
    return tuple(out)


def _is_trail(byte: int) -> bool:
    return (byte & 0xC0) == 0x80


def _forward_chars(s: bytes, count: int, pos: int) -> tuple[bool, int]:
    counted = 0
    while counted < count and pos < len(s):
        pos += 1
        while pos < len(s) and _is_trail(s[pos]):
            pos += 1
        counted += 1
    return counted == count, pos


def _back_chars(s: bytes, count: int, pos: int) -> tuple[bool, int]:
    counted = 0
    while counted < count and pos > 0:
        pos -= 1
        while pos > 0 and _is_trail(s[pos]):
            pos -= 1
        counted += 1
    return counted == count, pos


def _utf8_span(s: bytes, pos: int, length: int) -> tuple[int, int] | None:
    # TF's UpdatePosAndLenForUtf8: the byte start and end of `length` chars from char `pos`.
    if pos >= 0:
        ok, start = _forward_chars(s, pos, 0)
        if not ok:
            return None
        return start, _forward_chars(s, max(length, 0), start)[1]
    skip = max(-pos - length, 0)
    ok, end = _back_chars(s, skip, len(s))
    if not ok:
        return None
    ok, start = _back_chars(s, -pos - skip, end)
    return (start, end) if ok else None


builtins_len = len  # Substr's input is named `len`


@register("Substr", kind=HOST, shape=_substr_shape)
def substr(input, pos, len, *, unit: str = "BYTE"):
    input, pos, length = np.asarray(input, dtype=object), np.asarray(pos), np.asarray(len)
    if pos.shape != length.shape:
        raise InvalidArgumentError(
            None,
            None,
            f"pos and len should have the same shape, got: {list(pos.shape)} vs. "
            f"{list(length.shape)}",
        )
    try:
        shape = np.broadcast_shapes(input.shape, pos.shape)
    except ValueError:
        raise InvalidArgumentError(
            None, None, f"Incompatible shapes: {list(input.shape)} vs. {list(pos.shape)}"
        ) from None
    out = np.empty(shape, dtype=object)
    it = np.nditer(
        [
            np.broadcast_to(input, shape),
            np.broadcast_to(pos, shape),
            np.broadcast_to(length, shape),
        ],
        flags=["refs_ok", "multi_index", "zerosize_ok"],
    )
    for s, p, n in it:
        s, p, n = _as_bytes(s[()]), int(p), int(n)
        where = it.multi_index
        if unit == "UTF8_CHAR":
            span = _utf8_span(s, p, n)
            if span is None:
                raise InvalidArgumentError(
                    None,
                    None,
                    f"pos {p} out of range for string at index {_index(where, shape, pos)}",
                )
            out[where] = s[span[0] : span[1]]
            continue
        start = p + builtins_len(s) if p < 0 else p
        if not 0 <= start <= builtins_len(s):
            raise InvalidArgumentError(
                None,
                None,
                f"pos {p} out of range for string b'{s.decode(errors='replace')}' "
                f"at index {_index(where, shape, pos)}",
            )
        out[where] = s[start:] if n < 0 else s[start : start + n]
    return out


def _index(index: tuple, shape: tuple, pos: np.ndarray) -> str:
    """Where Substr failed, as TF's kernel says it: the flat index unless broadcasting."""
    if pos.ndim == 0 or pos.shape == shape:
        return str(int(np.ravel_multi_index(index, shape))) if shape else "0"
    return "(" + ", ".join(str(i) for i in index) + ")"


def _same_shape_string(specs, attrs, static_values):
    return [Spec(specs[0].shape, _STRING)]


def _int32_like_input(specs, attrs, static_values):
    return [Spec(specs[0].shape, np.dtype(np.int32))]


def _map(input, fn, dtype=object) -> np.ndarray:
    strings = np.asarray(input, dtype=object)
    out = np.empty(strings.shape, dtype=dtype)
    flat = out.reshape(-1)
    for i, s in enumerate(strings.reshape(-1)):
        flat[i] = fn(_as_bytes(s))
    return out


@register("StringLength", kind=HOST, shape=_int32_like_input)
def string_length(input, *, unit: str = "BYTE"):
    if unit == "UTF8_CHAR":
        return _map(input, lambda s: sum(not _is_trail(b) for b in s), np.int32)
    return _map(input, builtins_len, np.int32)


@register("StringLower", kind=HOST, shape=_same_shape_string)
def string_lower(input, *, encoding: str = ""):
    if encoding:
        return _map(input, lambda s: s.decode("utf-8", "replace").lower().encode())
    return _map(input, bytes.lower)


@register("StringUpper", kind=HOST, shape=_same_shape_string)
def string_upper(input, *, encoding: str = ""):
    if encoding:
        return _map(input, lambda s: s.decode("utf-8", "replace").upper().encode())
    return _map(input, bytes.upper)


@register("StringStrip", kind=HOST, shape=_same_shape_string)
def string_strip(input):
    return _map(input, bytes.strip)


# -- regular expressions ------------------------------------------------------------------------


def _compile(pattern) -> re.Pattern:
    pattern = _as_bytes(np.asarray(pattern, dtype=object)[()])
    try:
        return re.compile(pattern)
    except re.error as e:
        raise InvalidArgumentError(
            None, None, f"Invalid pattern: {pattern.decode(errors='replace')}, error: {e}"
        ) from None


def _rewriter(rewrite: bytes):
    # RE2's rewrite strings: \0-\9 name groups, \\ is a backslash; everything else is literal.
    parts = re.split(rb"(\\[0-9\\])", rewrite)

    def replace(match):
        out = []
        for p in parts:
            if len(p) == 2 and p[0:1] == b"\\":
                out.append(b"\\" if p == b"\\\\" else match.group(int(p[1:])) or b"")
            else:
                out.append(p)
        return b"".join(out)

    return replace


def _regex_replace(input, pattern: re.Pattern, rewrite: bytes, replace_global: bool):
    fn = _rewriter(rewrite)
    return _map(input, lambda s: pattern.sub(fn, s, count=0 if replace_global else 1))


@register("RegexReplace", kind=HOST, shape=_same_shape_string)
def regex_replace(input, pattern, rewrite, *, replace_global: bool = True):
    rewrite = _as_bytes(np.asarray(rewrite, dtype=object)[()])
    return _regex_replace(input, _compile(pattern), rewrite, replace_global)


@register("StaticRegexReplace", kind=HOST, shape=_same_shape_string)
def static_regex_replace(input, *, pattern: str, rewrite: str, replace_global: bool = True):
    return _regex_replace(input, _compile(pattern.encode()), rewrite.encode(), replace_global)


def _bool_like_input(specs, attrs, static_values):
    return [Spec(specs[0].shape, np.dtype(bool))]


@register("RegexFullMatch", kind=HOST, shape=_bool_like_input)
def regex_full_match(input, pattern):
    compiled = _compile(pattern)
    return _map(input, lambda s: compiled.fullmatch(s) is not None, bool)


@register("StaticRegexFullMatch", kind=HOST, shape=_bool_like_input)
def static_regex_full_match(input, *, pattern: str):
    return regex_full_match(input, np.asarray(pattern.encode(), dtype=object))


# -- numbers ------------------------------------------------------------------------------------

_FLOAT = re.compile(
    rb"\s*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)\s*", re.IGNORECASE
)
_INT = re.compile(rb"\s*[+-]?\d+\s*")


def _to_number_shape(specs, attrs, static_values):
    return [Spec(specs[0].shape, np.dtype(attrs.get("out_type", np.float32)))]


@register("StringToNumber", kind=HOST, shape=_to_number_shape)
def string_to_number(string_tensor, *, out_type=np.float32):
    dtype = np.dtype(out_type)
    integer = dtype.kind == "i"
    info = np.iinfo(dtype) if integer else None

    def convert(s: bytes):
        ok = (_INT if integer else _FLOAT).fullmatch(s)
        value = (int(s) if integer else float(s)) if ok else None
        if value is None or (integer and not info.min <= value <= info.max):
            raise InvalidArgumentError(
                None,
                None,
                "StringToNumberOp could not correctly convert string: "
                + s.decode(errors="replace"),
            )
        return value

    return _map(string_tensor, convert).astype(dtype)


# -- joining along axes -------------------------------------------------------------------------


def _reduce_join_shape(specs, attrs, static_values):
    shape, axes = specs[0].shape, static_values[1]
    if shape is None or axes is None:
        return [Spec(None, _STRING)]
    axes = _reduce_axes(shape, np.asarray(axes), ValueError)
    if attrs.get("keep_dims", False):
        return [Spec(tuple(1 if i in axes else d for i, d in enumerate(shape)), _STRING)]
    return [Spec(tuple(d for i, d in enumerate(shape) if i not in axes), _STRING)]


def _reduce_axes(shape, axes, error) -> list[int]:
    rank, out = len(shape), []
    for a in axes.reshape(-1).tolist():
        if not -rank <= a < rank:
            msg = f"Invalid reduction dimension {a} for input with {rank} dimensions"
            raise error(msg) if error is ValueError else error(None, None, msg)
        a = a % rank
        if a in out:
            msg = f"Duplicate reduction dimension {a}"
            raise error(msg) if error is ValueError else error(None, None, msg)
        out.append(a)
    return out


@register("ReduceJoin", kind=HOST, static=("reduction_indices",), shape=_reduce_join_shape)
def reduce_join(inputs, reduction_indices, *, keep_dims: bool = False, separator: str = ""):
    array = np.asarray(inputs, dtype=object)
    axes = _reduce_axes(array.shape, np.asarray(reduction_indices), InvalidArgumentError)
    sep = separator.encode()
    for axis in axes:  # in the order given: TF joins dimension by dimension
        moved = np.moveaxis(array, axis, -1)
        joined = np.empty(moved.shape[:-1], dtype=object)
        flat_in = moved.reshape(-1, moved.shape[-1])
        flat = joined.reshape(-1)
        for i in range(flat.size):
            flat[i] = sep.join(_as_bytes(s) for s in flat_in[i])
        array = np.expand_dims(joined, axis)
    if not keep_dims:
        array = array.reshape([d for i, d in enumerate(array.shape) if i not in axes])
    return array


# -- base64 (web-safe alphabet) -----------------------------------------------------------------


@register("EncodeBase64", kind=HOST, shape=_same_shape_string)
def encode_base64(input, *, pad: bool = False):
    def encode(s: bytes) -> bytes:
        out = base64.urlsafe_b64encode(s)
        return out if pad else out.rstrip(b"=")

    return _map(input, encode)


@register("DecodeBase64", kind=HOST, shape=_same_shape_string)
def decode_base64(input):
    def decode(s: bytes) -> bytes:
        body = s.rstrip(b"=")
        if len(s) % 4 == 1:  # TF checks the length before the characters
            raise InvalidArgumentError(None, None, "Base64 string length cannot be 1 modulo 4.")
        if (
            len(body) % 4 == 1
            or not re.fullmatch(rb"[A-Za-z0-9_-]*={0,2}", s)
            or (len(s) > len(body) and len(s) % 4)
        ):
            raise InvalidArgumentError(None, None, "Invalid character found in base64.")
        return base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4))

    return _map(input, decode)


# -- unicode ------------------------------------------------------------------------------------
# TF decodes with ICU; Python's codecs cut malformed input into the same maximal invalid
# subsequences (Unicode's recommended practice), so each becomes one error.

UNICODE_CODECS = {"UTF-8": "utf-8", "UTF-16-BE": "utf-16-be", "UTF-32-BE": "utf-32-be"}


def _decode_one(data: bytes, encoding: str, errors: str, replacement: int, control: bool):
    """The code points of `data` and the byte offset where each starts."""
    codec, chars, starts, pos = UNICODE_CODECS[encoding], [], [], 0
    while pos < len(data):
        try:
            text, bad = data[pos:].decode(codec), None
        except UnicodeDecodeError as e:
            text, bad = data[pos : pos + e.start].decode(codec), (pos + e.start, pos + e.end)
        for ch in text:
            c = ord(ch)
            if control and c <= 0x1F:  # TF replaces the C0 controls, or drops them ("ignore")
                c = None if errors == "ignore" else replacement
            if c is not None:
                chars.append(c)
                starts.append(pos)
            pos += len(ch.encode(codec))
        if bad is not None:
            if errors == "strict":
                raise InvalidArgumentError(None, None, "Invalid formatting on input string")
            if errors == "replace":
                chars.append(replacement)
                starts.append(bad[0])
            pos = bad[1]
    return chars, starts


def _decode_all(input, input_encoding, errors, replacement_char, replace_control_characters):
    rows = [
        _decode_one(
            _as_bytes(s), input_encoding, errors, replacement_char, replace_control_characters
        )
        for s in np.asarray(input, dtype=object).reshape(-1)
    ]
    splits = np.cumsum([0] + [len(chars) for chars, _ in rows], dtype=np.int64)
    chars = np.array([c for row, _ in rows for c in row], np.int32)
    starts = np.array([s for _, row in rows for s in row], np.int64)
    return splits, chars, starts


def _unicode_decode_shape(outputs: int):
    """Row splits, then `outputs - 1` vectors: char values (int32) and byte starts (int64)."""

    def shape(specs, attrs, static_values):
        shape, splits = specs[0].shape, np.dtype(attrs.get("Tsplits", np.int64))
        nrows = None if shape is None or None in shape else int(np.prod(shape))
        rows = Spec((None if nrows is None else nrows + 1,), splits)
        values = [Spec((None,), np.dtype(t)) for t in (np.int32, np.int64)[: outputs - 1]]
        return [rows, *values]

    return shape


@register("UnicodeDecode", kind=HOST, shape=_unicode_decode_shape(2))
def unicode_decode(
    input,
    *,
    input_encoding: str,
    errors: str = "replace",
    replacement_char: int = 0xFFFD,
    replace_control_characters: bool = False,
    Tsplits=np.int64,
):
    splits, chars, _ = _decode_all(
        input, input_encoding, errors, replacement_char, replace_control_characters
    )
    return splits.astype(Tsplits), chars


@register("UnicodeDecodeWithOffsets", kind=HOST, shape=_unicode_decode_shape(3))
def unicode_decode_with_offsets(
    input,
    *,
    input_encoding: str,
    errors: str = "replace",
    replacement_char: int = 0xFFFD,
    replace_control_characters: bool = False,
    Tsplits=np.int64,
):
    splits, chars, starts = _decode_all(
        input, input_encoding, errors, replacement_char, replace_control_characters
    )
    return splits.astype(Tsplits), chars, starts


def _encode_one(codes, encoding: str, errors: str, replacement: int) -> bytes:
    chars = []
    for c in codes:
        if not (0 <= c < 0xD800 or 0xDFFF < c <= 0x10FFFF):
            if errors == "strict":
                raise InvalidArgumentError(
                    None, None, "Code point is out of range for Unicode, or is a surrogate."
                )
            if errors == "ignore":
                continue
            c = replacement
        chars.append(chr(c))
    # surrogatepass: a surrogate replacement_char is written as is (TF allows any code point)
    return "".join(chars).encode(UNICODE_CODECS[encoding], "surrogatepass")


def _unicode_encode_shape(specs, attrs, static_values):
    shape = specs[1].shape
    rows = None if shape is None or shape[0] is None else shape[0] - 1
    return [Spec((rows,), _STRING)]


@register("UnicodeEncode", kind=HOST, shape=_unicode_encode_shape)
def unicode_encode(
    input_values,
    input_splits,
    *,
    output_encoding: str,
    errors: str = "replace",
    replacement_char: int = 0xFFFD,
):
    values, splits = np.asarray(input_values).tolist(), np.asarray(input_splits).tolist()
    if not splits or splits[0] != 0 or splits[-1] != len(values) or splits != sorted(splits):
        raise InvalidArgumentError(
            None, None, f"input_splits {splits} do not partition {len(values)} input_values"
        )
    out = np.empty(len(splits) - 1, dtype=object)
    for i, (start, limit) in enumerate(zip(splits[:-1], splits[1:])):
        out[i] = _encode_one(values[start:limit], output_encoding, errors, replacement_char)
    return out


@register("UnicodeTranscode", kind=HOST, shape=_same_shape_string)
def unicode_transcode(
    input,
    *,
    input_encoding: str,
    output_encoding: str,
    errors: str = "replace",
    replacement_char: int = 0xFFFD,
    replace_control_characters: bool = False,
):
    def transcode(data: bytes) -> bytes:
        codes, _ = _decode_one(
            data, input_encoding, errors, replacement_char, replace_control_characters
        )
        return _encode_one(codes, output_encoding, errors, replacement_char)

    return _map(input, transcode)
