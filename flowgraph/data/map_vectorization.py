"""Map-and-batch fusion for parsing: `map(parse_single_example).batch(n)` parses each batch
with one ParseExample (one C-level pass per feature) instead of one kernel call per record.

TF's tf.data fuses and vectorizes such maps too. Only a function that does nothing but
parse its one string argument with dense features is fused; the kernel parses a batch
record by record again when the batched parse fails, so results and errors (which
record, its message, what the next batch holds) are those of map-then-batch.
"""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.func_graph import FuncGraph, to_function
from flowgraph.framework.ops import Operation, Tensor, apply_op

_PLUMBING = {"Identity", "Const", "Placeholder"}


def batched_parse(graph: FuncGraph, outputs: list[Tensor]):
    """The Function parsing a string vector as `graph` parses one string (whose outputs
    are `outputs`), or None where the map function does more than parse."""
    work = [op for op in graph.get_operations() if op.type not in _PLUMBING]
    if len(work) != 1 or work[0].type != "ParseSingleExample" or graph.captured_outer:
        return None
    parse = work[0]
    positions = [_output_of(t, parse) for t in outputs]
    if len(graph.inputs) != 1 or parse.inputs[0] is not graph.inputs[0] or None in positions:
        return None
    if parse.get_attr("num_sparse"):
        return None
    batched = FuncGraph(f"{graph.name}_batched", graph.outer_graph)
    with batched.as_default():
        records = batched.add_argument(dtypes.string, [None], "arg")
        parsed = _parse_example(records, parse)
    return to_function(batched, [records], [parsed[i] for i in positions], [records], (), None)


def _output_of(tensor: Tensor, op: Operation) -> int | None:
    while tensor.op.type == "Identity":
        tensor = tensor.op.inputs[0]
    return tensor.value_index if tensor.op is op else None


def _parse_example(records: Tensor, parse: Operation) -> list[Tensor]:
    from flowgraph.ops.constant_op import constant

    keys = parse.get_attr("dense_keys")
    defaults = [constant(t.op.get_attr("value"), t.dtype) for t in parse.inputs[1:]]
    outputs = apply_op(
        "ParseExample",
        [records, constant([], dtypes.string), *(constant(k, dtypes.string) for k in keys)]
        + defaults,
        name="ParseExample",
        Nsparse=0,
        Ndense=len(keys),
        sparse_types=(),
        Tdense=parse._attrs["Tdense"],
        dense_shapes=parse._attrs["dense_shapes"],
    )
    return list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]
