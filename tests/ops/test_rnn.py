"""dynamic_rnn, bidirectional_dynamic_rnn, static_rnn (and bidirectional, state saving),
raw_rnn: outputs and final states against numpy with sequence lengths, TF1's variable names,
one compiled loop forward and backward, gradients against finite differences, and a small
character-level language model trained the same with dynamic_rnn and static_rnn."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from tests.gradient_checker import compute_gradient
from tests.ops.test_rnn_cell import assign_random, np_basic_lstm, np_gru

rnn_cell = tf.nn.rnn_cell
B, T, D, H = 3, 5, 2, 4
LENGTHS = np.array([5, 2, 0], np.int32)


@pytest.fixture
def sess():
    with tf.Graph().as_default() as g, tf.Session(graph=g) as s:
        yield s


def np_rnn(step, xs, state, lengths=None):
    """A masked RNN over batch-major `xs`: zero outputs and frozen state past each length."""
    outputs = []
    for t in range(xs.shape[1]):
        out, new_state = step(xs[:, t], state)
        if lengths is not None:
            done = (t >= lengths)[:, None]
            out = np.where(done, 0, out)
            new_state = tuple(np.where(done, s, n) for s, n in zip(state, new_state))
        outputs.append(out)
        state = new_state
    return np.stack(outputs, 1), state


def one_state(cell):
    """A numpy step `(x, (h,)) -> (h', (h',))` from a cell `(x, h) -> h'`."""

    def step(x, state):
        h = cell(x, state[0])
        return h, (h,)

    return step


def _inputs(seed=0, shape=(B, T, D)):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def test_dynamic_rnn_lstm_with_sequence_length(sess):
    xs = _inputs()
    x = tf.placeholder(tf.float32, [B, T, D])
    outputs, state = tf.nn.dynamic_rnn(
        rnn_cell.BasicLSTMCell(H), x, sequence_length=LENGTHS, dtype=tf.float32
    )
    assert outputs.shape.as_list() == [B, T, H]
    w = assign_random(sess, tf.trainable_variables(), "rnn/basic_lstm_cell")
    got_out, got_state = sess.run([outputs, state], {x: xs})
    zeros = np.zeros((B, H), np.float32)
    want_out, (c, h) = np_rnn(lambda x, s: np_basic_lstm(x, s, w), xs, (zeros, zeros), LENGTHS)
    np.testing.assert_allclose(got_out, want_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state.c, c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state.h, h, rtol=1e-5, atol=1e-6)
    assert not got_out[1, 2:].any() and not got_out[2].any()
    np.testing.assert_allclose(got_state.h[1], got_out[1, 1])  # the state at the last step


def test_dynamic_rnn_time_major_initial_state_and_unknown_batch(sess):
    xs = _inputs(1)
    x = tf.placeholder(tf.float32, [T, None, D])
    h0 = tf.placeholder(tf.float32, [None, H])
    cell = rnn_cell.GRUCell(H)
    outputs, state = tf.nn.dynamic_rnn(cell, x, initial_state=h0, time_major=True)
    assert outputs.shape.as_list() == [T, None, H]
    w = assign_random(sess, tf.trainable_variables(), "rnn/gru_cell")
    h_init = _inputs(2, (B, H))
    got_out, got_state = sess.run([outputs, state], {x: xs.transpose(1, 0, 2), h0: h_init})
    want_out, (want_state,) = np_rnn(one_state(lambda x, h: np_gru(x, h, w)[0]), xs, (h_init,))
    np.testing.assert_allclose(got_out, want_out.transpose(1, 0, 2), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state, want_state, rtol=1e-5, atol=1e-6)


def test_dynamic_rnn_unknown_time_runs_forward(sess):
    x = tf.placeholder(tf.float32, [B, None, D])
    seq = tf.placeholder(tf.int32, [B])
    outputs, state = tf.nn.dynamic_rnn(
        rnn_cell.BasicRNNCell(H), x, sequence_length=seq, dtype=tf.float32
    )
    w = assign_random(sess, tf.trainable_variables(), "rnn/basic_rnn_cell")
    for steps in (3, 6):
        xs, lengths = _inputs(steps, (B, steps, D)), np.array([steps, 1, 2], np.int32)
        got_out, got_state = sess.run([outputs, state], {x: xs, seq: lengths})
        step = one_state(lambda x, h: np.tanh(np.concatenate([x, h], 1) @ w["kernel"] + w["bias"]))
        want_out, (want_state,) = np_rnn(step, xs, (np.zeros((B, H), np.float32),), lengths)
        np.testing.assert_allclose(got_out, want_out, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got_state, want_state, rtol=1e-5, atol=1e-6)


def test_dynamic_rnn_nested_inputs_and_outputs(sess):
    class SumCell(rnn_cell.RNNCell):
        """Inputs (a, b) -> outputs (a + state, b) ; state accumulates a."""

        state_size = 2
        output_size = (2, 3)

        def call(self, inputs, state):
            a, b = inputs
            return (a + state, b * 2.0), state + a

    a = np.ones((B, T, 2), np.float32)
    b = _inputs(3, (B, T, 3))
    (out_a, out_b), state = tf.nn.dynamic_rnn(
        SumCell(), (tf.constant(a), tf.constant(b)), dtype=tf.float32
    )
    got_a, got_b, got_state = sess.run([out_a, out_b, state])
    np.testing.assert_allclose(got_a[:, :, 0], np.tile(np.arange(1, T + 1), (B, 1)))
    np.testing.assert_allclose(got_b, 2 * b, rtol=1e-6)
    np.testing.assert_allclose(got_state, np.full((B, 2), T))


def test_variable_names_match_tf1():
    """Names checked against TF 1.x's (tf.compat.v1) for the same calls."""
    with tf.Graph().as_default():
        x = tf.zeros([B, T, D])
        cells = [rnn_cell.BasicLSTMCell(6), rnn_cell.GRUCell(7), rnn_cell.LSTMCell(8, num_proj=5)]
        tf.nn.dynamic_rnn(rnn_cell.MultiRNNCell(cells), x, dtype=tf.float32)
        tf.nn.bidirectional_dynamic_rnn(
            rnn_cell.BasicLSTMCell(6), rnn_cell.GRUCell(2), x, dtype=tf.float32
        )
        tf.nn.static_rnn(rnn_cell.BasicLSTMCell(6), tf.unstack(x, axis=1), dtype=tf.float32,
                         scope="s")  # fmt: skip
        tf.nn.static_bidirectional_rnn(
            rnn_cell.BasicRNNCell(6), rnn_cell.BasicRNNCell(6), tf.unstack(x, axis=1),
            dtype=tf.float32, scope="sb",
        )  # fmt: skip
        wrapped = [rnn_cell.DropoutWrapper(rnn_cell.BasicLSTMCell(2)),
                   rnn_cell.ResidualWrapper(rnn_cell.BasicLSTMCell(2))]  # fmt: skip
        tf.nn.dynamic_rnn(rnn_cell.MultiRNNCell(wrapped), x, dtype=tf.float32, scope="w")
        got = {v.op.name: v.shape.as_list() for v in tf.global_variables()}
    assert got == {
        "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel": [8, 24],
        "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/bias": [24],
        "rnn/multi_rnn_cell/cell_1/gru_cell/gates/kernel": [13, 14],
        "rnn/multi_rnn_cell/cell_1/gru_cell/gates/bias": [14],
        "rnn/multi_rnn_cell/cell_1/gru_cell/candidate/kernel": [13, 7],
        "rnn/multi_rnn_cell/cell_1/gru_cell/candidate/bias": [7],
        "rnn/multi_rnn_cell/cell_2/lstm_cell/kernel": [12, 32],
        "rnn/multi_rnn_cell/cell_2/lstm_cell/bias": [32],
        "rnn/multi_rnn_cell/cell_2/lstm_cell/projection/kernel": [8, 5],
        "bidirectional_rnn/fw/basic_lstm_cell/kernel": [8, 24],
        "bidirectional_rnn/fw/basic_lstm_cell/bias": [24],
        "bidirectional_rnn/bw/gru_cell/gates/kernel": [4, 4],
        "bidirectional_rnn/bw/gru_cell/gates/bias": [4],
        "bidirectional_rnn/bw/gru_cell/candidate/kernel": [4, 2],
        "bidirectional_rnn/bw/gru_cell/candidate/bias": [2],
        "s/basic_lstm_cell/kernel": [8, 24],
        "s/basic_lstm_cell/bias": [24],
        "sb/fw/basic_rnn_cell/kernel": [8, 6],
        "sb/fw/basic_rnn_cell/bias": [6],
        "sb/bw/basic_rnn_cell/kernel": [8, 6],
        "sb/bw/basic_rnn_cell/bias": [6],
        "w/multi_rnn_cell/cell_0/basic_lstm_cell/kernel": [4, 8],
        "w/multi_rnn_cell/cell_0/basic_lstm_cell/bias": [8],
        "w/multi_rnn_cell/cell_1/basic_lstm_cell/kernel": [4, 8],
        "w/multi_rnn_cell/cell_1/basic_lstm_cell/bias": [8],
    }


def test_a_second_rnn_in_the_same_scope_is_refused_as_in_tf1():
    with tf.Graph().as_default():
        x = tf.zeros([B, T, D])
        tf.nn.dynamic_rnn(rnn_cell.BasicRNNCell(2), x, dtype=tf.float32)
        with pytest.raises(ValueError, match="rnn/basic_rnn_cell/kernel already exists"):
            tf.nn.dynamic_rnn(rnn_cell.BasicRNNCell(2), x, dtype=tf.float32)


def test_static_rnn_matches_dynamic_rnn(sess):
    xs = _inputs(4)
    x = tf.placeholder(tf.float32, [B, T, D])
    cell = rnn_cell.BasicLSTMCell(H)
    dyn_out, dyn_state = tf.nn.dynamic_rnn(cell, x, sequence_length=LENGTHS, dtype=tf.float32)
    # the same cell object: static_rnn reuses its variables
    st_out, st_state = tf.nn.static_rnn(
        cell, tf.unstack(x, axis=1), sequence_length=LENGTHS, dtype=tf.float32, scope="s"
    )
    assert len(tf.global_variables()) == 2 and len(st_out) == T
    sess.run(tf.global_variables_initializer())
    got = sess.run([dyn_out, dyn_state, st_out, st_state], {x: xs})
    np.testing.assert_allclose(np.stack(got[2], 1), got[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[3].c, got[1].c, rtol=1e-5, atol=1e-6)


def test_bidirectional_rnns_against_numpy(sess):
    xs = _inputs(5)
    x = tf.placeholder(tf.float32, [B, T, D])
    fw, bw = rnn_cell.BasicLSTMCell(H), rnn_cell.BasicLSTMCell(H)
    (out_fw, out_bw), (s_fw, s_bw) = tf.nn.bidirectional_dynamic_rnn(
        fw, bw, x, sequence_length=LENGTHS, dtype=tf.float32
    )
    static_out, st_fw, st_bw = tf.nn.static_bidirectional_rnn(
        fw, bw, tf.unstack(x, axis=1), sequence_length=LENGTHS, dtype=tf.float32
    )
    w_fw = assign_random(sess, fw.trainable_variables, "bidirectional_rnn/fw/basic_lstm_cell")
    w_bw = assign_random(sess, bw.trainable_variables, "bidirectional_rnn/bw/basic_lstm_cell", 1)
    got = sess.run([out_fw, out_bw, s_fw, s_bw, static_out, st_bw], {x: xs})
    zeros = np.zeros((B, H), np.float32)
    want_fw, want_s_fw = np_rnn(lambda x, s: np_basic_lstm(x, s, w_fw), xs, (zeros, zeros), LENGTHS)
    reversed_xs = np.stack([np.concatenate([xs[b, :n][::-1], xs[b, n:]]) for b, n in
                            enumerate(LENGTHS)])  # fmt: skip
    tmp, want_s_bw = np_rnn(
        lambda x, s: np_basic_lstm(x, s, w_bw), reversed_xs, (zeros, zeros), LENGTHS
    )
    want_bw = np.stack([np.concatenate([tmp[b, :n][::-1], tmp[b, n:]]) for b, n in
                        enumerate(LENGTHS)])  # fmt: skip
    np.testing.assert_allclose(got[0], want_fw, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], want_bw, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[2].h, want_s_fw[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[3].c, want_s_bw[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        np.stack(got[4], 1), np.concatenate([want_fw, want_bw], 2), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(got[5].h, want_s_bw[1], rtol=1e-5, atol=1e-6)


def test_static_state_saving_rnn(sess):
    class Saver:
        """A state saver keeping each state in a variable."""

        def __init__(self):
            self.vars = {n: tf.Variable(tf.zeros([B, H]), name=n) for n in ("c", "h")}

        def state(self, name):
            return self.vars[name].read_value()

        def save_state(self, name, value):
            return tf.assign(self.vars[name], value)

    saver = Saver()
    inputs = [tf.ones([B, D])] * 2
    outputs, state = tf.nn.static_state_saving_rnn(
        rnn_cell.BasicLSTMCell(H), inputs, saver, ("c", "h")
    )
    sess.run(tf.global_variables_initializer())
    first = sess.run(state)
    np.testing.assert_allclose(sess.run(saver.vars["h"]), first.h)
    second = sess.run(state)  # starts from the saved state
    assert not np.allclose(second.h, first.h)


def test_raw_rnn_matches_dynamic_rnn(sess):
    xs = _inputs(6)
    lengths = np.array([4, 2, 1], np.int32)
    x = tf.placeholder(tf.float32, [B, T, D])
    seq = tf.constant(lengths)
    cell = rnn_cell.BasicLSTMCell(H)
    inputs_ta = tf.TensorArray(tf.float32, size=T).unstack(tf.transpose(x, [1, 0, 2]))

    def loop_fn(time, cell_output, cell_state, loop_state):
        emit_output = cell_output
        next_state = cell.zero_state(B, tf.float32) if cell_output is None else cell_state
        finished = time >= seq
        next_input = tf.cond(
            tf.reduce_all(finished),
            lambda: tf.zeros([B, D], tf.float32),
            lambda: inputs_ta.read(tf.minimum(time, T - 1)),
        )
        return finished, next_input, next_state, emit_output, None

    emit_ta, final_state, final_loop_state = tf.nn.raw_rnn(cell, loop_fn)
    assert final_loop_state is None
    raw_out = tf.transpose(emit_ta.stack(), [1, 0, 2])
    dyn_out, dyn_state = tf.nn.dynamic_rnn(
        cell, x, sequence_length=lengths, dtype=tf.float32, scope="dyn"
    )
    sess.run(tf.global_variables_initializer())
    got_raw, got_state, want, want_state = sess.run(
        [raw_out, final_state, dyn_out, dyn_state], {x: xs}
    )
    assert got_raw.shape == (B, 4, H)  # as many steps as the longest sequence
    np.testing.assert_allclose(got_raw, want[:, :4], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state.h, want_state.h, rtol=1e-5, atol=1e-6)


# -- compiled loops and gradients -----------------------------------------------------------------


def test_dynamic_rnn_is_one_loop_forward_and_backward(sess):
    x = tf.placeholder(tf.float32, [B, T, D])
    cell = rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(H), rnn_cell.BasicLSTMCell(H)])
    outputs, _ = tf.nn.dynamic_rnn(cell, x, sequence_length=LENGTHS, dtype=tf.float32)
    loss = tf.reduce_sum(tf.square(outputs))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    sess.run(tf.global_variables_initializer())
    plan = sess.explain([train, loss], {x: _inputs()})
    assert [s.kind for s in plan.segments] == ["xla"]
    types = [op.op for op in plan.ops]
    assert types.count("While") == 1  # the forward loop; the cell ops live in its body
    assert "MatMul" not in types and "Sigmoid" not in types
    backward = [op for op in plan.ops if "While_grad" in op.name and op.op == "VJP"]
    assert len(backward) == 1  # the loop's gradient: one op (a compiled backward scan)
    losses = [sess.run([train, loss], {x: _inputs()})[1] for _ in range(3)]
    assert losses[2] < losses[0]


def test_dynamic_rnn_gradients_with_sequence_length():
    """d(outputs, final state) / d(inputs, kernel, bias) against central differences."""
    rng = np.random.default_rng(0)
    values = [
        rng.normal(size=(2, 3, 2)),
        rng.normal(scale=0.5, size=(2 + 3, 4 * 3)),
        rng.normal(scale=0.1, size=(4 * 3,)),
    ]
    with tf.Graph().as_default() as g, tf.Session(graph=g) as s:
        x, kernel, bias = (tf.placeholder(tf.float64, v.shape) for v in values)
        weights = {"kernel": kernel, "bias": bias}

        def getter(getter, name, *args, **kwargs):  # the cell's variables are the placeholders
            return weights[name.rsplit("/", 1)[1]]

        with tf.variable_scope("g", custom_getter=getter):
            outputs, state = tf.nn.dynamic_rnn(
                rnn_cell.BasicLSTMCell(3), x, sequence_length=[3, 1], dtype=tf.float64
            )
        for theoretical, numerical in compute_gradient(
            [x, kernel, bias], [outputs, state.c, state.h], values, s, delta=1e-6
        ):
            np.testing.assert_allclose(theoretical, numerical, atol=1e-7)


def test_char_lstm_language_model_dynamic_equals_static():
    """A character-level LSTM LM: the same losses over training steps either way."""
    text = b"hello world, hello flowgraph. " * 4
    vocab = sorted(set(text))
    ids = np.array([vocab.index(c) for c in text], np.int32)
    steps, batch, hidden = 8, 4, 16
    starts = np.arange(batch) * steps
    data = [
        (np.stack([ids[s + k : s + k + steps] for s in starts]),
         np.stack([ids[s + k + 1 : s + k + steps + 1] for s in starts]))
        for k in range(0, 40, 10)
    ]  # fmt: skip

    def train(static: bool) -> list[float]:
        with tf.Graph().as_default() as g, tf.Session(graph=g) as s:
            x = tf.placeholder(tf.int32, [batch, steps])
            y = tf.placeholder(tf.int32, [batch, steps])
            embedding = tf.get_variable("embedding", [len(vocab), 8])
            inputs = tf.nn.embedding_lookup(embedding, x)
            cell = rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(hidden) for _ in range(2)])
            if static:
                outs, _ = tf.nn.static_rnn(cell, tf.unstack(inputs, axis=1), dtype=tf.float32)
                outputs = tf.stack(outs, axis=1)
            else:
                outputs, _ = tf.nn.dynamic_rnn(cell, inputs, dtype=tf.float32)
            logits = tf.layers.dense(tf.reshape(outputs, [-1, hidden]), len(vocab))
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=tf.reshape(y, [-1]), logits=logits
                )
            )
            train_op = tf.train.AdamOptimizer(0.05).minimize(loss)
            s.run(tf.global_variables_initializer())
            rng = np.random.default_rng(0)  # the same initial weights, by name
            for v in sorted(tf.trainable_variables(), key=lambda v: v.op.name):
                s.run(v.assign(rng.normal(scale=0.3, size=v.shape.as_list())))
            return [s.run([train_op, loss], {x: a, y: b})[1] for a, b in data * 2]

    dynamic, static = train(False), train(True)
    np.testing.assert_allclose(dynamic, static, rtol=2e-4)
    assert dynamic[-1] < dynamic[0] - 0.5


def test_dynamic_rnn_with_dropout_in_the_loop(sess):
    cell = rnn_cell.DropoutWrapper(rnn_cell.BasicRNNCell(32), output_keep_prob=0.5)
    outputs, _ = tf.nn.dynamic_rnn(cell, tf.ones([B, T, D]), dtype=tf.float32)
    sess.run(tf.global_variables_initializer())
    first, second = sess.run(outputs), sess.run(outputs)
    masks = [first == 0, second == 0]
    assert 0.3 < masks[0].mean() < 0.7
    assert not np.array_equal(masks[0][:, 0], masks[0][:, 1])  # a new mask every step
    assert not np.array_equal(masks[0], masks[1])  # and every run


def test_dynamic_rnn_errors():
    with tf.Graph().as_default():
        cell = rnn_cell.BasicRNNCell(2)
        with pytest.raises(ValueError, match="`dtype` must be specified"):
            tf.nn.dynamic_rnn(cell, tf.zeros([B, T, D]))
        with pytest.raises(ValueError, match="depth of inputs"):
            tf.nn.dynamic_rnn(cell, tf.placeholder(tf.float32, [B, T, None]), dtype=tf.float32)
        with pytest.raises(ValueError, match="sequence_length must be a vector"):
            tf.nn.dynamic_rnn(cell, tf.zeros([B, T, D]), sequence_length=[[1]], dtype=tf.float32)
        with pytest.raises(TypeError, match="is not an RNNCell"):
            tf.nn.dynamic_rnn(lambda x, s: (x, s), tf.zeros([B, T, D]), dtype=tf.float32)
        with pytest.raises(TypeError, match="must be a sequence"):
            tf.nn.static_rnn(cell, tf.zeros([B, D]), dtype=tf.float32)
