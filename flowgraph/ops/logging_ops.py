"""Logging ops: TF1's `tf.Print` and `tf.print` (StringFormat + PrintV2)."""

from __future__ import annotations

from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import cond_branch_values
from flowgraph.ops.constant_op import convert_to_tensor


def Print(  # noqa: N802  (TF1's name)
    input_, data, message=None, first_n=None, summarize=None, name=None
) -> Tensor:
    """An identity op that prints `message` and the values of `data` to stderr when run.

    `first_n` limits the printing to the op's first `first_n` runs in a session (None or
    -1: every run); `summarize` is how many entries of each tensor to print (default 3).

    Example:
      >>> y = tf.Print(x, [x, tf.shape(x)], "x = ")
    """
    input_ = convert_to_tensor(input_)
    data = [convert_to_tensor(d) for d in data]
    attrs = dict(
        message=message or "",
        first_n=-1 if first_n is None else int(first_n),
        summarize=3 if summarize is None else int(summarize),
    )
    return cond_branch_values.live_identity(  # TF prints nothing when an input is dead
        [input_] + data,
        lambda x: apply_op(
            "Print", x, name=name, U=[d.dtype.numpy_dtype for d in x[1:]], **attrs
        ),
    )


_STREAMS = {"stderr": "stderr", "stdout": "stdout"}


def print_v2(*inputs, **kwargs):
    """An op that prints `inputs` (tensors printed numpy-style, others as `str`) when run.

    Keyword args: `output_stream` (sys.stderr, sys.stdout, or "file://path"), `summarize`
    (entries shown at each end of every dimension, default 3; -1 for all), `sep`, `end`,
    `name`.

    Example:
      >>> op = tf.print("x:", x, output_stream=sys.stdout)
      >>> sess.run(op)
    """
    import sys

    output_stream = kwargs.pop("output_stream", sys.stderr)
    summarize = kwargs.pop("summarize", 3)
    sep, end, name = kwargs.pop("sep", " "), kwargs.pop("end", "\n"), kwargs.pop("name", None)
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments for tf.print: {sorted(kwargs)}")
    stream = _output_stream(output_stream, sys)
    texts = [str(x) for x in inputs if not isinstance(x, Tensor)]
    placeholder = "{}"
    while any(placeholder in t for t in texts):  # a placeholder no literal text contains
        placeholder = "{" + placeholder + "}"
    tensors = [x for x in inputs if isinstance(x, Tensor)]
    parts = [placeholder if isinstance(x, Tensor) else str(x) for x in inputs]
    with name_scope(name, "PrintV2", tensors):
        text = apply_op(
            "StringFormat",
            tensors,
            template=sep.join(parts),
            placeholder=placeholder,
            summarize=-1 if summarize is None else int(summarize),
            T=[t.dtype.numpy_dtype for t in tensors],
        )
        return cond_branch_values.live_op(  # TF prints nothing when an input is dead
            [text], lambda x: apply_op("PrintV2", x, output_stream=stream, end=end)
        )


def _output_stream(stream, sys) -> str:
    if stream is sys.stderr:
        return "stderr"
    if stream is sys.stdout:
        return "stdout"
    if isinstance(stream, str) and (stream in _STREAMS or stream.startswith("file://")):
        return stream
    if isinstance(stream, str) and stream.startswith("log("):
        return stream
    raise ValueError(
        f"Unsupported output stream or logging level: {stream!r}. Supported streams are "
        "sys.stdout, sys.stderr, or a string 'file://<path>'."
    )
