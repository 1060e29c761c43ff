"""`tf.train.checkpoints_iterator`: yield each new checkpoint of a directory as it appears."""

from __future__ import annotations

import time

from flowgraph import logging
from flowgraph.train import checkpoint_management


def wait_for_new_checkpoint(checkpoint_dir, last_checkpoint=None, seconds_to_sleep=1,
                            timeout=None):  # fmt: skip
    """Waits until a checkpoint other than `last_checkpoint` is the latest one.

    Returns:
      The new checkpoint path, or None if `timeout` seconds passed first.
    """
    logging.info("Waiting for new checkpoint at %s", checkpoint_dir)
    stop_time = time.time() + timeout if timeout is not None else None
    while True:
        checkpoint_path = checkpoint_management.latest_checkpoint(checkpoint_dir)
        if checkpoint_path is not None and checkpoint_path != last_checkpoint:
            logging.info("Found new checkpoint at %s", checkpoint_path)
            return checkpoint_path
        if stop_time is not None and time.time() + seconds_to_sleep > stop_time:
            return None
        time.sleep(seconds_to_sleep)


def checkpoints_iterator(checkpoint_dir, min_interval_secs=0, timeout=None, timeout_fn=None):
    """Continuously yield new checkpoint files as they appear.

    Yields the latest checkpoint of `checkpoint_dir` each time it changes, at most every
    `min_interval_secs`. After `timeout` seconds without a new one it stops, unless
    `timeout_fn` is given and returns False (then it waits again).

    Example:
      >>> for path in tf.train.checkpoints_iterator(train_dir, timeout=600):
      ...     saver.restore(sess, path)
      ...     evaluate(sess)
    """
    checkpoint_path = None
    while True:
        new_path = wait_for_new_checkpoint(checkpoint_dir, checkpoint_path, timeout=timeout)
        if new_path is None:
            if not timeout_fn:
                logging.info("Timed-out waiting for a checkpoint.")
                return
            if timeout_fn():
                return
            continue
        start = time.time()
        checkpoint_path = new_path
        yield checkpoint_path
        time_to_next = start + min_interval_secs - time.time()
        if time_to_next > 0:
            time.sleep(time_to_next)
