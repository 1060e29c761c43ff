"""TF1's random seed rules: a graph-level seed combined with an op-level seed."""

from __future__ import annotations

from flowgraph.framework.ops import get_default_graph

DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2**31 - 1


def _truncate(seed: int) -> int:
    return seed % _MAXINT32  # truncate to fit into a 32-bit int, as TF does


def get_seed(op_seed: int | None) -> tuple[int | None, int | None]:
    """The (seed, seed2) pair an op should use, as TF1 derives it.

    With a graph seed, an op without its own seed gets one from the graph's op count, so
    graphs built the same way draw the same numbers. With neither, both are None and the
    op draws fresh randomness each session.
    """
    graph = get_default_graph()
    global_seed = graph.seed
    if global_seed is not None:
        if op_seed is None:
            op_seed = graph.version
        seeds = _truncate(global_seed), _truncate(op_seed)
    elif op_seed is not None:
        seeds = DEFAULT_GRAPH_SEED, _truncate(op_seed)
    else:
        seeds = None, None
    if seeds == (0, 0):  # (0, 0) means "nondeterministic" to the kernels
        return 0, _MAXINT32
    return seeds


def set_random_seed(seed: int | None) -> None:
    """Sets the default graph's random seed: seeded programs repeat across sessions.

    Example:
      >>> tf.set_random_seed(1234)
      >>> a = tf.random_uniform([1])   # same values in every new session
    """
    get_default_graph().seed = seed
