"""The one-variable model the MonitoredSession, hook and Supervisor tests train: one SGD step
of rate 0.1 on loss w² maps w to 0.8·w, so every value is known in closed form."""

from __future__ import annotations

import flowgraph as tf


def model():
    """global step, w (5.0), loss w², and a train op: one SGD step of rate 0.1 (w ← 0.8·w)."""
    step = tf.train.get_or_create_global_step()
    w = tf.Variable(5.0, name="w")
    loss = tf.square(w, name="loss")
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    return step, w, loss, train


def w_after(n: int) -> float:
    """w after `n` training steps."""
    return 5.0 * 0.8**n
