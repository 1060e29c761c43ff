"""tf.train optimizers: TF1's update rules (against numpy), slots, steps and sparse updates."""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.train.optimizer import _deduplicate_indexed_slices

OP_TYPES_TESTED = {
    "ApplyGradientDescent", "ApplyMomentum", "SparseApplyMomentum", "ApplyAdam",
    "ApplyAdagrad", "SparseApplyAdagrad", "ApplyAdagradDA", "SparseApplyAdagradDA",
    "ApplyRMSProp", "SparseApplyRMSProp", "ApplyCenteredRMSProp", "SparseApplyCenteredRMSProp",
    "ApplyAdadelta", "SparseApplyAdadelta", "ApplyFtrl", "SparseApplyFtrl", "ApplyFtrlV2",
    "SparseApplyFtrlV2", "ApplyProximalGradientDescent", "SparseApplyProximalGradientDescent",
    "ApplyProximalAdagrad", "SparseApplyProximalAdagrad", "ScatterAdd", "ScatterSub",
    "ScatterUpdate", "DeduplicateIndexedSlices",
}

SHAPE = (4, 2)
INDICES = np.array([2, 0, 2], np.int32)  # row 2 twice: its rows add up; rows 1 and 3 untouched
STEPS = 3


def _close(got, want):
    # float32 steps on values of order 1: a few ulps, relative and absolute
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-6)


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


# -- TF's update rules in numpy (float64), one function per op --------------------------------


def _gd(lr):
    def rule(var, s, g, t):
        return var - lr * g, {}

    return rule


def _momentum(lr, mu, nesterov=False):
    def rule(var, s, g, t):
        a = s["momentum"] * mu + g
        step = g * lr + a * mu * lr if nesterov else a * lr
        return var - step, {"momentum": a}

    return rule


def _adam(lr, b1=0.9, b2=0.999, eps=1e-8):
    def rule(var, s, g, t):
        alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        m = s["m"] + (g - s["m"]) * (1 - b1)
        v = s["v"] + (g * g - s["v"]) * (1 - b2)
        return var - alpha * m / (np.sqrt(v) + eps), {"m": m, "v": v}

    return rule


def _adagrad(lr):
    def rule(var, s, g, t):
        acc = s["accumulator"] + g * g
        return var - lr * g / np.sqrt(acc), {"accumulator": acc}

    return rule


def _adagrad_da(lr, l1, l2):
    def rule(var, s, g, t):
        ga = s["gradient_accumulator"] + g
        gg = s["gradient_squared_accumulator"] + g * g
        shrunk = np.sign(ga) * np.maximum(np.abs(ga) - t * l1, 0)
        var = -lr * shrunk / (l2 * t * lr + np.sqrt(gg))
        return var, {"gradient_accumulator": ga, "gradient_squared_accumulator": gg}

    return rule


def _rmsprop(lr, decay, mu, eps, centered=False):
    def rule(var, s, g, t):
        ms = s["rms"] + (g * g - s["rms"]) * (1 - decay)
        out = {"rms": ms}
        denom = ms + eps
        if centered:
            out["mg"] = s["mg"] + (g - s["mg"]) * (1 - decay)
            denom = ms - out["mg"] ** 2 + eps
        out["momentum"] = s["momentum"] * mu + lr * g / np.sqrt(denom)
        return var - out["momentum"], out

    return rule


def _adadelta(lr, rho, eps):
    def rule(var, s, g, t):
        accum = s["accum"] * rho + g * g * (1 - rho)
        update = np.sqrt(s["accum_update"] + eps) / np.sqrt(accum + eps) * g
        accum_update = s["accum_update"] * rho + update * update * (1 - rho)
        return var - lr * update, {"accum": accum, "accum_update": accum_update}

    return rule


def _ftrl(lr, power, l1, l2, shrinkage=0.0):
    def rule(var, s, g, t):
        new_accum = s["accum"] + g * g
        sigma = (new_accum ** -power - s["accum"] ** -power) / lr
        linear = s["linear"] + g + 2 * shrinkage * var - sigma * var
        quadratic = new_accum ** -power / lr + 2 * l2
        var = np.where(np.abs(linear) > l1, (l1 * np.sign(linear) - linear) / quadratic, 0.0)
        return var, {"accum": new_accum, "linear": linear}

    return rule


def _proximal(prox, rate, l1, l2):
    return np.sign(prox) * np.maximum(np.abs(prox) - rate * l1, 0) / (1 + rate * l2)


def _proximal_gd(lr, l1, l2):
    def rule(var, s, g, t):
        return _proximal(var - lr * g, lr, l1, l2), {}

    return rule


def _proximal_adagrad(lr, l1, l2):
    def rule(var, s, g, t):
        acc = s["accumulator"] + g * g
        rate = lr / np.sqrt(acc)
        return _proximal(var - rate * g, rate, l1, l2), {"accumulator": acc}

    return rule


# -- the table: one row per optimizer configuration ------------------------------------------


class Case(NamedTuple):
    make: Callable  # (learning_rate) -> Optimizer
    lr: float
    rule: Callable  # (lr) -> numpy update rule
    slots: dict  # slot name -> (variable name for var "w", initial value)
    all_rows: bool = False  # the sparse update touches every row (Adam, plain SGD)
    global_step: bool = False  # needs a global_step


CASES = {
    "sgd": Case(lambda lr: tf.train.GradientDescentOptimizer(lr), 0.1, _gd, {}, True),
    "momentum": Case(
        lambda lr: tf.train.MomentumOptimizer(lr, 0.9), 0.1, lambda lr: _momentum(lr, 0.9),
        {"momentum": ("w/Momentum", 0.0)},
    ),
    "nesterov": Case(
        lambda lr: tf.train.MomentumOptimizer(lr, 0.5, use_nesterov=True), 0.1,
        lambda lr: _momentum(lr, 0.5, nesterov=True), {"momentum": ("w/Momentum", 0.0)},
    ),
    "adam": Case(
        lambda lr: tf.train.AdamOptimizer(lr), 0.1, _adam,
        {"m": ("w/Adam", 0.0), "v": ("w/Adam_1", 0.0)}, True,
    ),
    "adagrad": Case(
        lambda lr: tf.train.AdagradOptimizer(lr), 0.1, _adagrad,
        {"accumulator": ("w/Adagrad", 0.1)},
    ),
    "adagrad_da": Case(
        lambda lr: tf.train.AdagradDAOptimizer(
            lr, tf.train.get_or_create_global_step(), l1_regularization_strength=0.01,
            l2_regularization_strength=0.02),
        0.1, lambda lr: _adagrad_da(lr, 0.01, 0.02),
        {"gradient_accumulator": ("w/AdagradDA", 0.0),
         "gradient_squared_accumulator": ("w/AdagradDA_1", 0.1)},
        global_step=True,
    ),
    "rmsprop": Case(
        lambda lr: tf.train.RMSPropOptimizer(lr, momentum=0.5), 0.01,
        lambda lr: _rmsprop(lr, 0.9, 0.5, 1e-10),
        {"rms": ("w/RMSProp", 1.0), "momentum": ("w/RMSProp_1", 0.0)},
    ),
    "rmsprop_centered": Case(
        lambda lr: tf.train.RMSPropOptimizer(lr, decay=0.8, momentum=0.3, epsilon=1e-3,
                                             centered=True),
        0.01, lambda lr: _rmsprop(lr, 0.8, 0.3, 1e-3, centered=True),
        {"rms": ("w/RMSProp", 1.0), "mg": ("w/RMSProp_1", 0.0),
         "momentum": ("w/RMSProp_2", 0.0)},
    ),
    "adadelta": Case(
        lambda lr: tf.train.AdadeltaOptimizer(lr, rho=0.9, epsilon=1e-4), 1.0,
        lambda lr: _adadelta(lr, 0.9, 1e-4),
        {"accum": ("w/Adadelta", 0.0), "accum_update": ("w/Adadelta_1", 0.0)},
    ),
    "ftrl": Case(
        lambda lr: tf.train.FtrlOptimizer(lr, l1_regularization_strength=0.01,
                                          l2_regularization_strength=0.02),
        0.5, lambda lr: _ftrl(lr, -0.5, 0.01, 0.02),
        {"accum": ("w/Ftrl", 0.1), "linear": ("w/Ftrl_1", 0.0)},
    ),
    "ftrl_v2_power": Case(
        lambda lr: tf.train.FtrlOptimizer(lr, learning_rate_power=-0.7,
                                          initial_accumulator_value=0.5,
                                          l1_regularization_strength=0.01,
                                          l2_shrinkage_regularization_strength=0.03),
        0.5, lambda lr: _ftrl(lr, -0.7, 0.01, 0.0, shrinkage=0.03),
        {"accum": ("w/Ftrl", 0.5), "linear": ("w/Ftrl_1", 0.0)},
    ),
    "proximal_gd": Case(
        lambda lr: tf.train.ProximalGradientDescentOptimizer(
            lr, l1_regularization_strength=0.05, l2_regularization_strength=0.1),
        0.1, lambda lr: _proximal_gd(lr, 0.05, 0.1), {},
    ),
    "proximal_adagrad": Case(
        lambda lr: tf.train.ProximalAdagradOptimizer(
            lr, l1_regularization_strength=0.05, l2_regularization_strength=0.1),
        0.1, lambda lr: _proximal_adagrad(lr, 0.05, 0.1),
        {"accumulator": ("w/ProximalAdagrad", 0.1)},
    ),
}


def _initial_var() -> np.ndarray:
    return np.random.RandomState(1).uniform(-1, 1, SHAPE).astype(np.float32)


def _grads(rows: int) -> list[np.ndarray]:
    rng = np.random.RandomState(2)
    return [rng.uniform(-1, 1, (rows, SHAPE[1])).astype(np.float32) for _ in range(STEPS)]


def _reference(case: Case, grads, indices=None):
    """(var, slots) after each step, by the numpy rule in float64."""
    rule = case.rule(case.lr)
    var = _initial_var().astype(np.float64)
    slots = {k: np.full(SHAPE, v, np.float64) for k, (_, v) in case.slots.items()}
    out = []
    for t, g in enumerate(grads, start=1):
        if indices is None:
            var, slots = rule(var, slots, g.astype(np.float64), t)
        else:
            var, slots = _sparse_step(case, rule, var, slots, g, indices, t)
        out.append((var, slots))
    return out


def _sparse_step(case, rule, var, slots, g, indices, t):
    dense = np.zeros(SHAPE)
    np.add.at(dense, indices, g.astype(np.float64))
    if case.all_rows:
        return rule(var, slots, dense, t)
    rows = np.unique(indices)
    new_var, new_slots = rule(var[rows], {k: s[rows] for k, s in slots.items()}, dense[rows], t)
    var, slots = var.copy(), {k: s.copy() for k, s in slots.items()}
    var[rows] = new_var
    for k, s in new_slots.items():
        slots[k][rows] = s
    return var, slots


def _build(case: Case, sparse: bool, lr=None):
    w = tf.Variable(_initial_var(), name="w")
    step = tf.train.get_or_create_global_step() if case.global_step else None
    opt = case.make(case.lr if lr is None else lr)
    if sparse:
        g = tf.placeholder(tf.float32, (len(INDICES), SHAPE[1]))
        grad = tf.IndexedSlices(g, tf.constant(INDICES), tf.constant(SHAPE))
    else:
        g = grad = tf.placeholder(tf.float32, SHAPE)
    train = opt.apply_gradients([(grad, w)], global_step=step)
    return w, opt, g, train


def _check_steps(case: Case, sparse: bool):
    w, opt, g, train = _build(case, sparse)
    grads = _grads(len(INDICES) if sparse else SHAPE[0])
    want = _reference(case, grads, INDICES if sparse else None)
    slots = {k: opt.get_slot(w, k) for k in case.slots}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for grad, (var, slot_values) in zip(grads, want):
            sess.run(train, {g: grad})
            got_var, got_slots = sess.run([w, slots])
            _close(got_var, var)
            for k in case.slots:
                _close(got_slots[k], slot_values[k])
    return got_var, got_slots


@pytest.mark.parametrize("name", CASES)
def test_dense_steps_match_tf_rule(graph, name):
    _check_steps(CASES[name], sparse=False)


@pytest.mark.parametrize("name", CASES)
def test_sparse_steps_match_tf_rule_and_touch_only_gathered_rows(graph, name):
    case = CASES[name]
    var, slots = _check_steps(case, sparse=True)
    if case.all_rows:
        return
    untouched = [1, 3]  # bit for bit as they were, slots included
    np.testing.assert_array_equal(var[untouched], _initial_var()[untouched])
    for k, (_, initial) in case.slots.items():
        np.testing.assert_array_equal(slots[k][untouched], np.float32(initial))


@pytest.mark.parametrize("name", CASES)
def test_slot_names_collections_and_variables(graph, name):
    case = CASES[name]
    w, opt, _, _ = _build(case, sparse=False)
    assert opt.get_slot_names() == sorted(case.slots)
    slots = [opt.get_slot(w, k) for k in case.slots]
    assert [s.op.name for s in slots] == [n for n, _ in case.slots.values()]
    assert all(s.shape.as_list() == list(SHAPE) and not s.trainable for s in slots)
    assert all(s in tf.global_variables() and s not in tf.trainable_variables() for s in slots)
    assert tf.trainable_variables() == [w]
    assert opt.get_slot(w, "nonexistent") is None
    expected = sorted(slots + list(opt._non_slot_variables()), key=lambda v: v.name)
    assert opt.variables() == expected


def test_adam_power_accumulators_and_names(graph):
    w = tf.Variable([1.0, 2.0], name="w")
    opt = tf.train.AdamOptimizer(0.1, beta1=0.8, beta2=0.9)
    train = opt.apply_gradients([(tf.constant([0.5, -0.5]), w)])
    assert train.name == "Adam" and train.type == "NoOp"
    names = [v.op.name for v in opt.variables()]
    assert names == ["beta1_power", "beta2_power", "w/Adam", "w/Adam_1"]
    b1, b2 = opt._get_beta_accumulators()
    assert not b1.trainable and b1 in tf.global_variables()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for t in range(1, 3):
            sess.run(train)
            _close(sess.run([b1, b2]), [0.8 ** (t + 1), 0.9 ** (t + 1)])


def test_update_ops_are_named_like_tf(graph):
    w = tf.Variable([1.0, 2.0], name="w")
    with tf.name_scope("layer"):
        v = tf.Variable([1.0], name="v")
    opt = tf.train.MomentumOptimizer(0.1, 0.9)
    opt.apply_gradients([(tf.constant([1.0, 1.0]), w), (tf.constant([1.0]), v)], name="train")
    ops = {op.name: op.type for op in graph.get_operations()}
    assert ops["train/update_w/ApplyMomentum"] == "ApplyMomentum"
    assert ops["train/update_layer/v/ApplyMomentum"] == "ApplyMomentum"
    assert ops["train"] == "NoOp" and ops["layer/v/Momentum"] == "VariableV2"


def test_learning_rate_as_tensor_placeholder_and_callable(graph):
    w = tf.Variable([1.0, 2.0], name="w")
    lr = tf.placeholder(tf.float32, [])
    grad = tf.constant([1.0, -1.0])
    by_placeholder = tf.train.GradientDescentOptimizer(lr).apply_gradients([(grad, w)])
    by_tensor = tf.train.AdamOptimizer(tf.constant(0.5) * 2).apply_gradients([(grad, w)])
    by_callable = tf.train.MomentumOptimizer(lambda: tf.constant(0.25), 0.0).apply_gradients(
        [(grad, w)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(by_placeholder, {lr: 0.5})
        _close(sess.run(w), [0.5, 2.5])
        sess.run(by_placeholder, {lr: 0.25})
        _close(sess.run(w), [0.25, 2.75])
        sess.run(by_tensor)  # Adam's first step moves each entry by lr
        _close(sess.run(w), [-0.75, 3.75])
        sess.run(by_callable)
        _close(sess.run(w), [-1.0, 4.0])


def test_global_step_is_incremented_after_the_updates(graph):
    w = tf.Variable([1.0, 2.0], name="w")
    step = tf.train.get_or_create_global_step()
    train = tf.train.AdagradOptimizer(0.1).apply_gradients(
        [(tf.constant([1.0, 1.0]), w)], global_step=step)
    assert train.name == "Adagrad" and train.type == "AssignAdd"
    assert train in tf.get_collection(tf.GraphKeys.TRAIN_OP)
    # TF1 builds the constant 1 under the control dependency, which orders the increment.
    assert [c.name for c in train.inputs[1].op.control_inputs] == ["Adagrad/update"]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train)
        assert sess.run(step) == 3


def test_none_gradients_are_skipped(graph):
    a = tf.Variable([1.0, 2.0], name="a")
    b = tf.Variable([3.0], name="b")
    opt = tf.train.MomentumOptimizer(0.5, 0.9)
    train = opt.apply_gradients([(None, a), (tf.constant([1.0]), b)])
    assert opt.get_slot(a, "momentum") is None and opt.get_slot(b, "momentum") is not None
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        got_a, got_b = sess.run([a, b])
    np.testing.assert_array_equal(got_a, [1.0, 2.0])
    _close(got_b, [2.5])


def test_all_none_gradients_raise(graph):
    a = tf.Variable([1.0], name="a")
    opt = tf.train.GradientDescentOptimizer(0.1)
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply_gradients([(None, a)])
    with pytest.raises(ValueError, match="No variables provided"):
        opt.apply_gradients([])


def test_use_locking_is_accepted_and_recorded(graph):
    w = tf.Variable([1.0, 2.0], name="w")
    step = tf.train.AdamOptimizer(0.1, use_locking=True).apply_gradients(
        [(tf.constant([1.0, 1.0]), w)])
    op = graph.get_operation_by_name("Adam/update_w/ApplyAdam")
    assert op.get_attr("use_locking") is True
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(step)


def test_sparse_duplicate_indices_are_summed_before_the_update(graph):
    w = tf.Variable(np.ones((3, 1), np.float32), name="w")
    grad = tf.IndexedSlices(tf.constant([[1.0], [1.0]]), tf.constant([0, 0]))
    train = tf.train.AdamOptimizer(0.1).apply_gradients([(grad, w)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        v = sess.run(graph.get_tensor_by_name("w/Adam_1:0"))
    _close(v[:, 0], [0.001 * 2.0**2, 0.0, 0.0])  # (1 - beta2) * (1 + 1)^2, not 1^2 + 1^2


def test_deduplicate_indexed_slices_pads_with_out_of_range_rows(graph):
    values = tf.constant([[1.0], [2.0], [4.0], [8.0]])
    summed, unique = _deduplicate_indexed_slices(values, tf.constant([5, 1, 5, 0]))
    with tf.Session() as sess:
        s, u = sess.run([summed, unique])
    assert u[:3].tolist() == [0, 1, 5] and u[3] > 5
    assert s[:, 0].tolist() == [8.0, 2.0, 5.0, 0.0]


def test_minimize_a_quadratic(graph):
    x = tf.Variable([3.0, -2.0], name="x")
    loss = tf.reduce_sum(tf.square(x - tf.constant([1.0, 1.0])))
    step = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(0.25).minimize(loss, global_step=step)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        _close(sess.run(x), [2.0, -0.5])  # x - 0.25 * 2 * (x - 1)
        for _ in range(30):
            sess.run(train)
        _close(sess.run(x), [1.0, 1.0])
        assert sess.run(step) == 31


def test_compute_then_clip_then_apply(graph):
    x = tf.Variable([3.0, 4.0], name="x")
    frozen = tf.Variable([1.0], name="frozen", trainable=False)
    loss = 0.5 * tf.reduce_sum(x * x) + tf.reduce_sum(frozen)
    opt = tf.train.GradientDescentOptimizer(1.0)
    gv = opt.compute_gradients(loss)
    assert [v for _, v in gv] == [x]
    gv = [(tf.clip_by_norm(g, 1.0), v) for g, v in gv]
    train = opt.apply_gradients(gv)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        _close(sess.run(x), [2.4, 3.2])  # the gradient (3, 4) clipped to norm 1


def test_compute_gradients_options_and_unused_variables(graph):
    x = tf.Variable([1.0, 2.0], name="x")
    unused = tf.Variable([1.0], name="unused")
    loss = tf.reduce_sum(x * x)
    opt = tf.train.AdamOptimizer()
    gv = opt.compute_gradients(loss, var_list=[x, unused], gate_gradients=opt.GATE_GRAPH)
    assert gv[1] == (None, unused) and gv[0][1] is x
    with pytest.raises(ValueError, match="gate_gradients must be one of"):
        opt.compute_gradients(loss, gate_gradients=7)
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.minimize(loss, var_list=[unused])
    with tf.Session() as sess:
        sess.run(x.initializer)
        _close(sess.run(gv[0][0]), [2.0, 4.0])


def test_minimize_through_a_gather_updates_only_gathered_rows(graph):
    table = tf.Variable(np.arange(8, dtype=np.float32).reshape(4, 2), name="table")
    ids = tf.placeholder(tf.int32, [None])
    loss = tf.reduce_sum(tf.gather(table, ids))
    opt = tf.train.AdagradOptimizer(1.0, initial_accumulator_value=1.0)
    gv = opt.compute_gradients(loss)
    assert isinstance(gv[0][0], tf.IndexedSlices)
    train = opt.apply_gradients(gv)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {ids: [3, 0, 3]})
        got, acc = sess.run([table, opt.get_slot(table, "accumulator")])
    want = np.arange(8, dtype=np.float64).reshape(4, 2)
    want[0] -= 1 / np.sqrt(2.0)
    want[3] -= 2 / np.sqrt(5.0)
    _close(got, want)
    _close(acc[:, 0], [2.0, 1.0, 1.0, 5.0])


def test_invalid_dtypes_and_arguments(graph):
    n = tf.Variable([1, 2], name="n")
    with pytest.raises(ValueError, match="Invalid type"):
        tf.train.GradientDescentOptimizer(0.1).compute_gradients(tf.reduce_sum(n), [n])
    with pytest.raises(ValueError, match="initial_accumulator_value must be positive"):
        tf.train.AdagradOptimizer(0.1, initial_accumulator_value=0.0)
    with pytest.raises(ValueError, match="l1_regularization_strength"):
        tf.train.FtrlOptimizer(0.1, l1_regularization_strength=-1.0)
    with pytest.raises(ValueError, match="learning_rate_power"):
        tf.train.FtrlOptimizer(0.1, learning_rate_power=0.5)
    with pytest.raises(ValueError, match="Must specify the optimizer name"):
        tf.train.Optimizer(False, "")


def test_constraint_is_applied_after_a_dense_update(graph):
    w = tf.Variable([1.0, -3.0], name="w", constraint=lambda t: tf.clip_by_value(t, -1.0, 1.0))
    train = tf.train.GradientDescentOptimizer(1.0).apply_gradients(
        [(tf.constant([-1.0, -1.0]), w)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        _close(sess.run(w), [1.0, -1.0])


def test_slots_are_shared_between_apply_calls(graph):
    w = tf.Variable([1.0], name="w")
    opt = tf.train.AdamOptimizer()
    opt.apply_gradients([(tf.constant([1.0]), w)])
    opt.apply_gradients([(tf.constant([2.0]), w)])
    assert [v.op.name for v in opt.variables()] == [
        "beta1_power", "beta2_power", "w/Adam", "w/Adam_1"]


# -- scatter ops -----------------------------------------------------------------------------


def test_scatter_add_sub_update(graph):
    v = tf.Variable(np.zeros((3, 2), np.float32), name="v")
    add = tf.scatter_add(v, [0, 2, 0], [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    sub = tf.scatter_sub(v, tf.constant([[1]]), [[[5.0, 5.0]]])
    update = tf.scatter_update(v, 2, [9.0, 9.0], name="put")
    assert add.dtype == tf.float32._as_ref and update.op.name == "put"
    assert add.op.get_attr("use_locking") is False and update.op.get_attr("use_locking") is True
    with tf.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(add), [[4, 4], [0, 0], [2, 2]])
        np.testing.assert_array_equal(sess.run(sub), [[4, 4], [-5, -5], [2, 2]])
        np.testing.assert_array_equal(sess.run(update), [[4, 4], [-5, -5], [9, 9]])


def test_scatter_shape_errors(graph):
    v = tf.Variable(np.zeros((3, 2), np.float32), name="v")
    with pytest.raises(ValueError, match=r"Must have updates.shape = indices.shape \+ params"):
        tf.scatter_add(v, [0, 1], [[1.0, 2.0, 3.0]])
    with pytest.raises(TypeError, match="indices must be int32 or int64"):
        tf.scatter_add(v, [0.5], [[1.0, 2.0]])


def test_slots_of_partitioned_variables_are_named_as_tensorflow_names_them(tmp_path):
    # TF's checkpoint keys: tests/fixtures/partitioned_slot_names_tf.py (TF's own oddities,
    # such as `t_0/Adagrad`, included: canned-estimator checkpoints carry them).
    import json
    import os

    fixture = os.path.join(os.path.dirname(__file__), "..", "fixtures",
                           "partitioned_slot_names_tf.json")
    with open(fixture) as f:
        expected = json.load(f)
    with tf.Graph().as_default():
        partitioner = tf.min_max_variable_partitioner(max_partitions=0)
        global_step = tf.train.get_or_create_global_step()
        with tf.variable_scope("dnn", partitioner=partitioner):
            with tf.variable_scope("hiddenlayer_0"):
                kernel = tf.convert_to_tensor(tf.get_variable("kernel", [3, 4]))
            tf.train.AdagradOptimizer(0.1).minimize(tf.reduce_sum(kernel * kernel), global_step)
        with tf.variable_scope("linear", partitioner=partitioner):
            weights = tf.convert_to_tensor(tf.get_variable("linear_model/c/weights", [3, 1]))
            tf.train.FtrlOptimizer(0.1).minimize(tf.reduce_sum(weights * weights))
        slots = [v for v in tf.global_variables() if "Adagrad" in v.name or "Ftrl" in v.name]
        assert all(v.shape.as_list() in ([3, 4], [3, 1]) for v in slots)  # not partitioned
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            path = tf.train.Saver().save(session, str(tmp_path / "model"))
    assert [name for name, _ in tf.train.list_variables(path)] == expected
