"""TF1 idioms whose reads of a ref variable are ordered after its writes.

Each case takes the TF1 module (`flowgraph`, or `tensorflow.compat.v1` when
`tests/fixtures/make_ref_order.py` records TensorFlow's values), builds its graph in the
default graph, runs it in a fresh session and returns the values it fetched, as lists.
"""

from __future__ import annotations


def _run(tf, fetches, steps=1, config=None):
    with tf.Session(config=config) as sess:
        sess.run(tf.global_variables_initializer())
        out = [sess.run(fetches) for _ in range(steps)]
    return _lists(out)


def _lists(value):
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    if isinstance(value, bytes):
        return value.decode()
    return value.tolist() if hasattr(value, "tolist") else value


def step_after_train_op(tf):
    """`with control_dependencies([train_op]): step = tf.identity(global_step)`."""
    w = tf.Variable([1.0, 2.0], name="w")
    step = tf.train.get_or_create_global_step()
    loss = tf.reduce_sum(w * w)
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    with tf.control_dependencies([train_op]):
        after = tf.identity(step)
        w_after = tf.identity(w)
    return _run(tf, [after, w_after], steps=2)


def identity_after_assign_add(tf):
    """`inc = v.assign_add(1); with control_dependencies([inc]): y = tf.identity(v)`."""
    v = tf.Variable(1.0, name="v")
    inc = v.assign_add(1.0)
    with tf.control_dependencies([inc]):
        y = tf.identity(v)
        z = v + 10.0
    return _run(tf, [y, z], steps=2)


def assign_from_incremented(tf):
    """`with control_dependencies([inc]): v.assign(v * 2)` uses the incremented v."""
    v = tf.Variable(1.0, name="v")
    inc = v.assign_add(1.0)
    with tf.control_dependencies([inc]):
        doubled = v.assign(v * 2.0)
    return _run(tf, [doubled], steps=2)


def chain_then_read_value(tf):
    """assign_adds chained by control dependencies, then `read_value()` under the last."""
    v = tf.Variable(0.0, name="v")
    op = v.assign_add(1.0)
    for k in (2.0, 3.0):
        with tf.control_dependencies([op]):
            op = v.assign_add(k)
    with tf.control_dependencies([op]):
        read = v.read_value()
        plain = tf.identity(v)
    return _run(tf, [read, plain], steps=2)


def group_then_reads(tf):
    """`tf.group` of updates, then reads under a dependency on the group."""
    a = tf.Variable(1.0, name="a")
    b = tf.Variable([1.0, 2.0], name="b")
    updates = tf.group(a.assign_add(1.0), b.assign(b * 3.0))
    with tf.control_dependencies([updates]):
        total = a + tf.reduce_sum(b)
    return _run(tf, [total], steps=2)


def through_noop_and_identity(tf):
    """The order passes through a NoOp and an Identity chain."""
    v = tf.Variable(5.0, name="v")
    inc = v.assign_add(1.0)
    with tf.control_dependencies([inc]):
        gate = tf.no_op()
    with tf.control_dependencies([gate]):
        marker = tf.identity(tf.constant(0.0))
    with tf.control_dependencies([marker]):
        y = tf.identity(v) * 1.0
    return _run(tf, [y], steps=2)


def moving_average_by_hand(tf):
    """`with control_dependencies([opt_op]): <ema.apply>` averages the updated values."""
    w = tf.Variable([1.0, -2.0], name="w")
    avg = tf.Variable([1.0, -2.0], name="avg", trainable=False)
    loss = tf.reduce_sum(w * w)
    opt_op = tf.train.GradientDescentOptimizer(0.25).minimize(loss)
    with tf.control_dependencies([opt_op]):
        ema = avg.assign_sub((1.0 - 0.5) * (avg - w))
    return _run(tf, [ema], steps=3)


def in_cond_branch(tf):
    """A read inside a cond branch built under a dependency on the write."""
    v = tf.Variable(1.0, name="v")
    inc = v.assign_add(1.0)
    with tf.control_dependencies([inc]):
        y = tf.cond(tf.constant(True), lambda: tf.identity(v) * 2.0, lambda: tf.constant(0.0))
    return _run(tf, [y], steps=2)


def in_while_body(tf):
    """A loop run after a write reads the written value."""
    v = tf.Variable(1.0, name="v")
    inc = v.assign_add(1.0)
    with tf.control_dependencies([inc]):
        _, total = tf.while_loop(
            lambda i, t: i < 3, lambda i, t: (i + 1, t + tf.identity(v)), [0, tf.constant(0.0)]
        )
    return _run(tf, [total], steps=2)


def write_then_read_in_cond_branch(tf):
    """Inside a branch: a write, then reads under a dependency on it."""
    v = tf.Variable(1.0, name="v")

    def branch():
        inc = v.assign_add(1.0)
        with tf.control_dependencies([inc]):
            return v.read_value() * 10.0, tf.identity(v) * 100.0

    other = (tf.constant(0.0), tf.constant(0.0))
    return _run(tf, [tf.cond(tf.constant(True), branch, lambda: other)], steps=2)


def write_then_read_in_while_body(tf):
    """Inside a loop body: a write, then a read under a dependency on it."""
    v = tf.Variable(1.0, name="v")

    def body(i, t):
        inc = v.assign_add(1.0)
        with tf.control_dependencies([inc]):
            return i + 1, t + tf.identity(v)

    _, total = tf.while_loop(lambda i, t: i < 3, body, [0, tf.constant(0.0)], parallel_iterations=1)
    return _run(tf, [total], steps=2)


def read_in_host_segment(tf):
    """A host op (strings) ordered after the write, and an xla op after it."""
    v = tf.Variable(1.0, name="v")
    inc = v.assign_add(1.0)
    with tf.control_dependencies([inc]):
        text = tf.as_string(v, precision=1)
        total = tf.strings.to_number(text) + v
    return _run(tf, [text, total], steps=2)


def resource_read(tf):
    """A resource variable's reads under a dependency on its write."""
    with tf.variable_scope("r", use_resource=True):
        v = tf.get_variable("v", initializer=1.0)
    inc = v.assign_add(1.0)
    with tf.control_dependencies([inc]):
        y = v.read_value() + 0.0
        z = tf.identity(v)
    return _run(tf, [y, z], steps=2)


def across_devices(tf):
    """The write on one device, the read under its dependency on another."""
    config = tf.ConfigProto(device_count={"CPU": 2}, allow_soft_placement=True)
    with tf.device("/cpu:0"):
        v = tf.Variable(1.0, name="v")
        inc = v.assign_add(1.0)
    with tf.device("/cpu:1"), tf.control_dependencies([inc]):
        y = tf.identity(v) * 3.0
    return _run(tf, [y], steps=2, config=config)


CASES = (
    step_after_train_op,
    identity_after_assign_add,
    assign_from_incremented,
    chain_then_read_value,
    group_then_reads,
    through_noop_and_identity,
    moving_average_by_hand,
    in_cond_branch,
    in_while_body,
    write_then_read_in_cond_branch,
    write_then_read_in_while_body,
    read_in_host_segment,
    resource_read,
    across_devices,
)
