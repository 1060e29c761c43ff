"""`tf.grad_pass_through`: a function whose gradient is the identity."""

from __future__ import annotations

import functools

from flowgraph.ops.gradients import custom_gradient


def grad_pass_through(f):
    """Creates a grad-pass-through op with the forward behavior provided in f.

    The result computes `f(x)` forward, and backpropagates the incoming gradient
    unchanged (one output per input), e.g. to train through a quantization or an
    assignment as if it were the identity.

    Example:
      >>> y = tf.grad_pass_through(tf.round)(x)
      >>> tf.gradients(y, x)   # ones
    """

    @custom_gradient
    def pass_through(*args):
        return f(*args), lambda *grads: grads if len(grads) > 1 else grads[0]

    return functools.wraps(f)(pass_through)
