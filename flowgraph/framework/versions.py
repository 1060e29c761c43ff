"""Version constants: flowgraph's release (`tf.VERSION`) and the GraphDef versions it writes."""

from flowgraph.framework.graph_def import GRAPH_DEF_VERSION, GRAPH_DEF_VERSION_MIN_CONSUMER

# flowgraph's own release (pyproject.toml), not a TensorFlow version.
VERSION = "0.1.0"
__version__ = VERSION
# The oldest GraphDef producer version flowgraph imports (TF's own minimum).
GRAPH_DEF_VERSION_MIN_PRODUCER = 0

__all__ = [
    "GRAPH_DEF_VERSION",
    "GRAPH_DEF_VERSION_MIN_CONSUMER",
    "GRAPH_DEF_VERSION_MIN_PRODUCER",
    "VERSION",
    "__version__",
]
