"""Tensor element types: the TensorFlow 1.x `tf.DType` and its instances."""

import builtins

import ml_dtypes
import numpy as np

# TensorFlow `DataType` enum values (types.proto); reference types are enum + 100.
DT_INVALID = 0
DT_FLOAT = 1
DT_DOUBLE = 2
DT_INT32 = 3
DT_UINT8 = 4
DT_INT16 = 5
DT_INT8 = 6
DT_STRING = 7
DT_COMPLEX64 = 8
DT_INT64 = 9
DT_BOOL = 10
DT_QINT8 = 11
DT_QUINT8 = 12
DT_QINT32 = 13
DT_BFLOAT16 = 14
DT_QINT16 = 15
DT_QUINT16 = 16
DT_UINT16 = 17
DT_COMPLEX128 = 18
DT_HALF = 19
DT_RESOURCE = 20
DT_VARIANT = 21
DT_UINT32 = 22
DT_UINT64 = 23
# The narrow types of `tf.dtypes.experimental` (ml_dtypes on the numpy side).
DT_FLOAT8_E5M2 = 24
DT_FLOAT8_E4M3FN = 25
DT_FLOAT8_E4M3FNUZ = 26
DT_FLOAT8_E4M3B11FNUZ = 27
DT_FLOAT8_E5M2FNUZ = 28
DT_INT4 = 29
DT_UINT4 = 30
DT_INT2 = 31
DT_UINT2 = 32
DT_FLOAT4_E2M1FN = 33
_REF_OFFSET = 100

_np_bfloat16 = ml_dtypes.bfloat16

# TF identifies quantized types on the numpy side by these structured dtypes.
_np_qint8 = np.dtype([("qint8", np.int8)])
_np_quint8 = np.dtype([("quint8", np.uint8)])
_np_qint16 = np.dtype([("qint16", np.int16)])
_np_quint16 = np.dtype([("quint16", np.uint16)])
_np_qint32 = np.dtype([("qint32", np.int32)])

# (enum, name, numpy type) for every base type; ref types are derived below.
_BASE_TYPES = (
    (DT_HALF, "float16", np.float16),
    (DT_FLOAT, "float32", np.float32),
    (DT_DOUBLE, "float64", np.float64),
    (DT_INT32, "int32", np.int32),
    (DT_UINT8, "uint8", np.uint8),
    (DT_UINT16, "uint16", np.uint16),
    (DT_UINT32, "uint32", np.uint32),
    (DT_UINT64, "uint64", np.uint64),
    (DT_INT16, "int16", np.int16),
    (DT_INT8, "int8", np.int8),
    (DT_STRING, "string", np.object_),
    (DT_COMPLEX64, "complex64", np.complex64),
    (DT_COMPLEX128, "complex128", np.complex128),
    (DT_INT64, "int64", np.int64),
    (DT_BOOL, "bool", np.bool_),
    (DT_QINT8, "qint8", _np_qint8),
    (DT_QUINT8, "quint8", _np_quint8),
    (DT_QINT16, "qint16", _np_qint16),
    (DT_QUINT16, "quint16", _np_quint16),
    (DT_QINT32, "qint32", _np_qint32),
    (DT_BFLOAT16, "bfloat16", _np_bfloat16),
    (DT_RESOURCE, "resource", np.object_),
    (DT_VARIANT, "variant", np.object_),
    (DT_FLOAT8_E5M2, "float8_e5m2", ml_dtypes.float8_e5m2),
    (DT_FLOAT8_E4M3FN, "float8_e4m3fn", ml_dtypes.float8_e4m3fn),
    (DT_FLOAT8_E4M3FNUZ, "float8_e4m3fnuz", ml_dtypes.float8_e4m3fnuz),
    (DT_FLOAT8_E4M3B11FNUZ, "float8_e4m3b11fnuz", ml_dtypes.float8_e4m3b11fnuz),
    (DT_FLOAT8_E5M2FNUZ, "float8_e5m2fnuz", ml_dtypes.float8_e5m2fnuz),
    (DT_INT4, "int4", ml_dtypes.int4),
    (DT_UINT4, "uint4", ml_dtypes.uint4),
    (DT_INT2, "int2", ml_dtypes.int2),
    (DT_UINT2, "uint2", ml_dtypes.uint2),
    (DT_FLOAT4_E2M1FN, "float4_e2m1fn", ml_dtypes.float4_e2m1fn),
)
# numpy does not see ml_dtypes' narrow types as floating or integer; TF does.
_NARROW_FLOATS = frozenset(
    [
        DT_FLOAT8_E5M2,
        DT_FLOAT8_E4M3FN,
        DT_FLOAT8_E4M3FNUZ,
        DT_FLOAT8_E4M3B11FNUZ,
        DT_FLOAT8_E5M2FNUZ,
        DT_FLOAT4_E2M1FN,
    ]
)
_NARROW_INTS = frozenset([DT_INT4, DT_UINT4, DT_INT2, DT_UINT2])

_TYPE_TO_STRING = {}
_TF_TO_NP = {}
for _enum, _name, _np_type in _BASE_TYPES:
    _TYPE_TO_STRING[_enum] = _name
    _TYPE_TO_STRING[_enum + _REF_OFFSET] = _name + "_ref"
    _TF_TO_NP[_enum] = _np_type
    _TF_TO_NP[_enum + _REF_OFFSET] = _np_type
del _enum, _name, _np_type

_NUMPY_INCOMPATIBLE = frozenset(
    [DT_RESOURCE, DT_VARIANT, DT_RESOURCE + _REF_OFFSET, DT_VARIANT + _REF_OFFSET]
)
_QUANTIZED_ENUMS = frozenset([DT_QINT8, DT_QUINT8, DT_QINT16, DT_QUINT16, DT_QINT32])
_NO_MIN_MAX_ENUMS = _QUANTIZED_ENUMS | {DT_BOOL, DT_STRING, DT_COMPLEX64, DT_COMPLEX128}

# Sentinel for a min/max that TF refuses to compute (TypeError on access).
_NO_VALUE = object()

# enum -> DType; filled as the module-level instances are created.
_INTERN_TABLE = {}


def _min_max(type_enum, np_type):
    """Computes (min, max) of a base type the way TF does, `_NO_VALUE` if undefined."""
    if type_enum in _NO_MIN_MAX_ENUMS:
        return _NO_VALUE, _NO_VALUE
    if type_enum in _NARROW_FLOATS:
        info = ml_dtypes.finfo(np_type)
        return info.min, info.max
    if type_enum in _NARROW_INTS:
        info = ml_dtypes.iinfo(np_type)
        return info.min, info.max
    if type_enum == DT_BFLOAT16:
        return (
            _np_bfloat16(float.fromhex("-0x1.FEp127")),
            _np_bfloat16(float.fromhex("0x1.FEp127")),
        )
    try:
        info = np.finfo(np_type)
    except (TypeError, ValueError):
        try:
            info = np.iinfo(np_type)
        except (TypeError, ValueError):
            return _NO_VALUE, _NO_VALUE
    return info.min, info.max


class DType(object):
    """Represents the type of the elements in a `Tensor`.

    Instances are interned: `DType(enum)` returns the module-level instance for that
    enum, so identity, equality and hashing all agree.

    Args:
        type_enum: A TensorFlow `DataType` enum value (reference types are +100).

    Raises:
        TypeError: If `type_enum` is not a valid `DataType` value.
    """

    __slots__ = (
        "_type_enum",
        "_name",
        "_np_type",
        "_np_dtype",
        "_is_floating",
        "_is_integer",
        "_is_complex",
        "_is_bool",
        "_is_quantized",
        "_is_numpy_compatible",
        "_min",
        "_max",
        "_size",
    )

    def __new__(cls, type_enum):
        try:
            existing = _INTERN_TABLE.get(type_enum)
            if existing is not None:
                return existing
            type_enum = int(type_enum)
        except (TypeError, ValueError):
            raise TypeError(
                "type_enum is not a valid types_pb2.DataType: %s" % (type_enum,)
            ) from None
        if type_enum not in _TYPE_TO_STRING:
            raise TypeError("type_enum is not a valid types_pb2.DataType: %s" % type_enum)
        existing = _INTERN_TABLE.get(type_enum)
        if existing is not None:
            return existing
        self = object.__new__(cls)
        base_enum = type_enum - _REF_OFFSET if type_enum > _REF_OFFSET else type_enum
        np_type = _TF_TO_NP[type_enum]
        numpy_compatible = type_enum not in _NUMPY_INCOMPATIBLE
        quantized = base_enum in _QUANTIZED_ENUMS
        self._type_enum = type_enum
        self._name = _TYPE_TO_STRING[type_enum]
        self._np_type = np_type
        self._np_dtype = np.dtype(np_type)
        self._is_numpy_compatible = numpy_compatible
        self._is_quantized = quantized
        self._is_floating = (
            base_enum == DT_BFLOAT16
            or base_enum in _NARROW_FLOATS
            or (numpy_compatible and np.issubdtype(np_type, np.floating))
        )
        self._is_integer = base_enum in _NARROW_INTS or (
            numpy_compatible and not quantized and np.issubdtype(np_type, np.integer)
        )
        self._is_complex = base_enum in (DT_COMPLEX64, DT_COMPLEX128)
        self._is_bool = base_enum == DT_BOOL
        self._min, self._max = _min_max(base_enum, np_type)
        # TF reports 1 byte for (non-ref) handle types that have no numpy layout.
        self._size = 1 if type_enum in (DT_RESOURCE, DT_VARIANT) else self._np_dtype.itemsize
        _INTERN_TABLE[type_enum] = self
        return self

    @property
    def _is_ref_dtype(self):
        """Returns `True` if this `DType` represents a reference type."""
        return self._type_enum > _REF_OFFSET

    @property
    def _as_ref(self):
        """Returns a reference `DType` based on this `DType`."""
        if self._type_enum > _REF_OFFSET:
            return self
        return _INTERN_TABLE[self._type_enum + _REF_OFFSET]

    @property
    def base_dtype(self):
        """Returns a non-reference `DType` based on this `DType`."""
        if self._type_enum > _REF_OFFSET:
            return _INTERN_TABLE[self._type_enum - _REF_OFFSET]
        return self

    @property
    def real_dtype(self):
        """Returns the `DType` corresponding to this `DType`'s real part."""
        base_enum = self.base_dtype._type_enum
        if base_enum == DT_COMPLEX64:
            return _INTERN_TABLE[DT_FLOAT]
        if base_enum == DT_COMPLEX128:
            return _INTERN_TABLE[DT_DOUBLE]
        return self

    @property
    def is_numpy_compatible(self):
        """Returns whether this data type has a compatible NumPy data type."""
        return self._is_numpy_compatible

    @property
    def as_numpy_dtype(self):
        """Returns the NumPy type class (an `np.dtype` for quantized types)."""
        return self._np_type

    @property
    def numpy_dtype(self):
        """Returns the `np.dtype` instance for this type (`object` for handles/strings)."""
        return self._np_dtype

    @property
    def as_datatype_enum(self):
        """Returns a `types_pb2.DataType` enum value based on this `DType`."""
        return self._type_enum

    @property
    def is_bool(self):
        """Returns whether this is a boolean data type."""
        return self._is_bool

    @property
    def is_integer(self):
        """Returns whether this is a (non-quantized) integer type."""
        return self._is_integer

    @property
    def is_floating(self):
        """Returns whether this is a (non-quantized, real) floating point type."""
        return self._is_floating

    @property
    def is_complex(self):
        """Returns whether this is a complex floating point type."""
        return self._is_complex

    @property
    def is_quantized(self):
        """Returns whether this is a quantized data type."""
        return self._is_quantized

    @property
    def is_unsigned(self):
        """Returns whether this type is unsigned (its minimum is known to be 0)."""
        return self._min is not _NO_VALUE and self._min == 0

    @property
    def name(self):
        """Returns the string name for this `DType`."""
        return self._name

    @property
    def min(self):
        """Returns the minimum representable value in this data type.

        Raises:
            TypeError: if this is a non-numeric, unordered, or quantized type.
        """
        if self._min is _NO_VALUE:
            raise TypeError("Cannot find minimum value of %s." % self)
        return self._min

    @property
    def max(self):
        """Returns the maximum representable value in this data type.

        Raises:
            TypeError: if this is a non-numeric, unordered, or quantized type.
        """
        if self._max is _NO_VALUE:
            raise TypeError("Cannot find maximum value of %s." % self)
        return self._max

    @property
    def limits(self, clip_negative=True):
        """Returns intensity limits `(min, max)` of the dtype, as TF does.

        Like TF this is a property, so `clip_negative` is always True and the
        minimum is always 0; types absent from `dtype_range` raise KeyError.
        """
        min, max = dtype_range[self._np_type]  # pylint: disable=redefined-builtin
        if clip_negative:
            min = 0  # pylint: disable=redefined-builtin
        return min, max

    @property
    def size(self):
        """Returns the number of bytes of one element of this type."""
        return self._size

    def is_compatible_with(self, other):
        """Returns True if the `other` DType will be converted to this DType.

        `DType(T).is_compatible_with(DType(T))` and
        `DType(T).is_compatible_with(DType(T).as_ref)` are True;
        `DType(T).as_ref.is_compatible_with(DType(T))` is False.

        Args:
            other: A `DType` (or object that may be converted to a `DType`).

        Returns:
            True if a Tensor of the `other` `DType` will be implicitly converted to
            this `DType`.
        """
        other = as_dtype(other)
        return self._type_enum in (other._type_enum, other.base_dtype._type_enum)

    def __eq__(self, other):
        """Returns True iff this DType refers to the same type as `other`."""
        if other.__class__ is DType:
            return self._type_enum == other._type_enum
        if other is None:
            return False
        try:
            return self._type_enum == as_dtype(other)._type_enum
        except TypeError:
            return False

    def __ne__(self, other):
        """Returns True iff self != other."""
        return not self.__eq__(other)

    def __hash__(self):
        return self._type_enum

    def __repr__(self):
        return "tf." + self._name

    def __str__(self):
        return "<dtype: %r>" % self._name

    def __reduce__(self):
        return as_dtype, (self._name,)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


# Intensity ranges used by `DType.limits` (same table as TF).
dtype_range = {
    np.bool_: (False, True),
    np.uint8: (0, 255),
    np.uint16: (0, 65535),
    np.int8: (-128, 127),
    np.int16: (-32768, 32767),
    np.int64: (-(2**63), 2**63 - 1),
    np.uint64: (0, 2**64 - 1),
    np.int32: (-(2**31), 2**31 - 1),
    np.uint32: (0, 2**32 - 1),
    np.float32: (-1, 1),
    np.float64: (-1, 1),
}

resource = DType(DT_RESOURCE)
variant = DType(DT_VARIANT)
uint8 = DType(DT_UINT8)
uint16 = DType(DT_UINT16)
uint32 = DType(DT_UINT32)
uint64 = DType(DT_UINT64)
int8 = DType(DT_INT8)
int16 = DType(DT_INT16)
int32 = DType(DT_INT32)
int64 = DType(DT_INT64)
float16 = DType(DT_HALF)
half = float16
float32 = DType(DT_FLOAT)
float64 = DType(DT_DOUBLE)
double = float64
complex64 = DType(DT_COMPLEX64)
complex128 = DType(DT_COMPLEX128)
string = DType(DT_STRING)
bool = DType(DT_BOOL)  # pylint: disable=redefined-builtin
qint8 = DType(DT_QINT8)
qint16 = DType(DT_QINT16)
qint32 = DType(DT_QINT32)
quint8 = DType(DT_QUINT8)
quint16 = DType(DT_QUINT16)
bfloat16 = DType(DT_BFLOAT16)
float8_e5m2 = DType(DT_FLOAT8_E5M2)
float8_e4m3fn = DType(DT_FLOAT8_E4M3FN)
float8_e4m3fnuz = DType(DT_FLOAT8_E4M3FNUZ)
float8_e4m3b11fnuz = DType(DT_FLOAT8_E4M3B11FNUZ)
float8_e5m2fnuz = DType(DT_FLOAT8_E5M2FNUZ)
int4 = DType(DT_INT4)
uint4 = DType(DT_UINT4)
int2 = DType(DT_INT2)
uint2 = DType(DT_UINT2)
float4_e2m1fn = DType(DT_FLOAT4_E2M1FN)

resource_ref = DType(DT_RESOURCE + _REF_OFFSET)
variant_ref = DType(DT_VARIANT + _REF_OFFSET)
float16_ref = DType(DT_HALF + _REF_OFFSET)
half_ref = float16_ref
float32_ref = DType(DT_FLOAT + _REF_OFFSET)
float64_ref = DType(DT_DOUBLE + _REF_OFFSET)
double_ref = float64_ref
int32_ref = DType(DT_INT32 + _REF_OFFSET)
uint32_ref = DType(DT_UINT32 + _REF_OFFSET)
uint8_ref = DType(DT_UINT8 + _REF_OFFSET)
uint16_ref = DType(DT_UINT16 + _REF_OFFSET)
int16_ref = DType(DT_INT16 + _REF_OFFSET)
int8_ref = DType(DT_INT8 + _REF_OFFSET)
string_ref = DType(DT_STRING + _REF_OFFSET)
complex64_ref = DType(DT_COMPLEX64 + _REF_OFFSET)
complex128_ref = DType(DT_COMPLEX128 + _REF_OFFSET)
int64_ref = DType(DT_INT64 + _REF_OFFSET)
uint64_ref = DType(DT_UINT64 + _REF_OFFSET)
bool_ref = DType(DT_BOOL + _REF_OFFSET)
qint8_ref = DType(DT_QINT8 + _REF_OFFSET)
quint8_ref = DType(DT_QUINT8 + _REF_OFFSET)
qint16_ref = DType(DT_QINT16 + _REF_OFFSET)
quint16_ref = DType(DT_QUINT16 + _REF_OFFSET)
qint32_ref = DType(DT_QINT32 + _REF_OFFSET)
bfloat16_ref = DType(DT_BFLOAT16 + _REF_OFFSET)
float8_e5m2_ref = DType(DT_FLOAT8_E5M2 + _REF_OFFSET)
float8_e4m3fn_ref = DType(DT_FLOAT8_E4M3FN + _REF_OFFSET)
float8_e4m3fnuz_ref = DType(DT_FLOAT8_E4M3FNUZ + _REF_OFFSET)
float8_e4m3b11fnuz_ref = DType(DT_FLOAT8_E4M3B11FNUZ + _REF_OFFSET)
float8_e5m2fnuz_ref = DType(DT_FLOAT8_E5M2FNUZ + _REF_OFFSET)
int4_ref = DType(DT_INT4 + _REF_OFFSET)
uint4_ref = DType(DT_UINT4 + _REF_OFFSET)
int2_ref = DType(DT_INT2 + _REF_OFFSET)
uint2_ref = DType(DT_UINT2 + _REF_OFFSET)
float4_e2m1fn_ref = DType(DT_FLOAT4_E2M1FN + _REF_OFFSET)

_STRING_TO_TF = {name: _INTERN_TABLE[enum] for enum, name in _TYPE_TO_STRING.items()}
_STRING_TO_TF["half"] = float16
_STRING_TO_TF["half_ref"] = float16_ref
_STRING_TO_TF["float"] = float32
_STRING_TO_TF["float_ref"] = float32_ref
_STRING_TO_TF["double"] = float64
_STRING_TO_TF["double_ref"] = float64_ref

_NP_TO_TF = {
    np.float16: float16,
    np.float32: float32,
    np.float64: float64,
    np.int32: int32,
    np.int64: int64,
    np.uint8: uint8,
    np.uint16: uint16,
    np.uint32: uint32,
    np.uint64: uint64,
    np.int16: int16,
    np.int8: int8,
    np.complex64: complex64,
    np.complex128: complex128,
    np.object_: string,
    np.bytes_: string,
    np.str_: string,
    np.bool_: bool,
    _np_qint8: qint8,
    _np_quint8: quint8,
    _np_qint16: qint16,
    _np_quint16: quint16,
    _np_qint32: qint32,
    _np_bfloat16: bfloat16,
    ml_dtypes.float8_e5m2: float8_e5m2,
    ml_dtypes.float8_e4m3fn: float8_e4m3fn,
    ml_dtypes.float8_e4m3fnuz: float8_e4m3fnuz,
    ml_dtypes.float8_e4m3b11fnuz: float8_e4m3b11fnuz,
    ml_dtypes.float8_e5m2fnuz: float8_e5m2fnuz,
    ml_dtypes.int4: int4,
    ml_dtypes.uint4: uint4,
    ml_dtypes.int2: int2,
    ml_dtypes.uint2: uint2,
    ml_dtypes.float4_e2m1fn: float4_e2m1fn,
}
# Platform integer types are not always the same objects as the fixed-width ones
# (e.g. np.longlong vs np.int64), so map them through their dtype.
for _pdt in (np.intc, np.uintc, np.int_, np.uint, np.longlong, np.ulonglong):
    if _pdt not in _NP_TO_TF:
        _NP_TO_TF[_pdt] = _NP_TO_TF[np.dtype(np.dtype(_pdt).str).type]
del _pdt

_PYTHON_TO_TF = {
    builtins.float: float32,
    builtins.int: int32,
    builtins.bool: bool,
    builtins.complex: complex128,
    builtins.str: string,
    builtins.bytes: string,
    builtins.object: string,
}

_ANY_TO_TF = {}
_ANY_TO_TF.update(_INTERN_TABLE)
_ANY_TO_TF.update(_STRING_TO_TF)
_ANY_TO_TF.update(_PYTHON_TO_TF)
_ANY_TO_TF.update(_NP_TO_TF)
assert len(_ANY_TO_TF) == sum(
    len(d) for d in (_INTERN_TABLE, _STRING_TO_TF, _PYTHON_TO_TF, _NP_TO_TF)
)

# Everything but the names: keeps np.dtype inputs (which compare equal to strings such
# as "float") away from string keys. Builtin np.dtype instances are cached here too.
_NON_STRING_TO_TF = {k: v for k, v in _ANY_TO_TF.items() if k.__class__ is not str}

_QUANTIZED_DTYPES_NO_REF = frozenset([qint8, quint8, qint16, quint16, qint32])
_QUANTIZED_DTYPES_REF = frozenset([qint8_ref, quint8_ref, qint16_ref, quint16_ref, qint32_ref])
QUANTIZED_DTYPES = _QUANTIZED_DTYPES_REF.union(_QUANTIZED_DTYPES_NO_REF)

FLOATING_TYPES = (float16, bfloat16, float32, float64)
INTEGER_TYPES = (int8, int16, int32, int64, uint8, uint16, uint32, uint64)
COMPLEX_TYPES = (complex64, complex128)
NUMERIC_TYPES = FLOATING_TYPES + INTEGER_TYPES + COMPLEX_TYPES


def as_dtype(type_value):
    """Converts the given `type_value` to a `DType`.

    Args:
        type_value: A `DType`, a `DataType` enum value, a type name such as
            `"float32"` or `"float32_ref"`, a NumPy type or `np.dtype`, a Python
            type (`float`, `int`, `bool`, `complex`, `str`, `bytes`), or an object
            with a convertible `dtype` attribute.

    Returns:
        The interned `DType` corresponding to `type_value`.

    Raises:
        TypeError: If `type_value` cannot be converted to a `DType`.
    """
    cls = type_value.__class__
    if cls is DType:
        return type_value
    if cls is str:
        result = _STRING_TO_TF.get(type_value)
    else:
        try:
            result = _NON_STRING_TO_TF.get(type_value)
        except TypeError:
            # type_value is not hashable.
            result = None
    if result is not None:
        return result
    return _as_dtype_slow(type_value)


def _as_dtype_slow(type_value):
    """Handles the inputs of `as_dtype` that are not a direct table hit."""
    if isinstance(type_value, DType):
        return _INTERN_TABLE[type_value._type_enum]
    np_type = None
    if isinstance(type_value, np.dtype):
        result = _NP_TO_TF.get(type_value.type)
        if result is not None:
            if type_value.isbuiltin:
                # Builtin dtypes form a small fixed set, so the cache stays bounded.
                _NON_STRING_TO_TF[type_value] = result
            return result
        np_type = type_value
    elif isinstance(type_value, str):
        result = _STRING_TO_TF.get(str(type_value))
        if result is not None:
            return result
    elif isinstance(type_value, type) and issubclass(type_value, np.generic):
        np_type = type_value
    elif not isinstance(type_value, (bytes, builtins.int, builtins.float)):
        # Objects carrying a dtype (e.g. jax.numpy.float32, arrays), as TF 2 accepts.
        np_type = getattr(type_value, "dtype", None)
    if np_type is not None:
        try:
            np_dtype = np.dtype(np_type)
            # Canonicalize byte order and platform aliases through the type string.
            result = (
                _NP_TO_TF.get(np_dtype.type)
                or _NP_TO_TF.get(np.dtype(np_dtype.str).type)
                or _NON_STRING_TO_TF.get(np_dtype)
            )
        except (TypeError, ValueError):
            result = None
        if result is not None:
            return result
    raise TypeError(  # TF 2.21's words (TF 1.15: "Cannot convert value %r to a …")
        f"Cannot convert the argument `type_value`: {type_value!r} to a TensorFlow DType."
    )
