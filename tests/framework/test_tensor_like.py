"""tf.types.experimental: TensorLike and FunctionType."""

from __future__ import annotations

import typing

import numpy as np

import flowgraph as tf


def test_tensor_like_lists_what_converts_to_a_tensor():
    members = typing.get_args(tf.types.experimental.TensorLike)
    assert tf.Tensor in members and np.ndarray in members and float in members
    with tf.Graph().as_default():
        for value in (1.5, [1, 2], np.ones(2), tf.constant(1)):
            assert isinstance(value, members)
            tf.convert_to_tensor(value)


def test_function_type_is_a_signature():
    def f(x: tf.types.experimental.TensorLike, y=2):
        return x

    ft = tf.types.experimental.FunctionType.from_callable(f)
    assert list(ft.parameters) == ["x", "y"] and ft.parameters["y"].default == 2
