"""TF's enum-like constants for gradients and variables (`tf.AggregationMethod`, ...)."""

from __future__ import annotations

import enum


class AggregationMethod:
    """How `tf.gradients` combines the gradients that reach a tensor along several paths.

    `ADD_N` (the default) adds them all at once; the experimental methods trade memory
    for time in TF. flowgraph accepts all three and sums with one `AddN`.
    """

    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


class UnconnectedGradients(str, enum.Enum):
    """What `tf.gradients` returns for an x that `ys` do not depend on: None or zeros.

    Example:
      >>> tf.gradients(y, [x], unconnected_gradients=tf.UnconnectedGradients.ZERO)
    """

    NONE = "none"
    ZERO = "zero"


class VariableSynchronization(enum.Enum):
    """When a distributed variable is aggregated (accepted; flowgraph has one copy)."""

    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class VariableAggregation(enum.Enum):
    """How a distributed variable's updates combine (accepted; flowgraph has one copy)."""

    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3
