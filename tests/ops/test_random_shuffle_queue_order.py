"""A seeded RandomShuffleQueue hands out TensorFlow's order: TF's kernel draws `word % size`
from a Philox4x32-10 stream of the (seed, seed2) attrs and moves the last element into the
hole (fixtures/random_shuffle_queue_tf.json, written by fixtures/random_shuffle_queue_tf.py
with TF 2.21)."""

import json
import pathlib

import numpy as np
import pytest

import flowgraph as tf
from tests.ops.random_shuffle_queue_program import run

CASES = json.loads(
    (pathlib.Path(__file__).parents[1] / "fixtures" / "random_shuffle_queue_tf.json").read_text()
)


@pytest.mark.parametrize(
    "case", CASES, ids=lambda c: f"{c['graph_seed']}-{c['seed']}-{c['shared_name']}-{c['pattern']}"
)
def test_seeded_order_is_tensorflows(case):
    got = run(tf, case["graph_seed"], case["seed"], case["shared_name"],
               case["min_after_dequeue"], case["steps"])  # fmt: skip
    assert got == case["result"]


def test_the_philox_words_are_tfs_stream():
    # Philox4x32-10 of key (seed halves), counter seed2 << 64: the words the queue draws,
    # against kernels/philox.py's (device) Philox of the same key and counters.
    import jax.numpy as jnp

    from kernels import philox
    from kernels.data_flow import _PhiloxWords

    seed, seed2 = 2**40 + 5, 2**63 - 1
    words = _PhiloxWords(seed, seed2)
    got = words.take(3) + words.take(1) + words.take(6) + words.take(0) + words.take(10)
    key = jnp.array([seed & 0xFFFFFFFF, seed >> 32], jnp.uint32)
    lo = jnp.arange(5, dtype=jnp.uint64)
    blocks = philox.philox(key, lo, jnp.full(5, seed2, jnp.uint64))
    assert got == np.asarray(blocks).reshape(-1).tolist()
