"""A small training job for tests/train/test_saver_fault.py, meant to be SIGKILLed and rerun.

Usage: saver_fault_script.py CHECKPOINT_DIR MAX_STEPS SAVE_EVERY

It resumes from the latest checkpoint in CHECKPOINT_DIR if there is one, trains to
MAX_STEPS, saving every SAVE_EVERY steps, and prints (flushed) one line per event:
  RESTORED <step> <digest>   resumed from a checkpoint
  FRESH                      no checkpoint: started from the initial values
  STEP <step> <digest>       after each training step
  SAVING <step>              just before a save
  SAVED <step> <path>        after a save
  DONE <step>                MAX_STEPS reached
<digest> is a hash of every saved variable's bytes (weights, Adam slots, global step), so
equal digests mean identical state.
"""

import hashlib
import sys

import numpy as np

import flowgraph as tf


def _state(sess, variables, step_index: int) -> tuple[int, str]:
    """The global step and the digest of all variables, read in one run."""
    values = sess.run(variables)
    h = hashlib.sha256()
    for value in values:
        h.update(np.ascontiguousarray(value).tobytes())
    return int(values[step_index]), h.hexdigest()[:16]


def main(checkpoint_dir: str, max_steps: int, save_every: int) -> None:
    rng = np.random.RandomState(0)
    x_data = rng.randn(16, 4).astype(np.float32)
    y_data = (x_data @ rng.randn(4, 1)).astype(np.float32)
    x = tf.constant(x_data)
    with tf.variable_scope("dense"):
        w = tf.get_variable("kernel", [4, 1], initializer=tf.zeros_initializer())
        b = tf.get_variable("bias", [1], initializer=tf.zeros_initializer())
    step = tf.train.get_or_create_global_step()
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y_data))
    train = tf.train.AdamOptimizer(0.05).minimize(loss, global_step=step)
    saver = tf.train.Saver(max_to_keep=3)
    variables = tf.global_variables()
    step_index = variables.index(step)

    def say(*words):
        print(*words, flush=True)

    with tf.Session() as sess:
        latest = tf.train.latest_checkpoint(checkpoint_dir)
        if latest:
            saver.restore(sess, latest)
            say("RESTORED", *_state(sess, variables, step_index))
        else:
            sess.run(tf.global_variables_initializer())
            say("FRESH")
        n, _ = _state(sess, variables, step_index)
        while n < max_steps:
            sess.run(train)
            n, digest = _state(sess, variables, step_index)
            say("STEP", n, digest)
            if n % save_every == 0:
                say("SAVING", n)
                path = saver.save(sess, f"{checkpoint_dir}/model.ckpt", global_step=step)
                say("SAVED", n, path)
        say("DONE", n)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
