"""Parsing ops (host kernels): CSV lines, raw bytes, tf.train.Example and SequenceExample
protos into dense and sparse tensors, and tensors to and from TensorProto bytes."""

from __future__ import annotations

import collections
import re

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.framework.sparse_tensor import SparseTensor
from flowgraph.ops import array_ops, math_ops, sparse_ops
from flowgraph.ops.constant_op import constant, convert_to_tensor, to_numpy

_FEATURE_TYPES = (dtypes.int64, dtypes.float32, dtypes.string)


class VarLenFeature(collections.namedtuple("VarLenFeature", ["dtype"])):
    """A variable-length feature, parsed into a SparseTensor.

    Example:
      >>> features = {"tags": tf.VarLenFeature(tf.string)}
    """


class FixedLenFeature(
    collections.namedtuple("FixedLenFeature", ["shape", "dtype", "default_value"])
):
    """A feature of fixed shape, parsed into a dense Tensor; `default_value` is used when an
    example lacks it (None: the feature is required).

    Example:
      >>> features = {"age": tf.FixedLenFeature([], tf.int64, default_value=-1)}
    """

    def __new__(cls, shape, dtype, default_value=None):
        return super().__new__(cls, shape, dtype, default_value)


class FixedLenSequenceFeature(
    collections.namedtuple(
        "FixedLenSequenceFeature", ["shape", "dtype", "allow_missing", "default_value"]
    )
):
    """A sequence of values of fixed `shape` each: a dense [time, *shape] Tensor (in
    `parse_example`, [batch, time, *shape] padded with `default_value`)."""

    def __new__(cls, shape, dtype, allow_missing=False, default_value=None):
        return super().__new__(cls, shape, dtype, allow_missing, default_value)


class SparseFeature(
    collections.namedtuple(
        "SparseFeature", ["index_key", "value_key", "dtype", "size", "already_sorted"]
    )
):
    """A sparse feature stored as an index feature and a value feature, parsed into a
    SparseTensor of dense shape [batch, size] (or [batch, *size] for several index keys).

    Example:
      >>> features = {"w": tf.SparseFeature("ix", "val", tf.float32, size=100)}
    """

    def __new__(cls, index_key, value_key, dtype, size, already_sorted=False):
        return super().__new__(cls, index_key, value_key, dtype, size, already_sorted)


# -- CSV and raw bytes --------------------------------------------------------------------------


def decode_csv(
    records,
    record_defaults,
    field_delim=",",
    use_quote_delim=True,
    name=None,
    na_value="",
    select_cols=None,
) -> list[Tensor]:
    """Converts CSV records to one tensor per column, shaped like `records`.

    Args:
      records: a string tensor; each element is one CSV line.
      record_defaults: one tensor per column: its dtype (float32, float64, int32, int64 or
        string) and the value of an empty field; an empty default makes the column required.
      field_delim: the one-character field separator.
      use_quote_delim: whether double quotes delimit fields (RFC 4180).
      na_value: a field equal to it counts as empty.
      select_cols: increasing column indices to keep (None: all).

    Example:
      >>> a, b = tf.decode_csv(["1,x", "2,y"], [[0], [""]])
    """
    if select_cols is not None and any(b <= a for a, b in zip(select_cols, select_cols[1:])):
        raise ValueError("select_cols is not strictly increasing.")
    if select_cols is not None and select_cols and select_cols[0] < 0:
        raise ValueError("select_cols contains negative values.")
    if select_cols is not None and len(select_cols) != len(record_defaults):
        raise ValueError("Length of select_cols and record_defaults do not match.")
    if len(field_delim) != 1:
        raise ValueError(f"field_delim should be only 1 char, got {field_delim!r}")
    with name_scope(name, "DecodeCSV", [records]) as scope:
        records = convert_to_tensor(records, dtypes.string, name="records")
        defaults = [_csv_default(d, i) for i, d in enumerate(record_defaults)]
        outputs = apply_op(
            "DecodeCSV",
            [records, *defaults],
            name=scope,
            OUT_TYPE=tuple(d.dtype.numpy_dtype for d in defaults),
            field_delim=field_delim,
            use_quote_delim=bool(use_quote_delim),
            na_value=na_value,
            select_cols=tuple(select_cols or ()),
        )
    return list(outputs) if isinstance(outputs, tuple) else [outputs]


def _csv_default(value, i: int) -> Tensor:
    name = f"record_defaults_{i}"
    if isinstance(value, (list, tuple)) and any(isinstance(v, Tensor) for v in value):
        tensor = array_ops.stack(value, name=name)  # TF packs a list holding tensors
    else:
        tensor = convert_to_tensor(value, name=name)
    if tensor.dtype.base_dtype not in (dtypes.float32, dtypes.float64, dtypes.int32) + (
        dtypes.int64,
        dtypes.string,
    ):
        raise TypeError(
            f"Value passed to parameter 'record_defaults' has DataType {tensor.dtype.name} not "
            "in list of allowed values: float32, float64, int32, int64, string"
        )
    return tensor


def decode_raw(
    input_bytes=None, out_type=None, little_endian=True, name=None, bytes=None
) -> Tensor:
    """Reinterprets the bytes of each string as a vector of `out_type` (all strings must have
    one length); the result has shape `input_bytes.shape + [length / itemsize]`.

    Example:
      >>> tf.decode_raw(tf.constant([b"\\x01\\x00"]), tf.int16)  # [[1]]
    """
    if bytes is not None:
        if input_bytes is not None:
            raise ValueError("Cannot specify both 'input_bytes' and 'bytes' for decode_raw")
        input_bytes = bytes
    out_type = dtypes.as_dtype(out_type)
    if out_type == dtypes.string:
        raise TypeError("Value for attr 'out_type' of string is not in the list of allowed values")
    input_bytes = convert_to_tensor(input_bytes, dtypes.string)
    return apply_op(
        "DecodeRaw",
        [input_bytes],
        name=name,
        out_type=out_type.numpy_dtype,
        little_endian=bool(little_endian),
    )


# -- Example protos -----------------------------------------------------------------------------


class _Plan:
    """Features sorted into what the parse ops take: sparse keys, dense keys and defaults."""

    def __init__(self, features: dict, batched: bool, required: bool = True):
        if required and not features:
            raise ValueError(f"Missing: features was {features}.")
        self.sparse: dict[str, dtypes.DType] = {}
        self.dense: dict[str, tuple] = {}  # key -> (dtype, shape, default value)
        for key in sorted(features):
            self._add(key, features[key], batched)

    def _add(self, key, feature, batched: bool) -> None:
        if isinstance(feature, VarLenFeature):
            self._sparse(key, feature.dtype)
        elif isinstance(feature, SparseFeature):
            for index_key in _index_keys(feature):
                self._sparse(index_key, dtypes.int64)
            self._sparse(feature.value_key, feature.dtype)
        elif isinstance(feature, FixedLenFeature):
            self._dense(key, feature.dtype, tuple(feature.shape), feature.default_value)
        elif isinstance(feature, FixedLenSequenceFeature) and batched:
            if not feature.allow_missing:
                raise ValueError(
                    "Unsupported: FixedLenSequenceFeature requires allow_missing to be True."
                )
            shape = (None, *feature.shape)
            self._dense(key, feature.dtype, shape, feature.default_value)
        else:
            raise ValueError(f"Invalid feature {key}:{feature}.")

    def _sparse(self, key, dtype) -> None:
        dtype = _feature_dtype(dtype, key)
        if self.sparse.get(key, dtype) != dtype:
            raise ValueError(f"Conflicting type {self.sparse[key]} vs {dtype} for feature {key}.")
        self.sparse[key] = dtype

    def _dense(self, key, dtype, shape, default) -> None:
        self.dense[key] = (_feature_dtype(dtype, key), shape, default)

    def dense_defaults(self) -> list[Tensor]:
        return [_dense_default(k, *v) for k, v in self.dense.items()]

    def attrs(self, sparse_types: str, dense_types: str, dense_shapes: str) -> dict:
        return {
            sparse_types: tuple(t.numpy_dtype for t in self.sparse.values()),
            dense_types: tuple(v[0].numpy_dtype for v in self.dense.values()),
            dense_shapes: tuple(v[1] for v in self.dense.values()),
        }

    def results(self, outputs, features: dict) -> dict:
        """The parse op's outputs as {key: Tensor or SparseTensor}, SparseFeatures merged."""
        n = len(self.sparse)
        result = {
            key: SparseTensor(outputs[i], outputs[n + i], outputs[2 * n + i])
            for i, key in enumerate(self.sparse)
        }
        result.update(zip(self.dense, outputs[3 * n :]))
        for key in sorted(features):
            feature = features[key]
            if isinstance(feature, SparseFeature):
                ids = [result[k] for k in _index_keys(feature)]
                result[key] = _sparse_merge(ids, result[feature.value_key], feature)
        return {key: result[key] for key in features}


def _index_keys(feature: SparseFeature) -> list[str]:
    return [feature.index_key] if isinstance(feature.index_key, str) else list(feature.index_key)


def _feature_dtype(dtype, key) -> dtypes.DType:
    dtype = dtypes.as_dtype(dtype)
    if dtype not in _FEATURE_TYPES:
        raise TypeError(
            f"Feature {key!r} has DataType {dtype.name}, not in list of allowed values: "
            "float32, int64, string"
        )
    return dtype


def _dense_default(key: str, dtype, shape: tuple, default) -> Tensor:
    """TF's default input: empty (required), a scalar pad value, or the default reshaped."""
    padded = bool(shape) and shape[0] is None
    name = "key_" + re.sub(r"[^A-Za-z0-9_.\-/]", "_", key)  # TF's name for the default
    if default is None:
        value = np.array(b"" if dtype == dtypes.string else 0) if padded else []
        return constant(value, dtype=dtype, name=name)
    if isinstance(default, Tensor):
        return default
    target = () if padded else shape
    value = to_numpy(default, dtype)
    if value.size != int(np.prod(target)):
        raise ValueError(
            f"Cannot reshape a tensor with {value.size} elements to shape {list(target)} "
            f"({int(np.prod(target))} elements) for the default of feature {key!r}"
        )
    return constant(value.reshape(target), dtype=dtype, name=name)


def _sparse_merge(ids: list[SparseTensor], values: SparseTensor, feature) -> SparseTensor:
    # TF's sparse_merge: each index feature's values become a column of the new indices.
    sizes = [feature.size] if isinstance(feature.index_key, str) else list(feature.size)
    with name_scope(None, "SparseMerge", [values.values]):
        columns = [ids[0].indices[:, :-1]]
        columns += [array_ops.reshape(math_ops.cast(i.values, dtypes.int64), [-1, 1]) for i in ids]
        indices = array_ops.concat(columns, 1)
        shape = array_ops.concat([ids[0].dense_shape[:-1], constant(sizes, dtype=dtypes.int64)], 0)
        merged = SparseTensor(indices, values.values, shape)
        return merged if feature.already_sorted else sparse_ops.sparse_reorder(merged)


def _key_tensors(keys, prefix: str) -> list[Tensor]:
    return [constant(k, dtype=dtypes.string, name=f"{prefix}_{i}") for i, k in enumerate(keys)]


def _outputs(result) -> tuple:
    return result if isinstance(result, tuple) else (result,)


def parse_example(serialized, features, name=None, example_names=None) -> dict:
    """Parses a batch of serialized `tf.train.Example` protos.

    Args:
      serialized: a string vector of serialized Examples.
      features: {key: FixedLenFeature, VarLenFeature, SparseFeature or
        FixedLenSequenceFeature (with allow_missing=True)}.
      name: a name for the op.
      example_names: optional names of the examples (a string vector), shown in errors.

    Returns:
      {key: Tensor of shape [batch, *shape] or SparseTensor of dense shape [batch, ...]}.

    Example:
      >>> tf.parse_example(batch, {"age": tf.FixedLenFeature([], tf.int64)})["age"]
    """
    plan = _Plan(features, batched=True)
    with name_scope(name, "ParseExample", [serialized, example_names]):
        serialized = convert_to_tensor(serialized, dtypes.string, name="serialized")
        names = convert_to_tensor(
            [] if example_names is None else example_names, dtypes.string, name="names"
        )
        outputs = apply_op(
            "ParseExample",
            [
                serialized,
                names,
                *_key_tensors(plan.sparse, "sparse_keys"),
                *_key_tensors(plan.dense, "dense_keys"),
                *plan.dense_defaults(),
            ],
            name="ParseExample",
            Nsparse=len(plan.sparse),
            Ndense=len(plan.dense),
            **plan.attrs("sparse_types", "Tdense", "dense_shapes"),
        )
        return plan.results(_outputs(outputs), features)


def parse_single_example(serialized, features, name=None, example_names=None) -> dict:
    """Parses one serialized `tf.train.Example` (a string scalar): like `parse_example`
    without the batch dimension.

    `example_names` is accepted for TF1's signature; error messages name no example.

    Example:
      >>> tf.parse_single_example(record, {"label": tf.FixedLenFeature([], tf.int64)})
    """
    del example_names
    plan = _Plan(features, batched=False)
    with name_scope(name, "ParseSingleExample", [serialized]):
        serialized = convert_to_tensor(serialized, dtypes.string, name="serialized")
        outputs = apply_op(
            "ParseSingleExample",
            [serialized, *plan.dense_defaults()],
            name="ParseSingleExample",
            num_sparse=len(plan.sparse),
            sparse_keys=tuple(plan.sparse),
            dense_keys=tuple(plan.dense),
            **plan.attrs("sparse_types", "Tdense", "dense_shapes"),
        )
        return plan.results(_outputs(outputs), features)


def parse_single_sequence_example(
    serialized, context_features=None, sequence_features=None, example_name=None, name=None
) -> tuple[dict, dict]:
    """Parses one serialized `tf.train.SequenceExample`.

    Args:
      serialized: a string scalar.
      context_features: {key: FixedLenFeature or VarLenFeature} read from `context`.
      sequence_features: {key: FixedLenSequenceFeature ([time, *shape] Tensor) or
        VarLenFeature ([time, n] SparseTensor)} read from `feature_lists`.
      example_name: a name for the example, shown in errors.
      name: a name for the op.

    Returns:
      (context dict, sequence dict).
    """
    context_features = context_features or {}
    sequence_features = sequence_features or {}
    if not context_features and not sequence_features:
        raise ValueError("Missing features.")
    context = _Plan(context_features, batched=False, required=False)
    lists = _SequencePlan(sequence_features)
    with name_scope(name, "ParseSingleSequenceExample", [serialized]):
        serialized = convert_to_tensor(serialized, dtypes.string, name="serialized")
        missing_ok = constant(lists.missing_ok, dtype=dtypes.string, shape=[len(lists.missing_ok)])
        debug_name = constant(example_name or "", dtype=dtypes.string, name="debug_name")
        outputs = apply_op(
            "ParseSingleSequenceExample",
            [
                serialized,
                missing_ok,
                *_key_tensors(context.sparse, "context_sparse_keys"),
                *_key_tensors(context.dense, "context_dense_keys"),
                *_key_tensors(lists.sparse, "feature_list_sparse_keys"),
                *_key_tensors(lists.dense, "feature_list_dense_keys"),
                *context.dense_defaults(),
                debug_name,
            ],
            name="ParseSingleSequenceExample",
            Ncontext_sparse=len(context.sparse),
            Ncontext_dense=len(context.dense),
            Nfeature_list_sparse=len(lists.sparse),
            Nfeature_list_dense=len(lists.dense),
            **context.attrs("context_sparse_types", "Tcontext_dense", "context_dense_shapes"),
            **lists.attrs(),
        )
    outputs = _outputs(outputs)
    n_context = 3 * len(context.sparse) + len(context.dense)
    return (
        context.results(outputs[:n_context], context_features),
        lists.results(outputs[n_context:], sequence_features),
    )


class _SequencePlan(_Plan):
    """Sequence features: VarLenFeature (sparse) and FixedLenSequenceFeature (dense)."""

    def __init__(self, features: dict):
        self.sparse, self.dense, self.missing_ok = {}, {}, []
        for key in sorted(features):
            feature = features[key]
            if isinstance(feature, VarLenFeature):
                self._sparse(key, feature.dtype)
            elif isinstance(feature, FixedLenSequenceFeature):
                if feature.default_value is not None:
                    raise ValueError(
                        f"FixedLenSequenceFeature {key!r}: default_value is not supported "
                        "in sequence features"
                    )
                self._dense(key, feature.dtype, tuple(feature.shape), None)
                if feature.allow_missing:
                    self.missing_ok.append(key)
            else:
                raise ValueError(f"Unsupported {type(feature).__name__} {feature} for key {key!r}")

    def attrs(self) -> dict:
        return super().attrs(
            "feature_list_sparse_types", "feature_list_dense_types", "feature_list_dense_shapes"
        )


# -- TensorProto --------------------------------------------------------------------------------


def serialize_tensor(tensor, name=None) -> Tensor:
    """`tensor` as the bytes of a TensorProto (a string scalar), as TF serializes it."""
    tensor = convert_to_tensor(tensor)
    return apply_op("SerializeTensor", [tensor], name=name, T=tensor.dtype.numpy_dtype)


def parse_tensor(serialized, out_type, name=None) -> Tensor:
    """The tensor held by a serialized TensorProto; its dtype must be `out_type`."""
    serialized = convert_to_tensor(serialized, dtypes.string)
    out_type = dtypes.as_dtype(out_type)
    return apply_op("ParseTensor", [serialized], name=name, out_type=out_type.numpy_dtype)
