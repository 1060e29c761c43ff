"""Tests for flowgraph.framework.dtypes (TensorFlow 1.x `tf.DType`)."""

import copy
import pickle

import ml_dtypes
import numpy as np
import pytest

from flowgraph.framework import dtypes

# name, enum, numpy type, size in bytes, as TF 1.x defines them.
BASE_TYPES = [
    ("float32", 1, np.float32, 4),
    ("float64", 2, np.float64, 8),
    ("int32", 3, np.int32, 4),
    ("uint8", 4, np.uint8, 1),
    ("int16", 5, np.int16, 2),
    ("int8", 6, np.int8, 1),
    ("string", 7, np.object_, 8),
    ("complex64", 8, np.complex64, 8),
    ("int64", 9, np.int64, 8),
    ("bool", 10, np.bool_, 1),
    ("qint8", 11, np.dtype([("qint8", np.int8)]), 1),
    ("quint8", 12, np.dtype([("quint8", np.uint8)]), 1),
    ("qint32", 13, np.dtype([("qint32", np.int32)]), 4),
    ("bfloat16", 14, ml_dtypes.bfloat16, 2),
    ("qint16", 15, np.dtype([("qint16", np.int16)]), 2),
    ("quint16", 16, np.dtype([("quint16", np.uint16)]), 2),
    ("uint16", 17, np.uint16, 2),
    ("complex128", 18, np.complex128, 16),
    ("float16", 19, np.float16, 2),
    ("resource", 20, np.object_, 1),
    ("variant", 21, np.object_, 1),
    ("uint32", 22, np.uint32, 4),
    ("uint64", 23, np.uint64, 8),
]
NAMES = [row[0] for row in BASE_TYPES]


@pytest.mark.parametrize("name,enum,np_type,size", BASE_TYPES)
def test_base_dtype_attributes(name, enum, np_type, size):
    dt = getattr(dtypes, name)
    assert isinstance(dt, dtypes.DType)
    assert dt.name == name
    assert dt.as_datatype_enum == enum
    assert dt.as_numpy_dtype is np_type or dt.as_numpy_dtype == np_type
    assert dt.numpy_dtype == np.dtype(np_type)
    assert isinstance(dt.numpy_dtype, np.dtype)
    assert dt.size == size
    assert dt.base_dtype is dt
    assert not dt._is_ref_dtype
    assert repr(dt) == "tf." + name
    assert str(dt) == "<dtype: '%s'>" % name
    assert hash(dt) == enum


@pytest.mark.parametrize("name,enum,np_type,size", BASE_TYPES)
def test_as_dtype_round_trips(name, enum, np_type, size):
    dt = getattr(dtypes, name)
    assert dtypes.as_dtype(dt) is dt
    assert dtypes.as_dtype(name) is dt
    assert dtypes.as_dtype(enum) is dt
    assert dtypes.DType(enum) is dt
    assert dtypes.as_dtype(name + "_ref") is dt._as_ref
    assert dtypes.as_dtype(enum + 100) is dt._as_ref
    if name not in ("resource", "variant", "string"):
        assert dtypes.as_dtype(np_type) is dt
        assert dtypes.as_dtype(np.dtype(np_type)) is dt


@pytest.mark.parametrize("name,enum,np_type,size", BASE_TYPES)
def test_ref_dtype_attributes(name, enum, np_type, size):
    dt = getattr(dtypes, name)
    ref = getattr(dtypes, name + "_ref")
    assert ref.name == name + "_ref"
    assert ref.as_datatype_enum == enum + 100
    assert ref._is_ref_dtype
    assert ref._as_ref is ref
    assert dt._as_ref is ref
    assert ref.base_dtype is dt
    assert ref != dt
    assert ref.as_numpy_dtype is dt.as_numpy_dtype
    assert repr(ref) == "tf.%s_ref" % name
    assert str(ref) == "<dtype: '%s_ref'>" % name
    for attr in ("is_floating", "is_integer", "is_complex", "is_bool", "is_quantized",
                 "is_unsigned", "is_numpy_compatible"):
        assert getattr(ref, attr) == getattr(dt, attr), attr


def test_aliases():
    assert dtypes.half is dtypes.float16
    assert dtypes.double is dtypes.float64
    assert dtypes.half_ref is dtypes.float16_ref
    assert dtypes.double_ref is dtypes.float64_ref
    assert dtypes.as_dtype("half") is dtypes.float16
    assert dtypes.as_dtype("float") is dtypes.float32
    assert dtypes.as_dtype("double") is dtypes.float64
    assert dtypes.as_dtype("half_ref") is dtypes.float16_ref
    assert dtypes.as_dtype("float_ref") is dtypes.float32_ref
    assert dtypes.as_dtype("double_ref") is dtypes.float64_ref


def test_as_dtype_numpy_special_types():
    assert dtypes.as_dtype(np.object_) is dtypes.string
    assert dtypes.as_dtype(np.bytes_) is dtypes.string
    assert dtypes.as_dtype(np.str_) is dtypes.string
    assert dtypes.as_dtype(np.dtype("S5")) is dtypes.string
    assert dtypes.as_dtype(np.dtype("U5")) is dtypes.string
    assert dtypes.as_dtype(np.dtype(object)) is dtypes.string
    assert dtypes.as_dtype(np.bool_) is dtypes.bool
    assert dtypes.as_dtype(np.dtype("bool")) is dtypes.bool
    assert dtypes.as_dtype(ml_dtypes.bfloat16) is dtypes.bfloat16
    assert dtypes.as_dtype(np.dtype(ml_dtypes.bfloat16)) is dtypes.bfloat16
    assert dtypes.as_dtype(np.dtype([("qint8", np.int8)])) is dtypes.qint8
    assert dtypes.as_dtype(np.dtype([("quint16", np.uint16)])) is dtypes.quint16


def test_as_dtype_numpy_platform_and_byte_order():
    assert dtypes.as_dtype(np.intc) is dtypes.int32
    assert dtypes.as_dtype(np.longlong) is dtypes.int64
    assert dtypes.as_dtype(np.ulonglong) is dtypes.uint64
    assert dtypes.as_dtype(np.dtype("int64")) is dtypes.int64
    assert dtypes.as_dtype(np.dtype(">f4")) is dtypes.float32
    assert dtypes.as_dtype(np.dtype("<i2")) is dtypes.int16


def test_as_dtype_python_types():
    assert dtypes.as_dtype(float) is dtypes.float32
    assert dtypes.as_dtype(int) is dtypes.int32
    assert dtypes.as_dtype(bool) is dtypes.bool
    assert dtypes.as_dtype(str) is dtypes.string
    assert dtypes.as_dtype(bytes) is dtypes.string
    assert dtypes.as_dtype(complex) is dtypes.complex128
    assert dtypes.as_dtype(object) is dtypes.string


@pytest.mark.parametrize("value", [
    # 24..33 are TF 2.21's narrow types (float8_e5m2, ...): 34 is the first unused enum.
    "floatx", "float32 ", 0, 34, 99, 200, None, [1], {}, np.dtype("V3"),
    np.dtype("float128") if hasattr(np, "float128") else "float128", object(),
])
def test_as_dtype_errors(value):
    with pytest.raises(TypeError) as info:
        dtypes.as_dtype(value)
    want = f"Cannot convert the argument `type_value`: {value!r} to a TensorFlow DType."
    assert str(info.value) == want  # TF 2.21's words


@pytest.mark.parametrize("value", [0, 34, 99, 134, "float32", None])
def test_dtype_constructor_rejects_invalid_enum(value):
    with pytest.raises(TypeError, match="type_enum is not a valid types_pb2.DataType"):
        dtypes.DType(value)


def test_equality_with_convertible_values():
    assert dtypes.float32 == "float32"
    assert "float32" == dtypes.float32
    assert dtypes.float32 == "float"
    assert dtypes.float32 == np.float32
    assert dtypes.float32 == np.dtype("float32")
    assert dtypes.float32 == 1
    assert dtypes.float32 == dtypes.DType(1)
    assert dtypes.int64 == np.int64
    assert dtypes.string == np.object_
    assert dtypes.float64 == "double"
    assert not dtypes.float32 == "float64"
    assert not dtypes.float32 == np.float64
    assert not dtypes.float32 == dtypes.float32_ref
    assert not dtypes.float32 == None  # noqa: E711
    assert not dtypes.float32 == "not a type"
    assert not dtypes.float32 == [1, 2]
    assert dtypes.float32 != "float64"
    assert dtypes.float32 != None  # noqa: E711
    assert dtypes.float32 != "bogus"
    assert not dtypes.float32 != "float32"
    assert not dtypes.float32 != np.float32


def test_hash_and_dict_keys():
    table = {dtypes.float32: "f", dtypes.int32: "i"}
    assert table[dtypes.as_dtype("float32")] == "f"
    assert table[dtypes.DType(3)] == "i"
    assert len({dtypes.float32, dtypes.as_dtype(np.float32), dtypes.float32_ref}) == 2
    assert hash(dtypes.float32_ref) == 101


def test_pickle_and_copy_preserve_identity():
    for dt in (dtypes.float32, dtypes.int64_ref, dtypes.bfloat16, dtypes.qint8,
               dtypes.resource, dtypes.string_ref):
        assert pickle.loads(pickle.dumps(dt)) is dt
        assert copy.copy(dt) is dt
        assert copy.deepcopy(dt) is dt


def test_real_dtype():
    assert dtypes.complex64.real_dtype is dtypes.float32
    assert dtypes.complex128.real_dtype is dtypes.float64
    assert dtypes.complex64_ref.real_dtype is dtypes.float32
    assert dtypes.float32.real_dtype is dtypes.float32
    assert dtypes.int32.real_dtype is dtypes.int32
    # Like TF, a non-complex ref type is its own real dtype.
    assert dtypes.float32_ref.real_dtype is dtypes.float32_ref


TYPE_PREDICATES = {
    # name: (is_floating, is_integer, is_complex, is_bool, is_unsigned, is_quantized)
    "float16": (True, False, False, False, False, False),
    "bfloat16": (True, False, False, False, False, False),
    "float32": (True, False, False, False, False, False),
    "float64": (True, False, False, False, False, False),
    "int8": (False, True, False, False, False, False),
    "int16": (False, True, False, False, False, False),
    "int32": (False, True, False, False, False, False),
    "int64": (False, True, False, False, False, False),
    "uint8": (False, True, False, False, True, False),
    "uint16": (False, True, False, False, True, False),
    "uint32": (False, True, False, False, True, False),
    "uint64": (False, True, False, False, True, False),
    "complex64": (False, False, True, False, False, False),
    "complex128": (False, False, True, False, False, False),
    "bool": (False, False, False, True, False, False),
    "string": (False, False, False, False, False, False),
    "qint8": (False, False, False, False, False, True),
    "quint8": (False, False, False, False, False, True),
    "qint16": (False, False, False, False, False, True),
    "quint16": (False, False, False, False, False, True),
    "qint32": (False, False, False, False, False, True),
    "resource": (False, False, False, False, False, False),
    "variant": (False, False, False, False, False, False),
}


def test_predicates_cover_every_type():
    assert sorted(TYPE_PREDICATES) == sorted(NAMES)


@pytest.mark.parametrize("name", sorted(TYPE_PREDICATES))
def test_type_predicates(name):
    dt = getattr(dtypes, name)
    actual = (dt.is_floating, dt.is_integer, dt.is_complex, dt.is_bool, dt.is_unsigned,
              dt.is_quantized)
    assert actual == TYPE_PREDICATES[name]
    assert dt.is_numpy_compatible == (name not in ("resource", "variant"))


INT_LIMITS = {
    "int8": (-128, 127),
    "int16": (-32768, 32767),
    "int32": (-2**31, 2**31 - 1),
    "int64": (-2**63, 2**63 - 1),
    "uint8": (0, 255),
    "uint16": (0, 65535),
    "uint32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1),
}


@pytest.mark.parametrize("name", sorted(INT_LIMITS))
def test_integer_min_max(name):
    dt = getattr(dtypes, name)
    assert (dt.min, dt.max) == INT_LIMITS[name]
    ref = getattr(dtypes, name + "_ref")
    assert (ref.min, ref.max) == INT_LIMITS[name]


def test_float_min_max():
    assert dtypes.float16.min == np.float16(-65504.0)
    assert dtypes.float16.max == np.float16(65504.0)
    assert dtypes.float32.max == np.float32(3.4028235e38)
    assert dtypes.float32.min == -np.float32(3.4028235e38)
    assert isinstance(dtypes.float32.max, np.float32)
    assert dtypes.float64.max == np.finfo(np.float64).max
    assert dtypes.float64.min == -1.7976931348623157e308
    assert float(dtypes.bfloat16.max) == float.fromhex("0x1.FEp127")
    assert float(dtypes.bfloat16.min) == -float.fromhex("0x1.FEp127")
    assert type(dtypes.bfloat16.max) is ml_dtypes.bfloat16


@pytest.mark.parametrize("name", [
    "bool", "string", "complex64", "complex128", "qint8", "quint8", "qint16", "quint16",
    "qint32", "resource", "variant", "bool_ref", "qint8_ref",
])
def test_min_max_errors(name):
    dt = getattr(dtypes, name)
    with pytest.raises(TypeError) as info:
        _ = dt.min
    assert str(info.value) == "Cannot find minimum value of <dtype: '%s'>." % name
    with pytest.raises(TypeError) as info:
        _ = dt.max
    assert str(info.value) == "Cannot find maximum value of <dtype: '%s'>." % name


def test_limits_match_tf_table():
    # TF's `limits` is a property, so the negative range is always clipped to 0.
    assert dtypes.uint8.limits == (0, 255)
    assert dtypes.int8.limits == (0, 127)
    assert dtypes.int32.limits == (0, 2**31 - 1)
    assert dtypes.float32.limits == (0, 1)
    assert dtypes.bool.limits == (0, True)
    with pytest.raises(KeyError):
        _ = dtypes.float16.limits


def test_is_compatible_with_ref_direction():
    assert dtypes.float32.is_compatible_with(dtypes.float32)
    assert dtypes.float32.is_compatible_with(dtypes.float32_ref)
    assert not dtypes.float32_ref.is_compatible_with(dtypes.float32)
    assert dtypes.float32_ref.is_compatible_with(dtypes.float32_ref)
    assert dtypes.float32.is_compatible_with("float32")
    assert dtypes.float32.is_compatible_with(np.float32)
    assert not dtypes.float32.is_compatible_with(dtypes.float64)
    assert not dtypes.float32.is_compatible_with(dtypes.float64_ref)
    with pytest.raises(TypeError):
        dtypes.float32.is_compatible_with("bogus")


def test_quantized_set_and_type_tuples():
    assert dtypes.QUANTIZED_DTYPES == frozenset([
        dtypes.qint8, dtypes.quint8, dtypes.qint16, dtypes.quint16, dtypes.qint32,
        dtypes.qint8_ref, dtypes.quint8_ref, dtypes.qint16_ref, dtypes.quint16_ref,
        dtypes.qint32_ref])
    assert set(dtypes.FLOATING_TYPES) == {
        dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64}
    assert set(dtypes.INTEGER_TYPES) == {
        dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64, dtypes.uint8, dtypes.uint16,
        dtypes.uint32, dtypes.uint64}
    assert set(dtypes.COMPLEX_TYPES) == {dtypes.complex64, dtypes.complex128}
    assert set(dtypes.NUMERIC_TYPES) == (
        set(dtypes.FLOATING_TYPES) | set(dtypes.INTEGER_TYPES) | set(dtypes.COMPLEX_TYPES))
    assert len(dtypes.NUMERIC_TYPES) == 14
    for group in (dtypes.FLOATING_TYPES, dtypes.INTEGER_TYPES, dtypes.COMPLEX_TYPES,
                  dtypes.NUMERIC_TYPES):
        assert isinstance(group, tuple)
        assert all(not dt._is_ref_dtype for dt in group)
    assert dtypes.bool not in dtypes.NUMERIC_TYPES
    assert dtypes.string not in dtypes.NUMERIC_TYPES


def test_every_ref_counterpart_exists():
    for name in NAMES:
        ref = getattr(dtypes, name + "_ref")
        assert ref is getattr(dtypes, name)._as_ref


def test_as_dtype_repeated_np_dtype_lookups_are_stable():
    for _ in range(3):
        assert dtypes.as_dtype(np.dtype("float64")) is dtypes.float64
        assert dtypes.as_dtype(np.dtype("float32")) is dtypes.float32
        assert dtypes.as_dtype(np.dtype(ml_dtypes.bfloat16)) is dtypes.bfloat16
    # np.dtype("float64") == "float" in numpy; it must not pick up the "float" alias.
    assert np.dtype("float64") == "float"
    assert dtypes.as_dtype(np.dtype("float64")) is not dtypes.as_dtype("float")


def test_as_dtype_accepts_objects_with_dtype_attribute():
    # Beyond TF1 (TF2 does this): arrays and jax.numpy scalar types carry a dtype.
    assert dtypes.as_dtype(np.zeros(2, np.int16)) is dtypes.int16

    class HasDtype:
        dtype = np.dtype("uint32")

    assert dtypes.as_dtype(HasDtype()) is dtypes.uint32


def test_as_dtype_str_subclass():
    class Name(str):
        pass

    assert dtypes.as_dtype(Name("int8")) is dtypes.int8
    with pytest.raises(TypeError):
        dtypes.as_dtype(b"float32")


# TF 2.21's enum, min and max of each tf.dtypes.experimental type.
NARROW = {
    "float4_e2m1fn": (33, -6, 6), "float8_e4m3b11fnuz": (27, -30, 30),
    "float8_e4m3fn": (25, -448, 448), "float8_e4m3fnuz": (26, -240, 240),
    "float8_e5m2": (24, -57344, 57344), "float8_e5m2fnuz": (28, -57344, 57344),
    "int2": (31, -2, 1), "int4": (29, -8, 7), "uint2": (32, 0, 3), "uint4": (30, 0, 15),
}


@pytest.mark.parametrize("name", sorted(NARROW))
def test_experimental_narrow_dtypes(name):
    import flowgraph as tf

    dtype = getattr(tf.dtypes.experimental, name)
    enum, low, high = NARROW[name]
    assert dtype.as_datatype_enum == enum and dtype.name == name
    assert (dtype.min, dtype.max) == (low, high)
    assert dtype.is_floating == name.startswith("float") and dtype.is_integer != dtype.is_floating
    assert tf.as_dtype(getattr(ml_dtypes, name)) is dtype and tf.as_dtype(name) is dtype
    assert dtype._as_ref.base_dtype is dtype and dtype.as_numpy_dtype is getattr(ml_dtypes, name)


def test_casts_through_narrow_dtypes():
    import flowgraph as tf

    with tf.Graph().as_default():
        x = tf.constant([1.5, 300.0, -2.25])
        floats = tf.cast(tf.cast(x, tf.dtypes.experimental.float8_e4m3fn), tf.float32)
        ints = tf.cast(tf.cast(tf.constant([3, -8, 7]), tf.dtypes.experimental.int4), tf.int32)
        got = tf.Session().run([floats, ints])
    assert got[0].tolist() == [1.5, 288.0, -2.25]  # 300 rounds to e4m3fn's 288, as in TF
    assert got[1].tolist() == [3, -8, 7]
