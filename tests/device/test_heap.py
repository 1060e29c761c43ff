"""Returning freed heap memory to the OS after a plan's first run (`device/heap.py`)."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

import flowgraph as tf
from device import heap

glibc = pytest.mark.skipif(heap._MALLOC_TRIM is None, reason="malloc_trim is glibc's")


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


@glibc
def test_release_gives_free_chunks_below_the_top_of_the_heap_back(monkeypatch):
    monkeypatch.delenv("FLOWGRAPH_TRIM_HEAP", raising=False)
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = [libc.malloc(64 << 10) for _ in range(1024)]  # 64 MB in chunks of the heap
    for block in blocks:
        ctypes.memset(block, 1, 64 << 10)
    # Every 16th block stays: the freed ones are holes the heap's top cannot shrink over.
    pins = blocks[::16]
    for i, block in enumerate(blocks):
        if i % 16:
            libc.free(block)
    held = _rss_mb()
    assert heap.release()
    assert held - _rss_mb() > 40  # most of the 60 MB freed left the process
    for block in pins:
        libc.free(block)


def test_the_switch_turns_release_off(monkeypatch):
    monkeypatch.setenv("FLOWGRAPH_TRIM_HEAP", "0")
    assert not heap.enabled()
    assert not heap.release()


def test_a_plan_releases_after_its_first_run_only(monkeypatch):
    calls = []
    monkeypatch.setattr(heap, "release", lambda: calls.append(1) or True)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2])
        y = x * 2.0
        with tf.Session() as sess:
            for _ in range(3):
                np.testing.assert_array_equal(sess.run(y, {x: [1.0, 2.0]}), [2.0, 4.0])
            assert len(calls) == 1
            sess.run(y + 1.0, {x: [1.0, 2.0]})  # a second plan: its own first run
            assert len(calls) == 2
