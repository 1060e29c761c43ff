"""A task's rendezvous: a receive waits for its send (bounded), a value is taken once,
an aborted step fails its waits."""

import threading
import time

import pytest

import flowgraph as tf
from flowgraph.distributed.rendezvous import Rendezvous


def test_receive_waits_for_the_send_and_takes_it():
    rendezvous = Rendezvous()
    threading.Timer(0.1, rendezvous.send, (7, "k", 3.0)).start()
    start = time.monotonic()
    assert rendezvous.recv(7, "k", timeout=10) == 3.0
    assert time.monotonic() - start >= 0.05
    with pytest.raises(tf.errors.DeadlineExceededError, match="Timed out waiting for tensor k"):
        rendezvous.recv(7, "k", timeout=0.05)  # taken: a second receive waits again


def test_steps_do_not_mix():
    rendezvous = Rendezvous()
    rendezvous.send(1, "k", "one")
    rendezvous.send(2, "k", "two")
    assert rendezvous.recv(2, "k") == "two" and rendezvous.recv(1, "k") == "one"


def test_abort_fails_waiting_and_later_receives_of_the_step_only():
    rendezvous = Rendezvous()
    rendezvous.send(5, "early", 1)
    error = tf.errors.AbortedError(None, None, "the ps restarted")
    threading.Timer(0.1, rendezvous.abort, (5, error)).start()
    with pytest.raises(tf.errors.AbortedError, match="the ps restarted"):
        rendezvous.recv(5, "late", timeout=10)
    with pytest.raises(tf.errors.AbortedError):
        rendezvous.recv(5, "early", timeout=10)  # its values are dropped
    rendezvous.send(5, "after", 2)  # a send after the abort is dropped too
    with pytest.raises(tf.errors.AbortedError):
        rendezvous.recv(5, "after")
    rendezvous.send(6, "k", 3)
    assert rendezvous.recv(6, "k") == 3


def test_close_fails_every_wait():
    rendezvous = Rendezvous()
    rendezvous.send(1, "k", 1)
    threading.Timer(0.1, rendezvous.close).start()
    with pytest.raises(tf.errors.CancelledError, match="shutting down"):
        rendezvous.recv(2, "k", timeout=10)
    with pytest.raises(tf.errors.CancelledError):
        rendezvous.recv(1, "k")  # its values are dropped
