"""RNN cells: one step of each cell against numpy for fixed weights, TF1's variable names and
reuse, zero states, and the Dropout/Residual/Device wrappers."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.ops import rnn_cell_impl

rnn_cell = tf.nn.rnn_cell
B, D = 3, 4  # batch, input depth


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# -- numpy cells: `weights` maps a variable's name (after the cell scope) to its value ------


def np_basic_rnn(x, h, w):
    out = np.tanh(np.concatenate([x, h], 1) @ w["kernel"] + w["bias"])
    return out, out


def np_gru(x, h, w):
    gates = sigmoid(np.concatenate([x, h], 1) @ w["gates/kernel"] + w["gates/bias"])
    r, u = np.split(gates, 2, axis=1)
    c = np.tanh(np.concatenate([x, r * h], 1) @ w["candidate/kernel"] + w["candidate/bias"])
    new_h = u * h + (1 - u) * c
    return new_h, new_h


def np_basic_lstm(x, state, w, forget_bias=1.0):
    c, h = state
    i, j, f, o = np.split(np.concatenate([x, h], 1) @ w["kernel"] + w["bias"], 4, axis=1)
    new_c = c * sigmoid(f + forget_bias) + sigmoid(i) * np.tanh(j)
    new_h = np.tanh(new_c) * sigmoid(o)
    return new_h, (new_c, new_h)


def np_lstm(x, state, w, cell_clip, proj_clip, forget_bias=1.0):
    """LSTMCell with peepholes, cell clipping and a clipped projection."""
    c, m = state
    i, j, f, o = np.split(np.concatenate([x, m], 1) @ w["kernel"] + w["bias"], 4, axis=1)
    c = sigmoid(f + forget_bias + w["w_f_diag"] * c) * c + sigmoid(i + w["w_i_diag"] * c) * (
        np.tanh(j)
    )
    c = np.clip(c, -cell_clip, cell_clip)
    m = sigmoid(o + w["w_o_diag"] * c) * np.tanh(c)
    m = np.clip(m @ w["projection/kernel"], -proj_clip, proj_clip)
    return m, (c, m)


def assign_random(sess, variables, scope: str, seed: int = 0) -> dict:
    """Gives every variable a random value; returns them by name relative to `scope`."""
    rng = np.random.default_rng(seed)
    values = {}
    for v in variables:
        value = rng.normal(scale=0.7, size=v.shape.as_list()).astype(np.float32)
        sess.run(v.assign(value))
        values[v.op.name[len(scope) + 1 :]] = value
    return values


@pytest.fixture
def sess():
    with tf.Graph().as_default() as g, tf.Session(graph=g) as s:
        yield s


def _step(sess, cell, state_values, scope="cell"):
    """Runs one call of `cell` on random inputs from `state_values` (numpy, nested)."""
    rng = np.random.default_rng(1)
    x_val = rng.normal(size=(B, D)).astype(np.float32)
    x = tf.placeholder(tf.float32, [B, D])
    state = rnn_cell_impl.map_structure(tf.constant, state_values)
    output, new_state = cell(x, state, scope=scope)
    weights = assign_random(sess, tf.trainable_variables(), scope)
    got = sess.run([output, new_state], {x: x_val})
    return x_val, weights, got


def _random_state(*sizes, seed=2):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(B, n)).astype(np.float32) for n in sizes]


def test_basic_rnn_cell(sess):
    (h,) = _random_state(5)
    x, w, (out, state) = _step(sess, rnn_cell.BasicRNNCell(5), h)
    want, _ = np_basic_rnn(x, h, w)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state, want, rtol=1e-5, atol=1e-6)


def test_gru_cell(sess):
    (h,) = _random_state(5)
    x, w, (out, state) = _step(sess, rnn_cell.GRUCell(5), h)
    want, _ = np_gru(x, h, w)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    assert sorted(w) == ["candidate/bias", "candidate/kernel", "gates/bias", "gates/kernel"]


def test_basic_lstm_cell_tuple_state(sess):
    c, h = _random_state(5, 5)
    cell = rnn_cell.BasicLSTMCell(5, forget_bias=0.5)
    x, w, (out, state) = _step(sess, cell, rnn_cell.LSTMStateTuple(c, h))
    want, (want_c, want_h) = np_basic_lstm(x, (c, h), w, forget_bias=0.5)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    assert isinstance(state, rnn_cell.LSTMStateTuple)
    np.testing.assert_allclose(state.c, want_c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state.h, want_h, rtol=1e-5, atol=1e-6)


def test_basic_lstm_cell_concatenated_state(sess):
    c, h = _random_state(5, 5)
    cell = rnn_cell.BasicLSTMCell(5, state_is_tuple=False, activation=tf.nn.relu)
    assert cell.state_size == 10
    x, w, (out, state) = _step(sess, cell, np.concatenate([c, h], 1))
    i, j, f, o = np.split(np.concatenate([x, h], 1) @ w["kernel"] + w["bias"], 4, axis=1)
    new_c = c * sigmoid(f + 1.0) + sigmoid(i) * np.maximum(j, 0)
    new_h = np.maximum(new_c, 0) * sigmoid(o)
    np.testing.assert_allclose(out, new_h, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(state, np.concatenate([new_c, new_h], 1), rtol=1e-5, atol=1e-5)


def test_lstm_cell_peepholes_clipping_projection(sess):
    c, m = _random_state(6, 3)
    cell = rnn_cell.LSTMCell(6, use_peepholes=True, cell_clip=0.4, num_proj=3, proj_clip=0.3)
    assert cell.state_size == (6, 3) and cell.output_size == 3
    x, w, (out, state) = _step(sess, cell, rnn_cell.LSTMStateTuple(c, m))
    want, (want_c, want_m) = np_lstm(x, (c, m), w, cell_clip=0.4, proj_clip=0.3)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state.c, want_c, rtol=1e-5, atol=1e-6)
    assert np.abs(state.c).max() <= 0.4 + 1e-6 and np.abs(out).max() <= 0.3 + 1e-6
    assert sorted(w) == [
        "bias", "kernel", "projection/kernel", "w_f_diag", "w_i_diag", "w_o_diag",
    ]  # fmt: skip


def test_multi_rnn_cell(sess):
    states = _random_state(4, 4, 3)
    cell = rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(4), rnn_cell.GRUCell(3)])
    x, w, (out, (s0, s1)) = _step(
        sess, cell, (rnn_cell.LSTMStateTuple(states[0], states[1]), states[2])
    )
    layer0 = {k[len("cell_0/basic_lstm_cell/") :]: v for k, v in w.items() if "cell_0" in k}
    layer1 = {k[len("cell_1/gru_cell/") :]: v for k, v in w.items() if "cell_1" in k}
    h0, (c0, _) = np_basic_lstm(x, (states[0], states[1]), layer0)
    h1, _ = np_gru(h0, states[2], layer1)
    np.testing.assert_allclose(out, h1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s0.c, c0, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s1, h1, rtol=1e-5, atol=1e-6)


def test_initializers():
    with tf.Graph().as_default():
        x = tf.zeros([B, D])
        gru = rnn_cell.GRUCell(
            2,
            kernel_initializer=tf.constant_initializer(0.5),
            bias_initializer=tf.zeros_initializer(),
        )
        gru(x, tf.zeros([B, 2]))
        lstm = rnn_cell.LSTMCell(2, initializer=tf.constant_initializer(0.25))
        lstm(x, lstm.zero_state(B, tf.float32))
        default_gru = rnn_cell.GRUCell(2, name="default")
        default_gru(x, tf.zeros([B, 2]))
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            got = dict(zip([v.op.name for v in tf.global_variables()],
                           s.run(tf.global_variables())))  # fmt: skip
    assert np.all(got["gru_cell/gates/kernel"] == 0.5)
    assert np.all(got["gru_cell/gates/bias"] == 0.0)
    assert np.all(got["lstm_cell/kernel"] == 0.25) and np.all(got["lstm_cell/bias"] == 0)
    assert np.all(got["default/gates/bias"] == 1.0)  # TF: the gates start open
    assert np.all(got["default/candidate/bias"] == 0.0)


# -- scopes, names and reuse -------------------------------------------------------------------


def test_variables_are_built_once_and_reused():
    with tf.Graph().as_default():
        x = tf.zeros([B, D])
        cell = rnn_cell.BasicLSTMCell(3)
        state = cell.zero_state(B, tf.float32)
        with tf.variable_scope("first"):
            _, state = cell(x, state)
        with tf.variable_scope("second"):  # a later call keeps the first call's scope
            cell(x, state)
        names = [v.op.name for v in tf.global_variables()]
        assert names == ["first/basic_lstm_cell/kernel", "first/basic_lstm_cell/bias"]
        assert cell.trainable_variables == tf.trainable_variables()
        assert cell.scope_name == "first/basic_lstm_cell"
        other = rnn_cell.BasicLSTMCell(3)  # a second cell in the same scope: a new name
        with tf.variable_scope("first"):
            other(x, state)
        assert tf.global_variables()[-1].op.name == "first/basic_lstm_cell_1/bias"


def test_named_cell_and_explicit_scope():
    with tf.Graph().as_default():
        x = tf.zeros([B, D])
        rnn_cell.GRUCell(2, name="enc")(x, tf.zeros([B, 2]))
        rnn_cell.BasicRNNCell(2)(x, tf.zeros([B, 2]), scope="my_scope")
        names = [v.op.name for v in tf.global_variables()]
    assert names == [
        "enc/gates/kernel",
        "enc/gates/bias",
        "enc/candidate/kernel",
        "enc/candidate/bias",
        "my_scope/kernel",
        "my_scope/bias",
    ]


class GetVariableCell(rnn_cell.RNNCell):
    """A plain RNNCell making its variables with `tf.get_variable` in `call` (TF1 style)."""

    state_size = output_size = 2

    def call(self, inputs, state):
        w = tf.get_variable("w", [D, 2])
        out = tf.matmul(inputs, w) + state
        return out, out


def test_rnn_cell_subclass_with_get_variable():
    with tf.Graph().as_default():
        cell = GetVariableCell()
        x = tf.ones([B, D])
        _, s = cell(x, cell.zero_state(B, tf.float32))
        cell(x, s)
        assert [v.op.name for v in tf.global_variables()] == ["get_variable_cell/w"]
        assert len(cell.trainable_weights) == 1


def test_zero_state_static_and_dynamic_batch(sess):
    cell = rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(3), rnn_cell.GRUCell(2)])
    static = cell.zero_state(4, tf.float32)
    assert static[0].c.shape.as_list() == [4, 3] and static[1].shape.as_list() == [4, 2]
    batch = tf.placeholder(tf.int32, [])
    dynamic = cell.zero_state(batch, tf.float64)
    assert dynamic[0].h.shape.as_list() == [None, 3] and dynamic[0].h.dtype == tf.float64
    got = sess.run(dynamic, {batch: 5})
    assert got[0].c.shape == (5, 3) and got[1].shape == (5, 2) and not got[1].any()


def test_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="floating point"):
            rnn_cell.BasicRNNCell(2)(tf.zeros([B, D], tf.int32), tf.zeros([B, 2], tf.int32))
        with pytest.raises(ValueError, match="inputs.shape\\[-1\\] to be known"):
            rnn_cell.GRUCell(2)(tf.placeholder(tf.float32, [B, None]), tf.zeros([B, 2]))
        with pytest.raises(TypeError, match="is not an RNNCell"):
            rnn_cell.DropoutWrapper(object())
        with pytest.raises(ValueError, match="between 0 and 1"):
            rnn_cell.DropoutWrapper(rnn_cell.GRUCell(2), output_keep_prob=1.5)
        with pytest.raises(ValueError, match="dtype must be provided"):
            rnn_cell.DropoutWrapper(rnn_cell.GRUCell(2), variational_recurrent=True)
        with pytest.raises(ValueError, match="at least one cell"):
            rnn_cell.MultiRNNCell([])


# -- wrappers -----------------------------------------------------------------------------------


def test_dropout_wrapper_drops_and_scales(sess):
    x = tf.placeholder(tf.float32, [64, D])
    inner = rnn_cell.BasicRNNCell(32)
    cell = rnn_cell.DropoutWrapper(inner, output_keep_prob=0.5, seed=3)
    out, state = cell(x, inner.zero_state(64, tf.float32), scope="cell")
    plain = tf.tanh(tf.matmul(tf.concat([x, tf.zeros([64, 32])], 1), inner.trainable_weights[0]))
    sess.run(tf.global_variables_initializer())
    got_out, got_state, want = sess.run([out, state, plain], {x: np.ones([64, D], np.float32)})
    dropped = got_out == 0
    assert 0.35 < dropped.mean() < 0.65
    np.testing.assert_allclose(got_out[~dropped], 2 * want[~dropped], rtol=1e-5)
    np.testing.assert_allclose(got_state, want, rtol=1e-5)  # state_keep_prob=1: untouched
    assert cell.trainable_variables == inner.trainable_variables


def test_dropout_wrapper_never_drops_lstm_memory(sess):
    inner = rnn_cell.BasicLSTMCell(32)
    cell = rnn_cell.DropoutWrapper(inner, state_keep_prob=0.5, seed=1)
    x = tf.ones([64, D])
    _, state = cell(x, inner.zero_state(64, tf.float32))
    _, plain = inner(x, inner.zero_state(64, tf.float32))
    sess.run(tf.global_variables_initializer())
    got, want = sess.run([state, plain])
    np.testing.assert_allclose(got.c, want.c, rtol=1e-6)
    dropped = got.h == 0
    assert 0.35 < dropped.mean() < 0.65
    np.testing.assert_allclose(got.h[~dropped], 2 * want.h[~dropped], rtol=1e-5)


def test_variational_dropout_uses_one_mask_for_all_steps(sess):
    inner = rnn_cell.BasicRNNCell(16)
    cell = rnn_cell.DropoutWrapper(
        inner,
        input_keep_prob=0.6,
        output_keep_prob=0.5,
        variational_recurrent=True,
        input_size=D,
        dtype=tf.float32,
        seed=7,
    )
    inputs = [tf.ones([8, D]) * (t + 1.0) for t in range(3)]
    outputs, _ = tf.nn.static_rnn(cell, inputs, dtype=tf.float32)
    sess.run(tf.global_variables_initializer())
    got = sess.run(outputs)
    masks = [o == 0 for o in got]
    assert 0.2 < masks[0].mean() < 0.8
    for m in masks[1:]:
        np.testing.assert_array_equal(m, masks[0])  # the same units at every step
    np.testing.assert_array_equal(masks[0], masks[0][:1].repeat(8, 0))  # and every entry


def test_residual_wrapper(sess):
    inner = rnn_cell.BasicRNNCell(D)
    cell = rnn_cell.ResidualWrapper(inner)
    x = tf.constant(np.arange(B * D, dtype=np.float32).reshape(B, D))
    out, state = cell(x, inner.zero_state(B, tf.float32))
    sess.run(tf.global_variables_initializer())
    got_out, got_state, xv = sess.run([out, state, x])
    np.testing.assert_allclose(got_out, xv + got_state, rtol=1e-6)
    custom = rnn_cell.ResidualWrapper(rnn_cell.BasicRNNCell(D), residual_fn=lambda i, o: i - o)
    out2, state2 = custom(x, tf.zeros([B, D]), scope="custom")
    sess.run(tf.global_variables_initializer())
    got_out, got_state = sess.run([out2, state2])
    np.testing.assert_allclose(got_out, xv - got_state, rtol=1e-6)


def test_device_wrapper_places_the_cell():
    with tf.Graph().as_default():
        cell = rnn_cell.DeviceWrapper(rnn_cell.GRUCell(2), "/cpu:0")
        state = cell.zero_state(B, tf.float32)
        out, _ = cell(tf.zeros([B, D]), state)
        assert "CPU:0" in out.op.device.upper()
        assert "CPU:0" in state.op.device.upper()


def test_lstm_state_tuple():
    with tf.Graph().as_default():
        t = rnn_cell.LSTMStateTuple(tf.zeros([2]), tf.ones([2]))
        assert t.c is t[0] and t.dtype == tf.float32
        with pytest.raises(TypeError, match="Inconsistent"):
            _ = rnn_cell.LSTMStateTuple(tf.zeros([2]), tf.zeros([2], tf.float64)).dtype


def test_contrib_rnn_aliases():
    assert tf.contrib.rnn.BasicLSTMCell is rnn_cell.BasicLSTMCell
    assert tf.contrib.rnn.static_rnn is tf.nn.static_rnn
