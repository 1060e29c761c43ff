"""`tf.errors`: the classes users catch, wherever in the layers they are raised."""

import pickle

import numpy as np
import pytest

import flowgraph as tf
from kernels import errors as kernel_errors

ERROR_CLASSES = [
    getattr(tf.errors, name)
    for name in dir(tf.errors)
    if name.endswith("Error") and isinstance(getattr(tf.errors, name), type)
]


def test_error_classes_report_flowgraph_errors():
    assert len(ERROR_CLASSES) == 17  # OpError and its sixteen codes
    for cls in ERROR_CLASSES:
        assert cls.__module__ == "flowgraph.errors"
        assert getattr(tf.errors, cls.__name__) is cls
    assert tf.OpError is tf.errors.OpError


def test_run_time_error_is_caught_as_tf_errors_class():
    x = tf.placeholder(tf.float32)
    checked = tf.check_numerics(x, "x is bad")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(checked, {x: np.float32("nan")})
        with pytest.raises(tf.OpError):
            sess.run(checked, {x: np.float32("inf")})
    assert "x is bad" in info.value.message
    assert info.value.error_code == tf.errors.INVALID_ARGUMENT
    assert "flowgraph.errors.InvalidArgumentError" in repr(type(info.value))


def test_error_raised_by_a_kernel_is_the_public_class():
    assert kernel_errors.OutOfRangeError is tf.errors.OutOfRangeError
    with pytest.raises(tf.errors.OutOfRangeError):
        raise kernel_errors.OutOfRangeError(None, None, "queue closed")


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_errors_pickle_by_name(cls):
    error = cls(None, None, "msg", 3) if cls is tf.errors.OpError else cls(None, None, "msg")
    restored = pickle.loads(pickle.dumps(error))
    assert type(restored) is cls
    assert (restored.message, restored.error_code) == ("msg", error.error_code)


def test_raise_exception_on_not_ok_status():
    with tf.errors.raise_exception_on_not_ok_status() as status:
        assert status.code == tf.errors.OK  # nothing raised for OK
    with pytest.raises(tf.errors.NotFoundError, match="no such file"):
        with tf.errors.raise_exception_on_not_ok_status() as status:
            status.code, status.message = tf.errors.NOT_FOUND, "no such file"
    with pytest.raises(ValueError, match="own error"):  # the block's own error wins
        with tf.errors.raise_exception_on_not_ok_status() as status:
            status.code = tf.errors.INTERNAL
            raise ValueError("own error")
