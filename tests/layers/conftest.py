"""Each layer test builds in a fresh default graph (names and collections start empty)."""

import pytest

import flowgraph as tf


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as graph:
        yield graph
