"""`tf.bitwise` against numpy."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.ops import bitwise_ops as bw
from tests.ops.test_op_table import B, In, check_rows_in_one_run, i32, row

OP_TYPES_TESTED = {
    "BitwiseAnd",
    "BitwiseOr",
    "BitwiseXor",
    "Invert",
    "LeftShift",
    "RightShift",
    "PopulationCount",
}
NOT_DIFFERENTIABLE = {t: "integer inputs and outputs" for t in OP_TYPES_TESTED}

WIDE = i32(B, 3, low=-1000, high=1000)
SHIFT = i32(B, 3, low=0, high=31)


def u8(*shape) -> In:
    return In(shape, np.uint8, 0, 256)


ROWS = [
    row("BitwiseAnd", bw.bitwise_and, np.bitwise_and, WIDE, WIDE),
    row("BitwiseOr", bw.bitwise_or, np.bitwise_or, WIDE, i32(3, low=-9, high=9)),
    row("BitwiseXor", bw.bitwise_xor, np.bitwise_xor, WIDE, WIDE),
    row("BitwiseXor", bw.bitwise_xor, np.bitwise_xor, u8(B, 3), u8(B, 3), id="uint8"),
    row("Invert", bw.invert, np.invert, WIDE),
    row("Invert", bw.invert, np.invert, u8(B, 3), id="uint8"),
    row("LeftShift", bw.left_shift, np.left_shift, i32(B, 3, low=-50, high=50), SHIFT),
    row("RightShift", bw.right_shift, np.right_shift, WIDE, SHIFT),
    row(
        "RightShift",
        bw.right_shift,
        np.right_shift,
        u8(B, 3),
        In((B, 3), np.uint8, 0, 8),
        id="uint8-logical",
    ),
    row(
        "PopulationCount",
        bw.population_count,
        lambda x: np.array(
            [bin(int(v) & 0xFFFFFFFF).count("1") for v in x.ravel()], np.uint8
        ).reshape(x.shape),
        WIDE,
        dtype=np.uint8,
    ),
]


@pytest.fixture(scope="module")
def sess():
    with tf.Session(graph=tf.Graph()) as session:
        yield session


def test_table(sess):
    check_rows_in_one_run(sess, ROWS)


def test_float_inputs_are_rejected():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="BitwiseAnd"):
            bw.bitwise_and(1.0, 2.0)
