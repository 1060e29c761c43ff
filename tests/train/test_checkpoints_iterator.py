"""`tf.train.checkpoints_iterator`: new checkpoints as they appear, bounded by `timeout`."""

import threading
import time

import flowgraph as tf


def _write_checkpoint(directory, step):
    path = f"{directory}/model.ckpt-{step}"
    with open(path + ".index", "w") as f:
        f.write("x")
    tf.train.update_checkpoint_state(str(directory), path)
    return path


def test_yields_each_new_checkpoint_then_times_out(tmp_path):
    first = _write_checkpoint(tmp_path, 1)
    seen = []

    def later():
        time.sleep(0.5)
        seen.append(_write_checkpoint(tmp_path, 2))

    writer = threading.Thread(target=later)
    writer.start()
    start = time.time()
    got = list(tf.train.checkpoints_iterator(str(tmp_path), timeout=3))
    writer.join()
    assert got == [first, seen[0]]
    assert 3 <= time.time() - start < 20


def test_timeout_fn_decides_whether_to_stop(tmp_path):
    asked = []

    def timeout_fn():
        asked.append(1)
        return len(asked) == 2

    assert list(tf.train.checkpoints_iterator(str(tmp_path), timeout=0.5,
                                              timeout_fn=timeout_fn)) == []  # fmt: skip
    assert len(asked) == 2


def test_min_interval_spaces_out_the_yields(tmp_path):
    _write_checkpoint(tmp_path, 1)
    iterator = tf.train.checkpoints_iterator(str(tmp_path), min_interval_secs=1, timeout=0.2)
    start = time.time()
    next(iterator)
    _write_checkpoint(tmp_path, 2)
    next(iterator)
    assert time.time() - start >= 1
