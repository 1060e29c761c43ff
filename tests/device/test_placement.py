"""The placer on four host devices: requests, colocation, soft placement, errors, logging."""

import warnings

import jax
import numpy as np
import pytest

import flowgraph as tf
from device import GraphIR, Node, PlacementOptions
from device.place import apply_gpu_options, place, session_devices

CPU = "/job:localhost/replica:0/task:0/device:CPU:{}".format
F32 = np.dtype(np.float32)


@pytest.fixture
def g():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


def _mlp(devices, steps=3):
    """A 2-layer MLP trained by Adam, layer i on devices[i % len(devices)]; the losses."""
    rng = np.random.RandomState(0)
    data = rng.randn(8, 4).astype(np.float32)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 4])
        h = x
        for i, width in enumerate([5, 3]):
            with tf.device(devices[i % len(devices)]):
                w = tf.Variable(rng.randn(h.shape[1].value, width).astype(np.float32))
                h = tf.tanh(tf.matmul(h, w))
        with tf.device(devices[-1]):
            loss = tf.reduce_mean(tf.square(h))
        train = tf.train.AdamOptimizer(0.1).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            losses = [sess.run([loss, train], {x: data})[0] for _ in range(steps)]
            stored = {k: v.devices() for k, v in sess._store.variables.items()}
    return np.array(losses), stored


def test_a_model_split_over_four_devices_gives_the_one_device_numbers():
    assert len(jax.devices("cpu")) == 4
    one, _ = _mlp(["/cpu:0"])
    split, stored = _mlp(["/cpu:1", "/cpu:2", "/cpu:3"])
    np.testing.assert_allclose(split, one, rtol=1e-6)
    assert one[-1] < one[0]
    cpus = jax.devices("cpu")
    # Variables (and their Adam slots) live on their layer's device.
    assert stored["Variable"] == {cpus[1]} and stored["Variable/Adam"] == {cpus[1]}
    assert stored["Variable_1"] == {cpus[2]} and stored["Variable_1/Adam_1"] == {cpus[2]}


def test_an_op_level_pipeline_split_across_devices(g):
    x = tf.placeholder(tf.float32, [4, 3])
    h = x
    for stage in range(4):
        with tf.device(f"/cpu:{stage}"):
            h = tf.nn.relu(h * float(stage + 1) - 1.0, name=f"stage{stage}")
    value = np.arange(12, dtype=np.float32).reshape(4, 3)
    expected = value
    for stage in range(4):
        expected = np.maximum(expected * (stage + 1) - 1.0, 0)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(h, {x: value}), expected)
        plan = sess.explain(h, {x: value})
    assert [s.device for s in plan.segments] == [f"/device:CPU:{i}" for i in range(4)]
    assert [t.tensor for s in plan.segments[1:] for t in s.transfers] == [
        f"stage{i}:0" for i in range(3)
    ]


def test_arrays_live_on_the_requested_devices(g):
    with tf.device("/cpu:2"):
        v = tf.Variable([1.0, 2.0], name="v")
        c = tf.constant(3.0) * 2.0  # no inputs at all: still computed on cpu:2
    with tf.Session() as sess:
        sess.run(v.initializer)
        sess.run(v.assign_add([1.0, 1.0]))
        assert sess._store.variables["v"].devices() == {jax.devices("cpu")[2]}
        run = next(iter(sess._runs.values()))
        assert run.plan.segments[0].device == jax.devices("cpu")[2]
        out = run.plan.run([])
        assert out[0].devices() == {jax.devices("cpu")[2]} if out else True
        assert sess.run(c) == 6.0


def test_soft_placement_of_a_gpu_request_without_a_gpu(g):
    with tf.device("/gpu:0"):
        a = tf.constant(1.0, name="a")
    b = tf.add(a, 1.0, name="b")
    config = tf.ConfigProto(allow_soft_placement=True)
    with tf.Session(config=config) as sess:
        assert sess.run(b) == 2.0
        assert sess.explain(b).devices["a"] == CPU(0)


def test_an_unsatisfiable_request_fails_at_run_time_naming_op_and_devices(g):
    with tf.device("/gpu:0"):
        a = tf.constant(1.0, name="a")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(a)
    message = str(info.value)
    assert "Cannot assign a device for operation a: node a (defined at" in message
    assert "was explicitly assigned to /device:GPU:0" in message
    assert all(CPU(i) in message for i in range(4))


def test_cpu_index_out_of_range_and_device_count(g):
    with tf.device("/cpu:3"):
        a = tf.constant(1.0, name="a")
    with tf.Session() as sess:
        assert sess.run(a) == 1.0
    with tf.Session(config=tf.ConfigProto(device_count={"CPU": 2})) as sess:
        assert [d.name for d in sess.list_devices()] == [CPU(0), CPU(1)]
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"available devices are \[ "):
            sess.run(a)
    soft = tf.ConfigProto(device_count={"CPU": 2}, allow_soft_placement=True)
    with tf.Session(config=soft) as sess:
        assert sess.run(a) == 1.0
        assert sess.explain(a).devices["a"] == CPU(0)
    with tf.device("/job:ps/task:0"):
        b = tf.constant(2.0, name="b")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="/job:ps/task:0"):
            sess.run(b)


def test_log_device_placement_prints_each_assignment(g, capsys):
    with tf.device("/cpu:1"):
        a = tf.constant(1.0, name="a")
        s = tf.as_string(a, name="s")  # a host kernel: runs on the CPU it asked for
    b = tf.add(a, 1.0, name="b")
    with tf.Session(config=tf.ConfigProto(log_device_placement=True)) as sess:
        sess.run([b, s])
    err = capsys.readouterr().err
    assert "Device mapping: no known devices." in err
    assert f"a: (Const): {CPU(1)}\n" in err
    assert f"s: (AsString): {CPU(1)}\n" in err
    assert f"b: (AddV2): {CPU(0)}\n" in err or f"b: (Add): {CPU(0)}\n" in err


def _node(name, device="", cls=()):
    attrs = {"dtype": F32, "value": np.float32(1)}
    if cls:
        attrs["_class"] = tuple(cls)
    return Node(
        name, "Const", attrs=attrs, device=device, output_dtypes=(F32,), output_shapes=((),)
    )


def test_colocation_groups_merge_requests_and_conflicts_need_soft_placement():
    ir = GraphIR((_node("a", "/device:CPU:2"), _node("b", "", [b"loc:@a"])))
    placed = place(ir, PlacementOptions())
    assert placed["b"] == placed["a"] == jax.devices("cpu")[2]
    partial = GraphIR((_node("a", "/job:localhost"), _node("b", "/device:CPU:3", [b"loc:@a"])))
    assert place(partial, PlacementOptions())["a"] == jax.devices("cpu")[3]
    clash = GraphIR((_node("a", "/device:CPU:1"), _node("b", "/device:CPU:2", [b"loc:@a"])))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Cannot colocate nodes node a"):
        place(clash, PlacementOptions())
    soft = place(clash, PlacementOptions(allow_soft_placement=True))
    assert soft["a"] == soft["b"]


def test_session_devices_prefer_accelerators_and_obey_device_count():
    assert session_devices() == jax.devices("cpu")
    assert session_devices((("CPU", 1),)) == jax.devices("cpu")[:1]


def test_replica_device_setter_round_robins_variables_over_ps_tasks(g):
    with tf.device(tf.train.replica_device_setter(ps_tasks=2)):
        a = tf.Variable(1.0, name="a")
        b = tf.Variable(2.0, name="b")
        c = tf.Variable(3.0, name="c")
        s = a + b
        with tf.device("/job:ps/task:7/cpu:0"):
            d = tf.Variable(4.0, name="d")
        with tf.device("/gpu:1"):
            t = s * 2
    assert [v.device for v in (a, b, c)] == ["/job:ps/task:0", "/job:ps/task:1", "/job:ps/task:0"]
    assert a.initializer.device == "/job:ps/task:0" and a.value().device == "/job:ps/task:0"
    assert s.device == "/job:worker"
    assert d.device == "/job:ps/task:7/device:CPU:0"  # the op's own request wins the merge
    assert t.device == "/job:worker/device:GPU:1"
    cluster = {"ps": ["h0:2222", "h1:2222", "h2:2222"], "worker": ["w0:2222"]}
    setter = tf.train.replica_device_setter(cluster=cluster, worker_device="/job:worker/task:0")
    with tf.device(setter):
        vs = [tf.Variable(float(i)) for i in range(4)]
        w = vs[0] * 2
    assert [v.device for v in vs] == [f"/job:ps/task:{i}" for i in (0, 1, 2, 0)]
    assert w.device == "/job:worker/task:0"
    assert tf.train.replica_device_setter(ps_tasks=0) is None
    assert tf.train.replica_device_setter(cluster={"worker": ["w:1"]}) is None
    with tf.device(tf.train.replica_device_setter(ps_tasks=3, ps_strategy=lambda op: 2)):
        e = tf.Variable(5.0)
    assert e.device == "/job:ps/task:2"
    with pytest.raises(TypeError, match="callable"):
        tf.train.replica_device_setter(ps_tasks=1, ps_strategy=3)


def test_gpu_options_are_applied_before_jax_starts(monkeypatch):
    from device import place as place_module

    monkeypatch.setattr(place_module.xla_bridge, "backends_are_initialized", lambda: False)
    monkeypatch.delenv("XLA_PYTHON_CLIENT_MEM_FRACTION", raising=False)
    monkeypatch.delenv("XLA_PYTHON_CLIENT_PREALLOCATE", raising=False)
    saved = jax.config.read("jax_cuda_visible_devices")
    try:
        applied = apply_gpu_options(0.25, True, "1, 0")
        assert applied["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.25"
        import os

        assert os.environ["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.25"
        assert os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"
        assert jax.config.read("jax_cuda_visible_devices") == "1,0"
    finally:
        jax.config.update("jax_cuda_visible_devices", saved)


def test_gpu_options_warn_when_jax_has_already_started(g, monkeypatch):
    monkeypatch.delenv("XLA_PYTHON_CLIENT_MEM_FRACTION", raising=False)
    jax.devices()
    gpu = tf.GPUOptions(per_process_gpu_memory_fraction=0.5, allow_growth=True)
    tf.constant(1.0)
    with pytest.warns(RuntimeWarning, match="gpu_options cannot be applied.*MEM_FRACTION=0.5"):
        tf.Session(config=tf.ConfigProto(gpu_options=gpu)).close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tf.Session(config=tf.ConfigProto()).close()  # nothing asked: nothing to warn about
