"""Control-flow kernels: NoOp (the op that `tf.group` and control dependencies hang on)."""

from __future__ import annotations

from kernels.registry import register


@register("NoOp", shape=lambda specs, attrs, static_values: [])
def no_op() -> tuple:
    return ()
