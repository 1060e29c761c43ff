"""TensorFlow 2 behaviour switches: flowgraph is TF1's graph mode, so each is already off.

Turning a TF2 behaviour off is accepted (a TF1 script often starts with
`tf.disable_v2_behavior()`); turning one on raises `NotImplementedError`, except control
flow v2, which flowgraph's functional `If`/`While` ops already are.
"""

_GRAPH_MODE = (
    "flowgraph runs TensorFlow 1.x graph mode only (build a graph, then Session.run it); "
    "{} is not available"
)


def _unavailable(what):
    raise NotImplementedError(_GRAPH_MODE.format(what))


def executing_eagerly():
    """Whether ops run eagerly: never in flowgraph (graph mode), so False."""
    return False


def enable_eager_execution(config=None, device_policy=None, execution_mode=None):
    """Raises `NotImplementedError`: flowgraph has no eager execution."""
    _unavailable("eager execution")


def disable_eager_execution():
    """Disables eager execution: accepted, flowgraph always builds graphs."""


def enable_v2_behavior():
    """Raises `NotImplementedError`: flowgraph provides TF1's behaviour only."""
    _unavailable("TensorFlow 2 behaviour")


def disable_v2_behavior():
    """Disables TensorFlow 2 behaviour: accepted, flowgraph is TF1's already."""


def enable_resource_variables():
    """Raises `NotImplementedError`: flowgraph's variables are TF1 reference variables."""
    _unavailable("resource variables")


def disable_resource_variables():
    """Opts out of resource variables: accepted, flowgraph's variables are reference ones."""


def resource_variables_enabled():
    """Whether `tf.Variable` makes resource variables: False (TF1's reference variables)."""
    return False


def enable_control_flow_v2():
    """Enables control flow v2: accepted, flowgraph's `cond`/`while_loop` are `If`/`While`."""


def disable_control_flow_v2():
    """Accepted; flowgraph keeps its functional `If`/`While` ops (it has no v1 Switch/Merge)."""


def control_flow_v2_enabled():
    """Whether `cond`/`while_loop` build functional ops (`If`/`While`): True in flowgraph."""
    return True


def enable_v2_tensorshape():
    """Raises `NotImplementedError`: `TensorShape` indexing gives TF1 `Dimension`s."""
    _unavailable("the TF2 TensorShape (plain int dimensions)")


def disable_v2_tensorshape():
    """Keeps TF1's `TensorShape` (indexing gives `Dimension`s): accepted, it is the only one."""


def enable_tensor_equality():
    """Raises `NotImplementedError`: flowgraph's `Tensor ==` is TF1's identity comparison."""
    _unavailable("elementwise Tensor equality")


def disable_tensor_equality():
    """Keeps TF1's `Tensor ==` (identity, hashable tensors): accepted, it is the only one."""
