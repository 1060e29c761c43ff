"""Version constants describe flowgraph and the GraphDefs it writes."""

import pathlib
import tomllib

import flowgraph as tf

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_version_is_flowgraphs_release():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert tf.VERSION == tf.__version__ == project["version"]


def test_graph_def_versions_are_those_written():
    with tf.Graph().as_default() as g:
        tf.constant(1.0)
    versions = g.as_graph_def().versions
    assert versions.producer == tf.GRAPH_DEF_VERSION
    assert versions.min_consumer == tf.GRAPH_DEF_VERSION_MIN_CONSUMER
    assert tf.GRAPH_DEF_VERSION_MIN_PRODUCER <= tf.GRAPH_DEF_VERSION
