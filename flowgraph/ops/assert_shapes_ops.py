"""`tf.debugging.assert_shapes`: shape constraints over several tensors, with named dims
that must agree, checked when the graph is built where shapes are known and otherwise when
it runs."""

from __future__ import annotations

from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, check_ops, control_flow_ops
from flowgraph.ops.constant_op import convert_to_tensor


def _dims(spec) -> tuple[bool, list]:
    """(leading dims allowed, the constraints of the trailing dims)."""
    spec = [spec] if isinstance(spec, str) and len(spec) == 1 else list(spec)
    if spec and spec[0] in ("*", "..."):
        return True, spec[1:]
    return False, spec


def _check_rank(x, leading: bool, dims: list):
    rank = x.shape.ndims
    if rank is None:
        return
    if (rank < len(dims)) if leading else (rank != len(dims)):
        what = "at least " if leading else ""
        raise ValueError(
            f"Tensor {x.name} must have rank {what}{len(dims)}.  Received rank "
            f"{rank}, shape {tuple(x.shape.as_list())}"
        )


def assert_shapes(shapes, data=None, summarize=None, message=None, name=None):
    """Asserts tensor shapes and dimension sizes, with named dimensions that must agree.

    Args:
      shapes: a dict or a list of `(tensor, shape)` pairs; a shape lists, per dim, an int
        size, a symbol (a string naming a size that must be the same everywhere it
        appears) or "." (any size); a leading "*" or "..." allows any leading dims.
      data: tensors to print if the check fails at run time.
      summarize: how many entries of each tensor to print.
      message: a message prefix.
      name: a name scope.

    Returns:
      An op that raises `InvalidArgumentError` at run time if a constraint fails (a no_op
      when every constraint was checked while building).

    Raises:
      ValueError: if a constraint fails on shapes known while building.

    Example:
      >>> tf.debugging.assert_shapes([(x, ("N", "Q")), (y, ("N", "D")), (b, ("Q",))])
    """
    pairs = list(shapes.items()) if isinstance(shapes, dict) else list(shapes)
    with name_scope(name, "assert_shapes", [t for t, _ in pairs]):
        sizes: dict = {}  # symbol -> (size tensor, static size or None, its origin)
        checks = []
        for x, spec in pairs:
            x = convert_to_tensor(x)
            leading, dims = _dims(spec)
            _check_rank(x, leading, dims)
            static = x.shape.as_list() if x.shape.ndims is not None else None
            for k, want in enumerate(dims):
                axis = k - len(dims) if leading else k  # leading dims: count from the end
                checks += _check_dim(x, axis, static, want, sizes, message, data, summarize)
        if not checks:
            return control_flow_ops.no_op(name="static_checks_determined_all_ok")
        return control_flow_ops.group(*checks)


def _check_dim(x, axis, static, want, sizes, message, data, summarize) -> list:
    if want == ".":
        return []
    known = static[axis] if static is not None else None
    size = known if known is not None else array_ops.shape(x)[axis]
    shown = axis + len(static) if axis < 0 and static is not None else axis
    origin = f"{x.name} dimension {shown}"
    if isinstance(want, str):
        if want not in sizes:
            sizes[want] = (size, origin)
            return []
        expected, where = sizes[want]
        prefix = f"Specified by tensor {where}.  "
    else:
        expected, prefix = int(want), ""
    if isinstance(expected, int) and known is not None:
        if known != expected:
            raise ValueError(
                f"{message + '  ' if message else ''}{prefix}Tensor {origin} must "
                f"have size {expected}.  Received size {known}, shape "
                f"{tuple(static)}"
            )
        return []
    text = f"{prefix}Tensor {origin} must have size"
    got = array_ops.shape(x)[axis]
    return [
        check_ops.assert_equal(
            got, expected, data=data or [text, expected, got], summarize=summarize, message=message
        )
    ]
