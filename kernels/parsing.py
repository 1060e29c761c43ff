"""Parsing kernels (host): CSV, raw bytes, tf.train.Example / SequenceExample, TensorProto."""

from __future__ import annotations

import base64
import itertools
import math
import re

import ml_dtypes
import numpy as np
from google.protobuf.message import DecodeError
from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2, types_pb2

from kernels import example_layout
from kernels.errors import InvalidArgumentError
from kernels.example_proto import Example, SequenceExample
from kernels.registry import HOST, Spec, register

_STRING = np.dtype(object)
_INT64 = np.dtype(np.int64)
_FLOAT32 = np.dtype(np.float32)


def _error(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, None, message)


# -- DecodeCSV ----------------------------------------------------------------------------------


def _decode_csv_shape(specs, attrs, static_values):
    for spec in specs[1:]:
        if spec.shape is not None and (
            len(spec.shape) > 1 or spec.shape[:1] not in ((), (0,), (1,), (None,))
        ):
            raise ValueError(
                "Shape of a default must be a length-0 or length-1 vector, or a scalar."
            )
    return [Spec(specs[0].shape, spec.dtype) for spec in specs[1:]]


@register("DecodeCSV", kind=HOST, shape=_decode_csv_shape)
def decode_csv(
    records,
    *record_defaults,
    OUT_TYPE=(),
    field_delim: str = ",",
    use_quote_delim: bool = True,
    na_value: str = "",
    select_cols=(),
):
    records = np.asarray(records, dtype=object)
    delim, na = field_delim.encode(), na_value.encode()
    defaults = [np.asarray(d).reshape(-1) for d in record_defaults]
    fast = None if select_cols else _decode_csv_batch(records, delim, na, defaults)
    if fast is not None:
        return fast
    outputs = [np.empty(records.shape, d.dtype) for d in defaults]
    flat_out = [o.reshape(-1) for o in outputs]
    with np.errstate(over="ignore"):  # a float too large for float32 becomes inf, as in TF
        for i, record in enumerate(records.reshape(-1)):
            fields = _csv_fields(record, delim, use_quote_delim, tuple(select_cols))
            if len(fields) != len(defaults):
                raise _error(f"Expect {len(defaults)} fields but have {len(fields)} in record {i}")
            for f, (field, default) in enumerate(zip(fields, defaults)):
                flat_out[f][i] = _csv_value(field, default, na, f, i)
    return tuple(outputs)


_PLAIN_FIELDS = re.compile(rb'["\r\n_]')  # quotes, line ends, digit separators: per record


def _decode_csv_batch(records, delim: bytes, na: bytes, defaults) -> tuple | None:
    """DecodeCSV of plain records (every field present) one column at a time, converted by
    numpy; None where a record needs the per-record path (its errors and defaults)."""
    flat = records.reshape(-1).tolist()
    if not flat or any(_PLAIN_FIELDS.search(r) for r in flat):
        return None
    rows = [r.split(delim) for r in flat]
    if any(len(row) != len(defaults) for row in rows):
        return None
    outputs = []
    for column, default in zip(zip(*rows), defaults):
        if b"" in column or (na and na in column):
            return None
        outputs.append(_csv_column(column, default.dtype))
        if outputs[-1] is None:
            return None
    return tuple(o.reshape(records.shape) for o in outputs)


def _csv_column(column, dtype: np.dtype) -> np.ndarray | None:
    if dtype == _STRING:
        out = np.empty(len(column), _STRING)
        out[:] = column
        return out
    try:
        with np.errstate(over="ignore"):
            return np.array(column, dtype="S").astype(dtype)
    except (ValueError, OverflowError):
        return None


def _csv_value(field: bytes, default: np.ndarray, na: bytes, f: int, i: int):
    if not field or field == na:
        if default.size != 1:
            raise _error(f"Field {f} is required but missing in record {i}!")
        return default[0]
    if default.dtype == _STRING:
        return field
    try:
        return _parse_number(field, default.dtype)
    except ValueError:
        name = {"float32": "float", "float64": "double"}.get(default.dtype.name, default.dtype.name)
        raise _error(
            f"Field {f} in record {i} is not a valid {name}: {field.decode(errors='replace')}"
        ) from None


_INTEGER = re.compile(rb"\s*[+-]?\d+\s*")
_FLOAT = re.compile(
    rb"\s*[+-]?(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?|inf|infinity|nan)\s*", re.IGNORECASE
)
_HEX_FLOAT = re.compile(rb"\s*[+-]?0x[0-9a-f]+(\.[0-9a-f]*)?(p[+-]?\d+)?\s*", re.IGNORECASE)


def _parse_number(text: bytes, dtype: np.dtype):
    """TF's safe_strto32/64 and safe_strtof/d: surrounding spaces allowed, nothing else."""
    if dtype.kind == "i":
        if not _INTEGER.fullmatch(text):
            raise ValueError(text)
        value = int(text)
        info = np.iinfo(dtype)
        if not info.min <= value <= info.max:
            raise ValueError(text)
        return value
    if _HEX_FLOAT.fullmatch(text):
        return float.fromhex(text.decode())
    if not _FLOAT.fullmatch(text):
        raise ValueError(text)
    return float(text)


def _csv_fields(record: bytes, delim: bytes, quoted: bool, select_cols: tuple) -> list[bytes]:
    if not record:
        return []
    if (b'"' in record and quoted) or b"\n" in record or b"\r" in record:
        return _csv_fields_slow(record, delim[0], quoted, select_cols)
    fields = record.split(delim)
    if not select_cols:
        return fields
    return [fields[c] for c in select_cols if c < len(fields)]


def _csv_fields_slow(record: bytes, delim: int, use_quote: bool, select_cols: tuple) -> list:
    # TF's DecodeCSVOp::ExtractFields, step by step (quotes, escaped quotes, CR/LF skipping).
    quote, n = ord('"'), len(record)
    fields, i, parsed = [], 0, 0
    while i < n:
        if record[i] in b"\r\n":
            i += 1
            continue
        include = not select_cols or select_cols[len(fields)] == parsed
        field = bytearray()
        if use_quote and record[i] == quote:
            i += 1
            while i < n - 1 and (record[i] != quote or record[i + 1] != delim):
                if record[i] != quote:
                    field.append(record[i])
                    i += 1
                elif record[i + 1] == quote:
                    field.append(quote)
                    i += 2
                else:
                    raise _error("Quote inside a string has to be escaped by another quote")
            if not (i < n and record[i] == quote and (i == n - 1 or record[i + 1] == delim)):
                raise _error("Quoted field has to end with quote followed by delim or end")
            i += 2
        else:
            while i < n and record[i] != delim:
                if (use_quote and record[i] == quote) or record[i] in b"\r\n":
                    raise _error("Unquoted fields cannot have quotes/CRLFs inside")
                field.append(record[i])
                i += 1
            i += 1
        parsed += 1
        if include:
            fields.append(bytes(field))
            if select_cols and len(fields) == len(select_cols):
                return fields
    if record[-1] == delim and (not select_cols or select_cols[len(fields)] == parsed):
        fields.append(b"")
    return fields


# -- DecodeRaw ----------------------------------------------------------------------------------


def _decode_raw_shape(specs, attrs, static_values):
    shape = specs[0].shape
    return [Spec(None if shape is None else (*shape, None), np.dtype(attrs["out_type"]))]


@register("DecodeRaw", kind=HOST, shape=_decode_raw_shape)
def decode_raw(bytes, *, out_type, little_endian: bool = True):
    strings = np.asarray(bytes, dtype=object)
    dtype = np.dtype(out_type)
    flat = strings.reshape(-1)
    width = len(flat[0]) if flat.size else 0
    for i, s in enumerate(flat):
        if len(s) != width:
            raise _error(
                "DecodeRaw requires input strings to all be the same size, but element "
                f"{i} has size {width} != {len(s)}"
            )
    if width % dtype.itemsize:
        raise _error(
            f"Input to DecodeRaw has length {width} that is not a multiple of "
            f"{dtype.itemsize}, the size of {_type_name(dtype)}"
        )
    source = dtype.newbyteorder("<" if little_endian else ">")
    out = np.frombuffer(b"".join(flat), source).astype(dtype)
    return out.reshape(*strings.shape, width // dtype.itemsize)


# -- tf.train.Example ---------------------------------------------------------------------------

_KIND = {_INT64: "int64_list", np.dtype(np.float32): "float_list", _STRING: "bytes_list"}
_KIND_TYPE = {"int64_list": "int64", "float_list": "float", "bytes_list": "string"}


def _type_name(dtype: np.dtype) -> str:
    return {"float32": "float", "float64": "double", "object": "string"}.get(dtype.name, dtype.name)


def _parse_proto(cls, serialized: bytes):
    try:
        return cls.FromString(serialized)
    except DecodeError:
        shown = serialized[:64].decode(errors="replace")
        raise _error(f"Could not parse example input, value: '{shown}'") from None


def _feature_values(feature, dtype: np.dtype, where: str) -> list:
    """The values of one Feature proto, which must hold `dtype` (or nothing)."""
    kind = feature.WhichOneof("kind")
    if kind is None:
        return []
    if kind != _KIND[dtype]:
        raise _error(
            f"{where}.  Data types don't match. Data type: {_KIND_TYPE[kind]} but expected "
            f"type: {_type_name(dtype)}"
        )
    return getattr(feature, kind).value


def _to_array(values, dtype: np.dtype) -> np.ndarray:
    if dtype == _STRING:
        out = np.empty(len(values), _STRING)
        out[:] = list(values)
        return out
    return np.fromiter(values, dtype, len(values))


class _Dense:
    """How to fill one dense output: key, dtype, shape (first dim None: padded) and default."""

    def __init__(self, key: str, dtype, shape, default):
        self.key, self.dtype, self.shape = key, np.dtype(dtype), tuple(shape)
        self.default = np.asarray(default, self.dtype)
        self.padded = bool(self.shape) and self.shape[0] is None
        self.row = math.prod(self.shape[1:] if self.padded else self.shape)

    def value(self, features, prefix: str, index: int, label: str) -> np.ndarray:
        """The feature's values in one example, reshaped (rows unknown when padded)."""
        feature = features.get(self.key)
        if feature is None:
            if self.padded:
                return np.empty((0, *self.shape[1:]), self.dtype)
            if self.default.size == 0:
                raise _error(
                    f"{prefix}{label}: {self.key} (data type: {_type_name(self.dtype)}) is "
                    "required but could not be found."
                )
            return self.default.reshape(self.shape)
        where = f"{prefix}Key: {self.key}, Index: {index}"
        values = _to_array(_feature_values(feature, self.dtype, where), self.dtype)
        if self.padded:
            if self.row and values.size % self.row:
                dims = ",".join(str(d) for d in self.shape[1:])
                raise _error(
                    f"{where}.  Number of {_type_name(self.dtype)} values is not a multiple of "
                    f"stride length. Saw {values.size} values but output shape is: [?,{dims}]"
                )
            return values.reshape(-1, *self.shape[1:])
        if values.size != self.row:
            raise _error(
                f"{where}.  Number of {_type_name(self.dtype)} values != expected.  Values "
                f"size: {values.size} but output shape: {list(self.shape)}"
            )
        return values.reshape(self.shape)

    def stack(self, values: list[np.ndarray]) -> np.ndarray:
        """One example's values, or a batch's stacked (padded rows filled with the default)."""
        if not self.padded:
            return np.stack(values) if values else np.empty((0, *self.shape), self.dtype)
        rows = max((len(v) for v in values), default=0)
        pad = self.default.reshape(-1)[0] if self.default.size else _zero(self.dtype)
        out = np.full((len(values), rows, *self.shape[1:]), pad, self.dtype)
        for b, v in enumerate(values):
            out[b, : len(v)] = v
        return out


def _zero(dtype: np.dtype):
    return b"" if dtype == _STRING else dtype.type(0)


def _sparse(rows: list, dtype: np.dtype, batch_shape: tuple) -> tuple:
    """COO indices, values and dense shape of ragged `rows` (one list of values per entry of
    the flattened `batch_shape`): indices are (*batch index, position)."""
    lengths = [len(r) for r in rows]
    total = sum(lengths)
    values = _to_array([v for r in rows for v in r], dtype) if total else np.empty(0, dtype)
    positions = np.concatenate([np.arange(n) for n in lengths]) if total else np.empty(0, int)
    owners = np.repeat(np.arange(len(rows)), lengths)
    batch = np.stack(np.unravel_index(owners, batch_shape), axis=1) if batch_shape else None
    columns = [positions[:, None]] if batch is None else [batch, positions[:, None]]
    indices = np.concatenate(columns, axis=1).astype(np.int64)
    shape = np.array([*batch_shape, max(lengths, default=0)], np.int64)
    return indices, values, shape


def _sparse_rows(features_list, key: str, dtype: np.dtype, prefixes) -> list:
    rows = []
    for index, (features, prefix) in enumerate(zip(features_list, prefixes)):
        feature = features.get(key)
        where = f"{prefix}Key: {key}, Index: {index}"
        rows.append([] if feature is None else _feature_values(feature, dtype, where))
    return rows


def _parse_features(features_list, prefixes, sparse, dense, batch_shape, label="Feature"):
    """ParseExample's outputs: sparse indices, values, shapes, then dense values."""
    parts = [
        _sparse(_sparse_rows(features_list, k, t, prefixes), t, batch_shape) for k, t in sparse
    ]
    dense_values = []
    for d in dense:
        values = [d.value(f, p, i, label) for i, (f, p) in enumerate(zip(features_list, prefixes))]
        stacked = d.stack(values)
        dense_values.append(stacked.reshape((*batch_shape, *stacked.shape[1:])))
    return (*(p for group in zip(*parts) for p in group), *dense_values)


def _example_specs(batch: tuple | None, sparse_types, Tdense, dense_shapes) -> list[Spec]:
    rank = None if batch is None else len(batch) + 1
    n = len(sparse_types)
    specs = [Spec((None, rank), _INT64)] * n
    specs += [Spec((None,), np.dtype(t)) for t in sparse_types]
    specs += [Spec((rank,), _INT64)] * n
    for t, shape in zip(Tdense, dense_shapes):
        specs.append(Spec(None if batch is None else (*batch, *shape), np.dtype(t)))
    return specs


def _parse_example_shape(specs, attrs, static_values):
    shape = specs[0].shape
    if shape is not None and len(shape) != 1:
        raise ValueError(f"Shape must be rank 1 but is rank {len(shape)}")
    batch = None if shape is None else shape
    return _example_specs(batch, attrs["sparse_types"], attrs["Tdense"], attrs["dense_shapes"])


@register("ParseExample", kind=HOST, shape=_parse_example_shape)
def parse_example(
    serialized, names, *keys_and_defaults, Nsparse, Ndense, sparse_types, Tdense, dense_shapes
):
    sparse_keys = [_key(k) for k in keys_and_defaults[:Nsparse]]
    dense_keys = [_key(k) for k in keys_and_defaults[Nsparse : Nsparse + Ndense]]
    defaults = keys_and_defaults[Nsparse + Ndense :]
    serialized = np.asarray(serialized, dtype=object)
    if not Nsparse and serialized.ndim == 1:
        # Dense float32/int64 features of records laid out alike are read with numpy
        # (else, and where the records differ, they are parsed record by record).
        plain = _plain_dense(dense_keys, Tdense, dense_shapes)
        if plain is not None:
            values = example_layout.parse_dense(serialized.tolist(), plain)
            if values is not None:
                return tuple(values)
    dense = [_Dense(*args) for args in zip(dense_keys, Tdense, dense_shapes, defaults)]
    sparse = list(zip(sparse_keys, map(np.dtype, sparse_types)))
    try:
        features = [Example.FromString(s).features.feature for s in serialized]
    except (DecodeError, TypeError):
        features = None
    fast = None if features is None else _parse_batch(features, sparse, dense)
    if fast is not None:
        return fast
    names = np.asarray(names, dtype=object).reshape(-1)
    prefixes = [
        f"Name: {names[i].decode() if names.size else '<unknown>'}, "
        for i in range(serialized.shape[0])
    ]
    features = [_parse_proto(Example, s).features.feature for s in serialized]
    return _parse_features(features, prefixes, sparse, dense, serialized.shape)


def _plain_dense(keys, types, shapes) -> list | None:
    """`example_layout.parse_dense`'s (key, dtype, shape) of each dense feature where all
    are float32 or int64 of fully defined shapes (None otherwise), known without building
    a `_Dense` each (~5 us a batch)."""
    plain = []
    for key, dtype, shape in zip(keys, types, shapes):
        dtype = np.dtype(dtype)
        if dtype not in (_FLOAT32, _INT64) or (len(shape) and shape[0] is None):
            return None
        plain.append((key, dtype, tuple(shape)))
    return plain or None


def _parse_batch(features, sparse, dense) -> tuple | None:
    """ParseExample's outputs with one C-level pass per feature over the whole batch, or
    None where a record needs the per-record path (defaults, padding, bad data: its
    errors)."""
    sparse_parts = []
    for key, dtype in sparse:
        lists = _value_lists(features, key, dtype, allow_missing=True)
        if lists is None:
            return None
        sparse_parts.append(_sparse_batch(lists, dtype))
    dense_values = []
    for d in dense:
        lists = None if d.padded else _value_lists(features, d.key, d.dtype)
        if lists is None:
            return None
        lengths = np.fromiter(map(len, lists), np.int64, len(lists))
        if lengths.size and (lengths != d.row).any():
            return None
        dense_values.append(
            _concatenated(lists, d.dtype, int(lengths.sum())).reshape((len(lists), *d.shape))
        )
    return (*(p for group in zip(*sparse_parts) for p in group), *dense_values)


_LIST_FIELD = {_INT64: "int64_list", np.dtype(np.float32): "float_list", _STRING: "bytes_list"}


def _value_lists(features, key: str, dtype: np.dtype, allow_missing=False) -> list | None:
    """Each record's repeated value container of `key` (None if one lacks it, or, for
    sparse features, holds another type; a dense one of another type comes out empty and
    fails the caller's length check)."""
    field = _LIST_FIELD[dtype]
    if not allow_missing:
        try:
            return [getattr(f[key], field).value for f in features]
        except KeyError:
            return None
    out = []
    for feature_map in features:
        feature = feature_map.get(key)
        if feature is None:
            out.append(())
            continue
        kind = feature.WhichOneof("kind")
        if kind != field and kind is not None:
            return None
        out.append(getattr(feature, field).value)
    return out


def _concatenated(lists, dtype: np.dtype, total: int) -> np.ndarray:
    if dtype == _STRING:
        out = np.empty(total, _STRING)
        out[:] = list(itertools.chain.from_iterable(lists))
        return out
    return np.fromiter(itertools.chain.from_iterable(lists), dtype, total)


def _sparse_batch(lists, dtype: np.dtype) -> tuple:
    lengths = np.fromiter(map(len, lists), np.int64, len(lists))
    total = int(lengths.sum())
    values = _concatenated(lists, dtype, total)
    rows = np.repeat(np.arange(len(lists), dtype=np.int64), lengths)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    indices = np.stack([rows, np.arange(total, dtype=np.int64) - starts], axis=1)
    shape = np.array([len(lists), lengths.max(initial=0)], np.int64)
    return indices, values, shape


def _parse_single_example_shape(specs, attrs, static_values):
    shape = specs[0].shape
    if shape is not None and len(shape) != 0:
        raise ValueError(f"Shape must be rank 0 but is rank {len(shape)}")
    return _example_specs((), attrs["sparse_types"], attrs["Tdense"], attrs["dense_shapes"])


@register("ParseSingleExample", kind=HOST, shape=_parse_single_example_shape)
def parse_single_example(
    serialized,
    *dense_defaults,
    num_sparse,
    sparse_keys,
    dense_keys,
    sparse_types,
    Tdense,
    dense_shapes,
):
    features = _parse_proto(Example, np.asarray(serialized, dtype=object)[()]).features.feature
    dense = [_Dense(*args) for args in zip(dense_keys, Tdense, dense_shapes, dense_defaults)]
    sparse = list(zip(sparse_keys, map(np.dtype, sparse_types)))
    return _parse_features([features], [""], sparse, dense, ())


def _key(tensor) -> str:
    value = tensor.item() if type(tensor) is np.ndarray else np.asarray(tensor, object)[()]
    return value.decode() if isinstance(value, bytes) else str(value)


# -- tf.train.SequenceExample -------------------------------------------------------------------


def _parse_sequence_example_shape(specs, attrs, static_values):
    context = _example_specs(
        (), attrs["context_sparse_types"], attrs["Tcontext_dense"], attrs["context_dense_shapes"]
    )
    n = len(attrs["feature_list_sparse_types"])
    lists = [Spec((None, 2), _INT64)] * n
    lists += [Spec((None,), np.dtype(t)) for t in attrs["feature_list_sparse_types"]]
    lists += [Spec((2,), _INT64)] * n
    for t, shape in zip(attrs["feature_list_dense_types"], attrs["feature_list_dense_shapes"]):
        lists.append(Spec((None, *shape), np.dtype(t)))
    return context + lists


@register("ParseSingleSequenceExample", kind=HOST, shape=_parse_sequence_example_shape)
def parse_single_sequence_example(
    serialized,
    feature_list_dense_missing_assumed_empty,
    *keys_defaults_and_name,
    Ncontext_sparse,
    Ncontext_dense,
    Nfeature_list_sparse,
    Nfeature_list_dense,
    context_sparse_types,
    Tcontext_dense,
    feature_list_dense_types,
    context_dense_shapes,
    feature_list_sparse_types,
    feature_list_dense_shapes,
):
    counts = (Ncontext_sparse, Ncontext_dense, Nfeature_list_sparse, Nfeature_list_dense)
    groups, start = [], 0
    for count in counts:
        groups.append([_key(k) for k in keys_defaults_and_name[start : start + count]])
        start += count
    context_defaults, debug_name = keys_defaults_and_name[start:-1], keys_defaults_and_name[-1]
    prefix = f"Name: {_key(debug_name) or '<unknown>'}, "
    example = _parse_proto(SequenceExample, np.asarray(serialized, dtype=object)[()])
    context_sparse = list(zip(groups[0], map(np.dtype, context_sparse_types)))
    context_dense = [
        _Dense(*args)
        for args in zip(groups[1], Tcontext_dense, context_dense_shapes, context_defaults)
    ]
    context = _parse_features(
        [example.context.feature], [prefix], context_sparse, context_dense, (), "Context feature"
    )
    lists = example.feature_lists.feature_list
    sparse = []
    for key, dtype in zip(groups[2], map(np.dtype, feature_list_sparse_types)):
        steps = _steps(lists.get(key), key, dtype, prefix)
        sparse.append(_sparse(steps, dtype, (len(steps),)))
    missing_ok = {_key(k) for k in np.asarray(feature_list_dense_missing_assumed_empty).reshape(-1)}
    dense = [
        _feature_list_dense(lists.get(k), k, np.dtype(t), tuple(shape), k in missing_ok, prefix)
        for k, t, shape in zip(groups[3], feature_list_dense_types, feature_list_dense_shapes)
    ]
    return (*context, *(p for parts in zip(*sparse) for p in parts), *dense)


def _steps(feature_list, key: str, dtype: np.dtype, prefix: str) -> list:
    """The values of each time step of a FeatureList (none if it is missing)."""
    if feature_list is None:
        return []
    return [
        _feature_values(f, dtype, f"{prefix}Feature list: {key}, Index: {t}")
        for t, f in enumerate(feature_list.feature)
    ]


def _feature_list_dense(feature_list, key, dtype, shape, missing_ok: bool, prefix: str):
    """A FeatureList as a [time, *shape] array: each step must hold exactly `shape` values."""
    if feature_list is None and not missing_ok:
        raise _error(
            f"{prefix}Feature list '{key}' is required but could not be found.  Did you mean "
            "to include it in feature_list_dense_missing_assumed_empty or "
            "feature_list_dense_defaults?"
        )
    row = int(np.prod(shape))
    out = []
    for t, values in enumerate(_steps(feature_list, key, dtype, prefix)):
        values = _to_array(values, dtype)
        if values.size != row:
            raise _error(
                f"{prefix}Key: {key}, Index: {t}.  Number of values != expected.  values "
                f"size: {values.size} but output shape: {list(shape)}"
            )
        out.append(values.reshape(shape))
    return np.stack(out) if out else np.empty((0, *shape), dtype)


# -- SerializeTensor / ParseTensor --------------------------------------------------------------

_DATA_TYPES = {
    np.dtype(np.float32): types_pb2.DT_FLOAT,
    np.dtype(np.float64): types_pb2.DT_DOUBLE,
    np.dtype(np.float16): types_pb2.DT_HALF,
    np.dtype(ml_dtypes.bfloat16): types_pb2.DT_BFLOAT16,
    np.dtype(np.int8): types_pb2.DT_INT8,
    np.dtype(np.int16): types_pb2.DT_INT16,
    np.dtype(np.int32): types_pb2.DT_INT32,
    np.dtype(np.int64): types_pb2.DT_INT64,
    np.dtype(np.uint8): types_pb2.DT_UINT8,
    np.dtype(np.uint16): types_pb2.DT_UINT16,
    np.dtype(np.uint32): types_pb2.DT_UINT32,
    np.dtype(np.uint64): types_pb2.DT_UINT64,
    np.dtype(np.bool_): types_pb2.DT_BOOL,
    np.dtype(np.complex64): types_pb2.DT_COMPLEX64,
    np.dtype(np.complex128): types_pb2.DT_COMPLEX128,
    _STRING: types_pb2.DT_STRING,
}
_NUMPY_TYPES = {v: k for k, v in _DATA_TYPES.items()}

# Where TensorProto keeps values that are not in tensor_content, by dtype.
_VALUE_FIELDS = {
    "float32": "float_val",
    "float64": "double_val",
    "float16": "half_val",
    "bfloat16": "half_val",
    "int8": "int_val",
    "int16": "int_val",
    "int32": "int_val",
    "uint8": "int_val",
    "uint16": "int_val",
    "int64": "int64_val",
    "uint32": "uint32_val",
    "uint64": "uint64_val",
    "bool": "bool_val",
    "complex64": "scomplex_val",
    "complex128": "dcomplex_val",
    "object": "string_val",
}


def _scalar_string_shape(specs, attrs, static_values):
    return [Spec((), _STRING)]


@register("SerializeTensor", kind=HOST, shape=_scalar_string_shape)
def serialize_tensor(tensor):
    """A TensorProto as TF writes it: raw little-endian `tensor_content`, `string_val`."""
    array = np.asarray(tensor)
    proto = tensor_pb2.TensorProto(dtype=_DATA_TYPES[array.dtype])
    proto.tensor_shape.SetInParent()
    proto.tensor_shape.dim.extend(
        tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in array.shape
    )
    if array.dtype == _STRING:
        proto.string_val.extend(array.reshape(-1).tolist())
    elif array.size:
        proto.tensor_content = array.astype(array.dtype.newbyteorder("<")).tobytes()
    return np.array(proto.SerializeToString(), dtype=object)


def _parse_tensor_shape(specs, attrs, static_values):
    return [Spec(None, np.dtype(attrs["out_type"]))]


@register("ParseTensor", kind=HOST, shape=_parse_tensor_shape)
def parse_tensor(serialized, *, out_type):
    text = np.asarray(serialized, dtype=object)[()]
    proto = tensor_pb2.TensorProto()
    try:
        proto.ParseFromString(text)
    except DecodeError:
        shown = base64.b64encode(text).decode()
        raise _error(f"Could not parse `serialized` as TensorProto, base64: {shown}") from None
    dtype = _NUMPY_TYPES.get(proto.dtype)
    if dtype != np.dtype(out_type):
        parsed = types_pb2.DataType.Name(proto.dtype)[3:].lower()
        raise _error(
            f"Type mismatch between parsed tensor ({parsed}) and dtype "
            f"({_type_name(np.dtype(out_type))})"
        )
    shape = tuple(d.size for d in proto.tensor_shape.dim)
    return _tensor_values(proto, dtype, int(np.prod(shape))).reshape(shape)


def _tensor_values(proto, dtype: np.dtype, size: int) -> np.ndarray:
    """The flat values of a TensorProto (TF's rule: the last listed value fills the rest)."""
    if proto.tensor_content:
        return np.frombuffer(proto.tensor_content, dtype.newbyteorder("<")).astype(dtype)
    values = list(getattr(proto, _VALUE_FIELDS[dtype.name]))
    if dtype.kind == "c":
        values = [complex(r, i) for r, i in zip(values[::2], values[1::2])]
    if dtype.name in ("float16", "bfloat16"):  # half_val holds the raw 16 bits
        values = np.array(values, np.uint16).view(dtype).tolist()
    out = np.empty(size, dtype) if dtype == _STRING else np.zeros(size, dtype)
    if values:
        out[: len(values)] = values[:size]
        out[len(values) :] = values[-1]
    return out
