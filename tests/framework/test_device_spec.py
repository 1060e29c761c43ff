"""DeviceSpec, tf.device nesting and tf.colocate_with, as TF1 has them."""

import pytest

import flowgraph as tf


@pytest.fixture
def g():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("/cpu:0", "/device:CPU:0"),
        ("/gpu:1", "/device:GPU:1"),
        ("cpu:0", "/device:CPU:0"),
        ("/CPU:1", "/device:CPU:1"),
        ("/device:GPU:0", "/device:GPU:0"),
        ("/device:gpu:0", "/device:GPU:0"),
        ("/job:worker/replica:0/task:1/device:CPU:0", "/job:worker/replica:0/task:1/device:CPU:0"),
        ("/job:ps", "/job:ps"),
        ("/task:2", "/task:2"),
        ("/cpu:*", "/device:CPU:*"),
        ("/device:XLA_CPU:0", "/device:XLA_CPU:0"),
        ("", ""),
    ],
)
def test_device_strings_in_every_tf1_form(spec, expected):
    assert tf.DeviceSpec.from_string(spec).to_string() == expected


def test_fields_and_unknown_parts():
    d = tf.DeviceSpec.from_string("/job:worker/replica:1/task:2/gpu:3")
    assert (d.job, d.replica, d.task, d.device_type, d.device_index) == ("worker", 1, 2, "GPU", 3)
    assert tf.DeviceSpec(job="ps", device_type="cpu").to_string() == "/job:ps/device:CPU:*"
    with pytest.raises(ValueError, match="Unknown attribute 'foo'"):
        tf.DeviceSpec.from_string("/foo:1")
    with pytest.raises(ValueError, match="Multiple device types"):
        tf.DeviceSpec.from_string("/cpu:0/gpu:0")


def test_merge_replace_and_parse_in_place():
    d = tf.DeviceSpec.from_string("/job:a/cpu:0")
    d.merge_from(tf.DeviceSpec.from_string("/task:2/gpu:1"))
    assert d.to_string() == "/job:a/task:2/device:GPU:1"
    base = tf.DeviceSpec.from_string("/job:ps/task:1")
    assert base.replace(task=3).to_string() == "/job:ps/task:3"
    assert base.to_string() == "/job:ps/task:1"  # replace copies
    merged = base.make_merged_spec(tf.DeviceSpec.from_string("/cpu:0"))
    assert merged.to_string() == "/job:ps/task:1/device:CPU:0"
    assert base.parse_from_string("/gpu:0") is base and base.device_type == "GPU"
    assert tf.DeviceSpec(device_type="GPU", device_index=0) == tf.DeviceSpec.from_string("/gpu:0")


def test_device_scopes_with_specs_functions_and_none(g):
    with tf.device(tf.DeviceSpec(job="worker")):
        with tf.device("/cpu:1"):
            a = tf.constant(1.0)
        with tf.device(lambda op: "/gpu:0" if op.type == "Const" else ""):
            b = tf.constant(2.0)
        with tf.device(None):
            c = tf.constant(3.0)
    assert a.op.device == "/job:worker/device:CPU:1"
    assert b.op.device == "/job:worker/device:GPU:0"  # the function's device merges outward
    assert c.op.device == ""


def test_colocate_with_records_the_group_and_takes_the_device(g):
    with tf.device("/cpu:1"):
        v = tf.Variable(1.0, name="v")
    with tf.device("/cpu:2"):
        r = v + 1
        with tf.colocate_with(v):
            c = tf.constant(3.0, name="c")
    assert c.op.device == "/device:CPU:1"
    assert c.op.get_attr("_class") == [b"loc:@v"]
    with tf.device("/cpu:3"), tf.colocate_with(r.op, ignore_existing=True):
        d = tf.constant(4.0, name="d")
    assert d.op.device == "/device:CPU:2"  # colocation wins over device scopes
    assert d.op.get_attr("_class") == [b"loc:@add"]
    with tf.colocate_with(c):  # c's own group is v's
        e = tf.constant(5.0, name="e")
    assert e.op.get_attr("_class") == [b"loc:@v"]
    with pytest.raises(ValueError, match="ignore_existing"):
        with tf.colocate_with(None):
            pass
    with tf.colocate_with(v), tf.colocate_with(None, ignore_existing=True):
        f = tf.constant(6.0, name="f")
    with pytest.raises(ValueError, match="no attr"):
        f.op.get_attr("_class")


def test_variable_ops_and_optimizer_slots_are_colocated_with_the_variable(g):
    with tf.device("/cpu:1"):
        v = tf.Variable([1.0, 2.0], name="v")
    with tf.device("/cpu:2"):
        bump = v.assign_add([1.0, 1.0])
        loss = tf.reduce_sum(v * v)
        train = tf.train.AdamOptimizer(0.1).minimize(loss)
    assert bump.op.device == "/device:CPU:1"  # an op writing a ref sits with the variable
    for name in [
        "v/Assign",
        "v/read",
        "AssignAdd",
        "v/Adam",
        "v/Adam_1",
        "v/Adam/Assign",
        "Adam/update_v/ApplyAdam",
        "beta1_power",
    ]:
        op = g.get_operation_by_name(name)
        assert op.device == "/device:CPU:1", name
        assert op.get_attr("_class") == [b"loc:@v"], name
    assert train.type == "NoOp"


def test_colocate_gradients_with_ops(g):
    x = tf.constant([1.0, 2.0])
    with tf.device("/cpu:3"):
        y = tf.reduce_sum(tf.square(x), name="y")
    (dx,) = tf.gradients(y, [x], colocate_gradients_with_ops=True)
    grad_ops = [op for op in g.get_operations() if op.name.startswith("gradients/y_grad")]
    assert grad_ops and all(op.device == "/device:CPU:3" for op in grad_ops)
    assert all(op.get_attr("_class") == [b"loc:@y"] for op in grad_ops)
    (dx2,) = tf.gradients(y, [x])
    assert dx2.op.device == ""
