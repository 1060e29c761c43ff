"""`tf.summary.get_summary_description`: the description a TensorSummary node carries."""

from __future__ import annotations

from google.protobuf import json_format
from tensorboard.compat.proto.summary_pb2 import SummaryDescription


def get_summary_description(node_def):
    """The `SummaryDescription` proto of a `TensorSummary` node (its `description` attr,
    JSON).

    Args:
      node_def: a `NodeDef` of a `TensorSummary` op.

    Returns:
      A `SummaryDescription`.

    Raises:
      ValueError: if the node is not a `TensorSummary`.
    """
    if node_def.op != "TensorSummary":
        raise ValueError(f"Can't get_summary_description on {node_def.op}")
    raw = node_def.attr["description"].s
    description = SummaryDescription()
    json_format.Parse(raw.decode() if isinstance(raw, bytes) else raw, description)
    return description
