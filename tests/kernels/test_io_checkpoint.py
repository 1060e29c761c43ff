"""Checkpoint kernels: SaveV2 writes on a writer thread; `wait_all` waits for every write."""

import os

import numpy as np

from kernels import io_checkpoint


def test_wait_all_returns_once_every_pending_save_is_written(tmp_path):
    prefixes = [str(tmp_path / f"ckpt-{i}") for i in range(3)]
    for i, prefix in enumerate(prefixes):
        io_checkpoint.save_v2(prefix, np.array([b"v"]), np.array([b""]), np.full([64, 64], i))
    io_checkpoint.wait_all()
    # Another process reads the files next: they are whole without waiting on the prefix.
    assert all(os.path.isfile(io_checkpoint.index_path(p)) for p in prefixes)
    for i, prefix in enumerate(prefixes):
        (value,) = io_checkpoint.read(prefix, ["v"])
        np.testing.assert_array_equal(value, np.full([64, 64], i))
