"""Fake quantization with ranges held in tensors (`tf.quantization.fake_quant_with_min_max_vars`
and its per-channel form): quantize-dequantize in the forward pass, straight-through
gradients inside the nudged range, and range gradients from the values outside it."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import RegisterGradient, no_gradient

for _op_type in ("FakeQuantWithMinMaxVarsGradient", "FakeQuantWithMinMaxVarsPerChannelGradient"):
    no_gradient(_op_type)  # gradient ops
del _op_type


def _floats(*values) -> list[Tensor]:
    return [convert_to_tensor(v, dtype=dtypes.float32) for v in values]


def _attrs(num_bits, narrow_range) -> dict:
    if not 2 <= num_bits <= 16:
        raise ValueError(f"num_bits is out of range, expected between 2 and 16, was: {num_bits}")
    return {"num_bits": int(num_bits), "narrow_range": bool(narrow_range)}


def fake_quant_with_min_max_vars(
    inputs,
    min,
    max,
    num_bits=8,
    narrow_range=False,  # noqa: A002
    name=None,
) -> Tensor:
    """Quantizes float32 `inputs` to `num_bits` over [min, max] (scalar tensors, nudged so
    that 0 is exact) and back; `min` and `max` get gradients from values outside."""
    return apply_op(
        "FakeQuantWithMinMaxVars",
        _floats(inputs, min, max),
        name=name,
        **_attrs(num_bits, narrow_range),
    )


def fake_quant_with_min_max_vars_per_channel(
    inputs,
    min,
    max,
    num_bits=8,  # noqa: A002
    narrow_range=False,
    name=None,
) -> Tensor:
    """`fake_quant_with_min_max_vars` with one range per channel (last dimension)."""
    return apply_op(
        "FakeQuantWithMinMaxVarsPerChannel",
        _floats(inputs, min, max),
        name=name,
        **_attrs(num_bits, narrow_range),
    )


def fake_quant_with_min_max_vars_gradient(
    gradients,
    inputs,
    min,
    max,
    num_bits=8,  # noqa: A002
    narrow_range=False,
    name=None,
):
    """The gradients of `fake_quant_with_min_max_vars` for inputs, min and max."""
    return apply_op(
        "FakeQuantWithMinMaxVarsGradient",
        _floats(gradients, inputs, min, max),
        name=name,
        **_attrs(num_bits, narrow_range),
    )


def fake_quant_with_min_max_vars_per_channel_gradient(
    gradients,
    inputs,
    min,
    max,  # noqa: A002
    num_bits=8,
    narrow_range=False,
    name=None,
):
    """The gradients of `fake_quant_with_min_max_vars_per_channel`."""
    return apply_op(
        "FakeQuantWithMinMaxVarsPerChannelGradient",
        _floats(gradients, inputs, min, max),
        name=name,
        **_attrs(num_bits, narrow_range),
    )


def _gradient_of(gradient_fn):
    def grad(op, gradient):
        attrs = {k: op.get_attr(k) for k in ("num_bits", "narrow_range")}
        return list(gradient_fn(gradient, *op.inputs, **attrs))

    return grad


RegisterGradient("FakeQuantWithMinMaxVars")(_gradient_of(fake_quant_with_min_max_vars_gradient))
RegisterGradient("FakeQuantWithMinMaxVarsPerChannel")(
    _gradient_of(fake_quant_with_min_max_vars_per_channel_gradient)
)
