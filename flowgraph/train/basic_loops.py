"""`tf.train.basic_train_loop`: call a train step until the Supervisor says stop."""

from __future__ import annotations

from kernels import errors


def basic_train_loop(supervisor, train_step_fn, args=None, kwargs=None, master=""):
    """Basic loop to train a model.

    Calls `train_step_fn(sess, *args, **kwargs)` in a loop until the supervisor's
    `should_stop()`; an `AbortedError` (a restarted server) starts a new managed session.

    Args:
      supervisor: a `tf.train.Supervisor` to run the training services.
      train_step_fn: callable to execute one training step, called with the session
        first: `train_step_fn(session, *args, **kwargs)`.
      args: optional positional arguments passed to `train_step_fn`.
      kwargs: optional keyword arguments passed to `train_step_fn`.
      master: master to use to create the training session.

    Example:
      >>> def step(sess, train_op):
      ...     sess.run(train_op)
      >>> tf.train.basic_train_loop(sv, step, args=(train_op,))
    """
    args, kwargs = args or [], kwargs or {}
    should_retry = True
    while should_retry:
        should_retry = False
        try:
            with supervisor.managed_session(master) as sess:
                while not supervisor.should_stop():
                    train_step_fn(sess, *args, **kwargs)
        except errors.AbortedError:
            # A distributed server restarted: run again in a new session.
            should_retry = True
