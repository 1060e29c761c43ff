"""Logging ops: TF1's `tf.Print`."""

from __future__ import annotations

from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.ops.constant_op import convert_to_tensor
from kernels.errors import UnimplementedError


def Print(  # noqa: N802  (TF1's name)
    input_, data, message=None, first_n=None, summarize=None, name=None
) -> Tensor:
    """An identity op that prints `message` and the values of `data` to stderr when run.

    Example:
      >>> y = tf.Print(x, [x, tf.shape(x)], "x = ")
    """
    if first_n not in (None, -1):
        raise UnimplementedError(None, None, "tf.Print: first_n is not supported yet; use -1")
    input_ = convert_to_tensor(input_)
    data = [convert_to_tensor(d) for d in data]
    return apply_op(
        "Print",
        [input_] + data,
        name=name,
        message=message or "",
        first_n=-1,
        summarize=3 if summarize is None else int(summarize),
        U=[d.dtype.numpy_dtype for d in data],
    )
