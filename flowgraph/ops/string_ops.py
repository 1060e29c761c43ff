"""String ops (host kernels): formatting, joining, hashing to buckets, splitting,
substrings, case and whitespace, regexes, number parsing and base64."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.ragged_tensor import (
    RaggedTensor,
    convert_to_tensor_or_ragged_tensor,
    is_ragged,
)
from flowgraph.framework.scopes import name_scope
from flowgraph.framework.sparse_tensor import SparseTensor
from flowgraph.ops import array_ops
from flowgraph.ops.constant_op import convert_to_tensor


def as_string(
    input, precision=-1, scientific=False, shortest=False, width=-1, fill="", name=None
) -> Tensor:
    """Each element of `input` formatted as a string (TF's printf-style rules)."""
    input = convert_to_tensor(input)
    dtype = input.dtype.base_dtype
    if dtype == dtypes.string:
        raise TypeError(
            "Value passed to parameter 'input' has DataType string not in list "
            "of allowed values (op 'AsString')"
        )
    _check_format(dtype, precision, scientific, shortest, fill)
    return apply_op(
        "AsString",
        [input],
        name=name,
        precision=precision,
        scientific=scientific,
        shortest=shortest,
        width=width,
        fill=fill,
        T=input.dtype.numpy_dtype,
    )


def _check_format(dtype, precision, scientific, shortest, fill) -> None:
    # The checks TF's AsString kernel makes, made here when the op is built.
    if scientific and shortest:
        raise ValueError("AsString: cannot select both scientific and shortest notation")
    if len(fill) > 1:
        raise ValueError(f"AsString: fill string must be one or fewer characters, got {fill!r}")
    if fill and fill not in " +-0#":
        raise ValueError(f"AsString: fill argument not supported: {fill!r}")
    if not (dtype.is_floating or dtype.is_complex):
        if scientific or shortest:
            raise ValueError(
                f"AsString: scientific and shortest format not supported for datatype {dtype.name}"
            )
        if precision > -1:
            raise ValueError(f"AsString: precision not supported for datatype {dtype.name}")


def string_join(inputs, separator="", name=None) -> Tensor:
    """Joins string tensors elementwise (with broadcasting of scalars)."""
    tensors = [convert_to_tensor(x, dtype=dtypes.string) for x in inputs]
    return apply_op("StringJoin", tensors, name=name, separator=separator, N=len(tensors))


def _strings(value, op_type: str, param: str = "input") -> Tensor:
    """`value` as a string tensor; TypeError naming the op otherwise."""
    tensor = value if isinstance(value, Tensor) else convert_to_tensor(value, dtypes.string)
    if tensor.dtype.base_dtype != dtypes.string:
        raise TypeError(
            f"Value passed to parameter '{param}' has DataType {tensor.dtype.base_dtype.name} "
            f"not in list of allowed values: string (op '{op_type}')"
        )
    return tensor


def _check_buckets(num_buckets, op_type: str) -> int:
    if not isinstance(num_buckets, int) or isinstance(num_buckets, bool) or num_buckets < 1:
        raise ValueError(
            f"Attr 'num_buckets' of '{op_type}' Op passed {num_buckets!r}: expected an int >= 1"
        )
    return num_buckets


def _check_unit(unit: str, op_type: str) -> str:
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise ValueError(
            f"Attr 'unit' of '{op_type}' Op passed {unit!r} not in: \"BYTE\", \"UTF8_CHAR\"."
        )
    return unit


# -- hashing ------------------------------------------------------------------------------------


def string_to_hash_bucket_fast(input, num_buckets, name=None) -> Tensor:
    """Hashes each string to one of `num_buckets` by farmhash Fingerprint64 (TF's values)."""
    buckets = _check_buckets(num_buckets, "StringToHashBucketFast")
    input = _strings(input, "StringToHashBucketFast")
    return apply_op("StringToHashBucketFast", [input], name=name, num_buckets=buckets)


def string_to_hash_bucket(string_tensor, num_buckets, name=None) -> Tensor:
    """Hashes each string to one of `num_buckets` by TF's legacy Hash64."""
    buckets = _check_buckets(num_buckets, "StringToHashBucket")
    string_tensor = _strings(string_tensor, "StringToHashBucket", "string_tensor")
    return apply_op("StringToHashBucket", [string_tensor], name=name, num_buckets=buckets)


def string_to_hash_bucket_strong(input, num_buckets, key, name=None) -> Tensor:
    """Hashes each string to one of `num_buckets` by SipHash-2-4 keyed by `key` (2 ints)."""
    buckets = _check_buckets(num_buckets, "StringToHashBucketStrong")
    key = tuple(int(k) for k in key)
    if len(key) != 2:
        raise ValueError(f"StringToHashBucketStrong: Key must have 2 elements, got {len(key)}")
    input = _strings(input, "StringToHashBucketStrong")
    return apply_op("StringToHashBucketStrong", [input], name=name, num_buckets=buckets, key=key)


# -- splitting ----------------------------------------------------------------------------------


def string_split(
    source, sep=None, skip_empty=True, delimiter=None, result_type="SparseTensor", name=None
) -> SparseTensor:
    """Splits each string of the vector `source` at any byte of `delimiter` (default " ";
    "" splits into bytes), as a SparseTensor of shape [len(source), max tokens]."""
    if sep is not None and delimiter is not None:
        raise ValueError("Cannot specify both 'sep' and 'delimiter' for string_split")
    delimiter = sep if sep is not None else " " if delimiter is None else delimiter
    if result_type != "SparseTensor":
        raise ValueError(f"string_split: unsupported result_type {result_type!r}")
    with name_scope(name, "StringSplit", [source]):
        source = _strings(source, "StringSplit")
        delimiter = _strings(delimiter, "StringSplit", "delimiter")
        indices, values, shape = apply_op(
            "StringSplit", [source, delimiter], skip_empty=bool(skip_empty)
        )
    return SparseTensor(indices, values, shape)


def string_split_v2(
    input=None, sep=None, maxsplit=-1, result_type="SparseTensor", source=None, name=None
) -> SparseTensor:
    """`tf.strings.split`: splits each string like Python's `str.split(sep, maxsplit)` (sep
    None: runs of whitespace), as a SparseTensor of shape [len(input), max tokens]."""
    if source is not None:
        if input is not None:
            raise ValueError("Cannot specify both 'input' and 'source' for strings.split")
        input = source
    if result_type != "SparseTensor":
        raise ValueError(f"strings.split: unsupported result_type {result_type!r}")
    input = _strings(input, "StringSplitV2")
    sep = _strings("" if sep is None else sep, "StringSplitV2", "sep")
    indices, values, shape = apply_op(
        "StringSplitV2", [input, sep], name=name, maxsplit=int(maxsplit)
    )
    return SparseTensor(indices, values, shape)


# -- substrings and lengths ---------------------------------------------------------------------


def substr(input, pos, len, name=None, unit="BYTE") -> Tensor:
    """Substrings `[pos, pos + len)` of each string (in bytes or UTF-8 characters); `pos` and
    `len` are scalars or broadcast against `input`; negative `pos` counts from the end."""
    unit = _check_unit(unit, "Substr")
    input = _strings(input, "Substr")
    pos = convert_to_tensor(pos, dtype=getattr(len, "dtype", None))
    len = convert_to_tensor(len, dtype=pos.dtype)
    if pos.dtype.base_dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(
            f"Value passed to parameter 'pos' has DataType {pos.dtype.base_dtype.name} not in "
            "list of allowed values: int32, int64 (op 'Substr')"
        )
    return apply_op("Substr", [input, pos, len], name=name, unit=unit, T=pos.dtype.numpy_dtype)


def string_length(input, name=None, unit="BYTE") -> Tensor:
    """Length of each string in bytes or UTF-8 characters (int32)."""
    unit = _check_unit(unit, "StringLength")
    return apply_op("StringLength", [_strings(input, "StringLength")], name=name, unit=unit)


def string_lower(input, encoding="", name=None) -> Tensor:
    """Each string lowercased (ASCII; Unicode with encoding="utf-8")."""
    return apply_op("StringLower", [_strings(input, "StringLower")], name=name, encoding=encoding)


def string_upper(input, encoding="", name=None) -> Tensor:
    """Each string uppercased (ASCII; Unicode with encoding="utf-8")."""
    return apply_op("StringUpper", [_strings(input, "StringUpper")], name=name, encoding=encoding)


def string_strip(input, name=None) -> Tensor:
    """Each string without leading and trailing ASCII whitespace."""
    return apply_op("StringStrip", [_strings(input, "StringStrip")], name=name)


# -- regular expressions ------------------------------------------------------------------------


def regex_replace(input, pattern, rewrite, replace_global=True, name=None) -> Tensor:
    """Replaces matches of `pattern` (RE2 syntax) by `rewrite` (\\1 names a group, \\0 the
    match); all matches, or only the first with replace_global=False."""
    if isinstance(pattern, (str, bytes)) and isinstance(rewrite, (str, bytes)):
        pattern = pattern.decode() if isinstance(pattern, bytes) else pattern
        rewrite = rewrite.decode() if isinstance(rewrite, bytes) else rewrite
        return apply_op(
            "StaticRegexReplace",
            [_strings(input, "StaticRegexReplace")],
            name=name,
            pattern=pattern,
            rewrite=rewrite,
            replace_global=bool(replace_global),
        )
    return apply_op(
        "RegexReplace",
        [
            _strings(input, "RegexReplace"),
            _strings(pattern, "RegexReplace", "pattern"),
            _strings(rewrite, "RegexReplace", "rewrite"),
        ],
        name=name,
        replace_global=bool(replace_global),
    )


def regex_full_match(input, pattern, name=None) -> Tensor:
    """Whether each whole string matches `pattern` (RE2 syntax); bool."""
    if isinstance(pattern, (str, bytes)):
        pattern = pattern.decode() if isinstance(pattern, bytes) else pattern
        return apply_op(
            "StaticRegexFullMatch",
            [_strings(input, "StaticRegexFullMatch")],
            name=name,
            pattern=pattern,
        )
    return apply_op(
        "RegexFullMatch",
        [_strings(input, "RegexFullMatch"), _strings(pattern, "RegexFullMatch", "pattern")],
        name=name,
    )


# -- numbers ------------------------------------------------------------------------------------

_NUMBER_TYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64)


def string_to_number(string_tensor, out_type=dtypes.float32, name=None) -> Tensor:
    """Parses each string as a number of `out_type`; InvalidArgumentError on a bad string."""
    out_type = dtypes.as_dtype(out_type)
    if out_type not in _NUMBER_TYPES:
        raise TypeError(
            f"Value passed to parameter 'out_type' has DataType {out_type.name} not in list of "
            "allowed values: float32, float64, int32, int64 (op 'StringToNumber')"
        )
    string_tensor = _strings(string_tensor, "StringToNumber", "string_tensor")
    return apply_op("StringToNumber", [string_tensor], name=name, out_type=out_type.numpy_dtype)


# -- joining along axes -------------------------------------------------------------------------


def reduce_join(
    inputs,
    axis=None,
    keep_dims=None,
    separator="",
    name=None,
    reduction_indices=None,
    keepdims=None,
) -> Tensor:
    """Joins the strings of `inputs` along `axis` (all axes by default), axis by axis in the
    order given."""
    if axis is not None and reduction_indices is not None:
        raise ValueError("Cannot specify both 'axis' and 'reduction_indices'.")
    if keep_dims is not None and keepdims is not None:
        raise ValueError("Cannot specify both 'keep_dims' and 'keepdims'.")
    axis = reduction_indices if axis is None else axis
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with name_scope(None, "ReduceJoin", [inputs]):
        inputs = _strings(inputs, "ReduceJoin", "inputs")
        if axis is None:
            rank = inputs.shape.ndims
            if rank is None:
                raise ValueError("reduce_join: axis=None needs an input of known rank")
            axis = np.arange(rank - 1, -1, -1, dtype=np.int32)
        axis = convert_to_tensor(axis, dtype=dtypes.int32)
        return apply_op(
            "ReduceJoin", [inputs, axis], name=name, keep_dims=keep, separator=separator
        )


# -- base64 -------------------------------------------------------------------------------------


def encode_base64(input, pad=False, name=None) -> Tensor:
    """Each string in web-safe base64 ("-" and "_"), with "=" padding if `pad`."""
    return apply_op("EncodeBase64", [_strings(input, "EncodeBase64")], name=name, pad=bool(pad))


def decode_base64(input, name=None) -> Tensor:
    """Decodes web-safe base64 strings (padded or not)."""
    return apply_op("DecodeBase64", [_strings(input, "DecodeBase64")], name=name)


# -- formatting ---------------------------------------------------------------------------------


def string_format(template, inputs, placeholder="{}", summarize=3, name=None) -> Tensor:
    """A scalar string: `template` with each `placeholder` replaced by the next input, tensors
    printed as tf.print does (`summarize` entries at each end of each dimension)."""
    if isinstance(inputs, (list, tuple)):
        tensors = [convert_to_tensor(x) for x in inputs]
    else:
        tensors = [convert_to_tensor(inputs)]
    if template.count(placeholder) != len(tensors):
        raise ValueError(
            f"StringFormat: {template.count(placeholder)} placeholder(s) in template and "
            f"{len(tensors)} input(s) must match"
        )
    return apply_op(
        "StringFormat",
        tensors,
        name=name,
        template=template,
        placeholder=placeholder,
        summarize=-1 if summarize is None else int(summarize),
        T=[t.dtype.numpy_dtype for t in tensors],
    )


# -- unicode ------------------------------------------------------------------------------------
# The kernels take flat vectors; these wrappers (TF's ragged_string_ops) shape ragged results.

_UNICODE_ENCODINGS = ("UTF-8", "UTF-16-BE", "UTF-32-BE")


def _unicode_attrs(op_type: str, errors: str, replacement_char: int, **encodings) -> dict:
    """The attrs of a unicode op, checked as TF's kernels check them."""
    for attr, encoding in encodings.items():
        if encoding not in _UNICODE_ENCODINGS:
            raise ValueError(
                f"{op_type}: {attr} {encoding!r} is not supported; flowgraph supports "
                + ", ".join(repr(e) for e in _UNICODE_ENCODINGS)
            )
    if errors not in ("strict", "replace", "ignore"):
        raise ValueError(
            f"Value for attr 'errors' of {errors!r} is not in the list of allowed values: "
            '"strict", "replace", "ignore"'
        )
    if not 0 <= int(replacement_char) <= 0x10FFFF:
        raise ValueError(f"{op_type}: replacement_char out of unicode codepoint range")
    return dict(encodings, errors=errors, replacement_char=int(replacement_char))


def unicode_decode(
    input,
    input_encoding,
    errors="replace",
    replacement_char=0xFFFD,
    replace_control_characters=False,
    name=None,
):
    """The Unicode code points (int32) of each string: a RaggedTensor with one more dim than
    `input` (a dense vector for a scalar `input`). Malformed input is an error ("strict"),
    `replacement_char` ("replace") or dropped ("ignore").

    Example:
      >>> tf.strings.unicode_decode(["héllo", "ok"], "UTF-8")   # [[104, 233, 108, 108, 111],
      ...                                                        #  [111, 107]]
    """
    with name_scope(name, "UnicodeDecode", [input]):
        return _unicode_decode(
            input, input_encoding, errors, replacement_char, replace_control_characters, False
        )


def unicode_decode_with_offsets(
    input,
    input_encoding,
    errors="replace",
    replacement_char=0xFFFD,
    replace_control_characters=False,
    name=None,
):
    """`unicode_decode`, plus the byte offset (int64) where each character starts."""
    with name_scope(name, "UnicodeDecodeWithOffsets", [input]):
        return _unicode_decode(
            input, input_encoding, errors, replacement_char, replace_control_characters, True
        )


def _unicode_decode(input, encoding, errors, replacement_char, replace_control, with_offsets):
    op_type = "UnicodeDecodeWithOffsets" if with_offsets else "UnicodeDecode"
    attrs = _unicode_attrs(op_type, errors, replacement_char, input_encoding=encoding)
    input = _strings_or_ragged(input, op_type)
    ndims = input.shape.ndims
    if ndims is None:
        raise ValueError("Rank of `input` must be statically known.")
    if ndims > 1:  # every dim but the first ragged, so the flat values are a vector
        if not is_ragged(input):
            input = RaggedTensor.from_tensor(input, ragged_rank=ndims - 1)
        elif input.ragged_rank < ndims - 1:
            inner = ndims - input.ragged_rank - 1
            input = input.with_flat_values(
                RaggedTensor.from_tensor(input.flat_values, ragged_rank=inner)
            )
    flat = array_ops.reshape(input.flat_values if is_ragged(input) else input, [-1])
    splits, *outputs = apply_op(
        op_type,
        [flat],
        replace_control_characters=bool(replace_control),
        Tsplits=np.int64,
        **attrs,
    )
    if ndims > 0:
        outputs = [RaggedTensor.from_row_splits(t, splits, validate=False) for t in outputs]
    if ndims > 1:
        outputs = [input.with_flat_values(t) for t in outputs]
    return tuple(outputs) if with_offsets else outputs[0]


def unicode_encode(input, output_encoding, errors="replace", replacement_char=65533, name=None):
    """Encodes each innermost row of int32 code points as one string: a tensor of the shape
    of `input` without its last dim (dense or ragged as `input` is).

    Example:
      >>> tf.strings.unicode_encode(tf.ragged.constant([[104, 105], [233]]), "UTF-8")
      ... # [b"hi", b"\xc3\xa9"]
    """
    attrs = _unicode_attrs(
        "UnicodeEncode", errors, replacement_char, output_encoding=output_encoding
    )
    with name_scope(name, "UnicodeEncode", [input]):
        input = convert_to_tensor_or_ragged_tensor(input, name="input")
        if input.dtype.base_dtype != dtypes.int32:
            raise TypeError(
                f"Value passed to parameter 'input_values' has DataType {input.dtype.name} not "
                "in list of allowed values: int32 (op 'UnicodeEncode')"
            )
        return _unicode_encode(input, attrs)


def _unicode_encode(input, attrs):
    ndims = input.shape.ndims
    if ndims is None:
        raise ValueError("Rank of input_tensor must be statically known.")
    if is_ragged(input):
        if input.flat_values.shape.ndims > 1:  # the code point rows are in the flat values
            return input.with_flat_values(_unicode_encode(input.flat_values, attrs))
        if input.ragged_rank > 1:
            return input.with_values(_unicode_encode(input.values, attrs))
        return apply_op(
            "UnicodeEncode", [input.values, input.row_splits], Tsplits=np.int64, **attrs
        )
    if ndims == 0:
        raise ValueError("input_tensor's rank must be at least 1.")
    if ndims == 1:  # one row: the scalar string
        splits = array_ops.concat(
            [array_ops.zeros([1], dtypes.int64), array_ops.shape(input, out_type=dtypes.int64)], 0
        )
        row = RaggedTensor.from_row_splits(input, splits, validate=False)
        return array_ops.reshape(_unicode_encode(row, attrs), [])
    if ndims == 2:
        return _unicode_encode(RaggedTensor.from_tensor(input), attrs)
    shape = array_ops.shape(input)
    rows = array_ops.reshape(input, array_ops.stack([-1, shape[-1]]))
    return array_ops.reshape(_unicode_encode(rows, attrs), shape[:-1])


def unicode_split(input, input_encoding, errors="replace", replacement_char=65533, name=None):
    """Each string split into its characters (each a string in `input_encoding`): a
    RaggedTensor with one more dim than `input`."""
    with name_scope(name, "UnicodeSplit", [input]):
        codepoints = _unicode_decode(input, input_encoding, errors, replacement_char, False, False)
        return _encode_each(codepoints, input_encoding, errors, replacement_char)


def unicode_split_with_offsets(
    input, input_encoding, errors="replace", replacement_char=65533, name=None
):
    """`unicode_split`, plus the byte offset (int64) where each character starts."""
    with name_scope(name, "UnicodeSplitWithOffsets", [input]):
        codepoints, offsets = _unicode_decode(
            input, input_encoding, errors, replacement_char, False, True
        )
        chars = _encode_each(codepoints, input_encoding, errors, replacement_char)
        return chars, offsets


def _encode_each(codepoints, encoding, errors, replacement_char):
    """Each code point encoded on its own (a trailing dim of 1 makes each a row)."""
    if is_ragged(codepoints):
        singles = codepoints.with_flat_values(array_ops.expand_dims(codepoints.flat_values, -1))
    else:
        singles = array_ops.expand_dims(codepoints, -1)
    return unicode_encode(singles, encoding, errors, replacement_char)


def unicode_transcode(
    input,
    input_encoding,
    output_encoding,
    errors="replace",
    replacement_char=65533,
    replace_control_characters=False,
    name=None,
) -> Tensor:
    """Each string re-encoded from `input_encoding` to `output_encoding` (same shape)."""
    attrs = _unicode_attrs(
        "UnicodeTranscode",
        errors,
        replacement_char,
        input_encoding=input_encoding,
        output_encoding=output_encoding,
    )
    return apply_op(
        "UnicodeTranscode",
        [_strings(input, "UnicodeTranscode")],
        name=name,
        replace_control_characters=bool(replace_control_characters),
        **attrs,
    )


def _strings_or_ragged(value, op_type: str):
    """`value` as a string Tensor or a RaggedTensor of strings."""
    value = convert_to_tensor_or_ragged_tensor(
        value, dtypes.string if not isinstance(value, (Tensor, RaggedTensor)) else None
    )
    if is_ragged(value):
        return value.with_flat_values(_strings(value.flat_values, op_type))
    return _strings(value, op_type)
