"""`tf.train.SessionManager`: creates sessions restored from a checkpoint or initialized."""

from __future__ import annotations

import time

import numpy as np

from flowgraph import logging
from flowgraph.client.session import Session
from flowgraph.framework.ops import get_default_graph
from flowgraph.train import checkpoint_management
from kernels import errors


def _maybe_name(obj) -> str:
    if obj is None:
        return "None"
    return getattr(obj, "name", f"<no name for {type(obj)}>")


class _SessionOps:
    """Read-only access to the ops a training session is set up with, shared by `Scaffold`
    and `Supervisor` (each sets the underscored attributes): the init op and its feed dict,
    the two ready checks, the summary op and the saver."""

    @property
    def init_op(self):
        return self._init_op

    @property
    def init_feed_dict(self):
        return self._init_feed_dict

    @property
    def ready_op(self):
        return self._ready_op

    @property
    def ready_for_local_init_op(self):
        return self._ready_for_local_init_op

    @property
    def summary_op(self):
        return self._summary_op

    @property
    def saver(self):
        return self._saver


class SessionManager:
    """Creates a session whose model is ready: restored from the newest checkpoint when
    there is one, else initialized; or (for workers) waits for one that is.

    "Ready" means `ready_op` (a string tensor naming the uninitialized variables) is empty;
    before the `local_init_op` runs, `ready_for_local_init_op` must be empty.

    Example:
      >>> sm = tf.train.SessionManager()
      >>> sess = sm.prepare_session("", init_op=init_op, saver=saver,
      ...                           checkpoint_dir="/tmp/run")
    """

    def __init__(
        self,
        local_init_op=None,
        ready_op=None,
        ready_for_local_init_op=None,
        graph=None,
        recovery_wait_secs=30,
        local_init_run_options=None,
        local_init_feed_dict=None,
    ):
        """Creates a SessionManager.

        Args:
          local_init_op: an op run on every new session (local variables, tables).
          ready_op: a tensor of the uninitialized variables' names (empty when ready).
          ready_for_local_init_op: the same, checked before `local_init_op` runs.
          graph: the graph to run (default: the default graph).
          recovery_wait_secs: seconds between checks for a checkpoint or a ready model.
          local_init_run_options: `RunOptions` for `local_init_op`.
          local_init_feed_dict: the feed dict for `local_init_op`.

        Raises:
          ValueError: `ready_for_local_init_op` is given without `local_init_op`.
        """
        if ready_for_local_init_op is not None and local_init_op is None:
            raise ValueError(
                "If you pass a ready_for_local_init_op you must also pass a local_init_op , "
                f"ready_for_local_init_op [{ready_for_local_init_op}]"
            )
        self._local_init_op = local_init_op
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._graph = graph or get_default_graph()
        self._recovery_wait_secs = recovery_wait_secs
        self._local_init_run_options = local_init_run_options
        self._local_init_feed_dict = local_init_feed_dict

    def _restore_checkpoint(
        self,
        master,
        saver=None,
        checkpoint_dir=None,
        checkpoint_filename_with_path=None,
        wait_for_checkpoint=False,
        max_wait_secs=7200,
        config=None,
    ):
        """A new session, and whether it was restored from a checkpoint."""
        if checkpoint_dir and checkpoint_filename_with_path:
            raise ValueError(
                "Can not provide both checkpoint_dir and checkpoint_filename_with_path."
            )
        sess = Session(master, graph=self._graph, config=config)
        if not saver or not (checkpoint_dir or checkpoint_filename_with_path):
            return sess, False
        if checkpoint_filename_with_path:
            self._restore(sess, saver, checkpoint_filename_with_path)
            return sess, True
        ckpt = self._wait_for_checkpoint(checkpoint_dir, wait_for_checkpoint, max_wait_secs)
        if ckpt is None:
            return sess, False
        self._restore(sess, saver, ckpt.model_checkpoint_path)
        saver.recover_last_checkpoints(list(ckpt.all_model_checkpoint_paths))
        return sess, True

    def _wait_for_checkpoint(self, checkpoint_dir, wait, max_wait_secs):
        """The `CheckpointState` of `checkpoint_dir`, polled for up to `max_wait_secs` when
        `wait` (another process writes it); None if there is none."""
        waited = 0
        ckpt = checkpoint_management.get_checkpoint_state(checkpoint_dir)
        while not ckpt or not ckpt.model_checkpoint_path:
            if not wait or waited >= max_wait_secs:
                return None
            logging.info("Waiting for checkpoint to be available.")
            time.sleep(self._recovery_wait_secs)
            waited += self._recovery_wait_secs
            ckpt = checkpoint_management.get_checkpoint_state(checkpoint_dir)
        return ckpt

    def _restore(self, sess, saver, path) -> None:
        saved_model_init_ops = self._graph.get_collection("saved_model_initializers")
        if saved_model_init_ops:
            sess.run(saved_model_init_ops)
        saver.restore(sess, path)

    def prepare_session(
        self,
        master,
        init_op=None,
        saver=None,
        checkpoint_dir=None,
        checkpoint_filename_with_path=None,
        wait_for_checkpoint=False,
        max_wait_secs=7200,
        config=None,
        init_feed_dict=None,
        init_fn=None,
    ):
        """Creates a session, restored from a checkpoint if one exists, else initialized.

        Without a checkpoint, runs `init_op` (with `init_feed_dict`) and calls
        `init_fn(sess)`; then runs the local init op and checks the model is ready.

        Args:
          master: the session target ("" for in-process).
          init_op: the op initializing the model when no checkpoint restores it.
          saver: the `Saver` to restore with.
          checkpoint_dir: the directory whose newest checkpoint to restore.
          checkpoint_filename_with_path: a checkpoint to restore instead.
          wait_for_checkpoint: wait for a checkpoint to appear in `checkpoint_dir`.
          max_wait_secs: how long to wait for it.
          config: the session's `ConfigProto`.
          init_feed_dict: the feed dict for `init_op`.
          init_fn: called with the session after `init_op`.

        Returns:
          A `Session`.

        Raises:
          RuntimeError: the model is neither restored nor initialized, or not ready after
            initialization.
        """
        sess, restored = self._restore_checkpoint(
            master,
            saver,
            checkpoint_dir=checkpoint_dir,
            checkpoint_filename_with_path=checkpoint_filename_with_path,
            wait_for_checkpoint=wait_for_checkpoint,
            max_wait_secs=max_wait_secs,
            config=config,
        )
        if not restored:
            if init_op is None and not init_fn and self._local_init_op is None:
                raise RuntimeError(
                    "Model is not initialized and no init_op or init_fn or local_init_op was given"
                )
            if init_op is not None:
                sess.run(init_op, feed_dict=init_feed_dict)
            if init_fn:
                init_fn(sess)
        what = f"Init op: {_maybe_name(init_op)}, init fn: {init_fn}"
        ok, msg = self._try_run_local_init_op(sess)
        if not ok:
            raise RuntimeError(
                f"Init operations did not make model ready for local_init.  {what}, error: {msg}"
            )
        ok, msg = self._model_ready(sess)
        if not ok:
            raise RuntimeError(
                f"Init operations did not make model ready.  {what}, local_init_op: "
                f"{self._local_init_op}, error: {msg}"
            )
        return sess

    def recover_session(
        self,
        master,
        saver=None,
        checkpoint_dir=None,
        checkpoint_filename_with_path=None,
        wait_for_checkpoint=False,
        max_wait_secs=7200,
        config=None,
    ):
        """Creates a session and restores it from a checkpoint if there is one.

        Returns:
          (sess, initialized): the session, and whether the restore made the model ready.
        """
        sess, restored = self._restore_checkpoint(
            master,
            saver,
            checkpoint_dir=checkpoint_dir,
            checkpoint_filename_with_path=checkpoint_filename_with_path,
            wait_for_checkpoint=wait_for_checkpoint,
            max_wait_secs=max_wait_secs,
            config=config,
        )
        local_ok, msg = self._try_run_local_init_op(sess)
        if not restored:
            return sess, False
        source = checkpoint_dir or checkpoint_filename_with_path
        if not local_ok:
            logging.info(
                "Restoring model from %s did not make model ready for local init: %s", source, msg
            )
            return sess, False
        ready, msg = self._model_ready(sess)
        if not ready:
            logging.info("Restoring model from %s did not make model ready: %s", source, msg)
            return sess, False
        logging.info("Restored model from %s", source)
        return sess, True

    def wait_for_session(self, master, config=None, max_wait_secs=float("Inf")):
        """Creates sessions until one finds the model ready (initialized by a chief).

        Returns:
          A `Session` whose model is ready.

        Raises:
          DeadlineExceededError: the model was not ready within `max_wait_secs`.
        """
        max_wait_secs = float("Inf") if max_wait_secs is None else max_wait_secs
        deadline = time.monotonic() + max_wait_secs
        while True:
            sess = Session(master, graph=self._graph, config=config)
            ready, msg = self._try_run_local_init_op(sess)
            if ready:
                ready, msg = self._model_ready(sess)
                if ready:
                    return sess
            sess.close()
            if deadline - time.monotonic() - self._recovery_wait_secs < 0:
                raise errors.DeadlineExceededError(
                    None, None, f"Session was not ready after waiting {max_wait_secs} secs."
                )
            logging.info("Waiting for model to be ready.  %s", msg)
            time.sleep(self._recovery_wait_secs)

    def _model_ready(self, sess):
        return _ready(self._ready_op, sess, "Model not ready")

    def _try_run_local_init_op(self, sess):
        """Runs the local init op if the model is ready for it; returns (ran, why not)."""
        if self._local_init_op is None:
            return True, None
        ready, msg = _ready(self._ready_for_local_init_op, sess, "Model not ready for local init")
        if not ready:
            return False, msg
        logging.info("Running local_init_op.")
        sess.run(
            self._local_init_op,
            feed_dict=self._local_init_feed_dict,
            options=self._local_init_run_options,
        )
        logging.info("Done running local_init_op.")
        return True, None


def _ready(op, sess, msg):
    """(True, None) when `op` reports nothing uninitialized, else (False, the names)."""
    if op is None:
        return True, None
    try:
        value = sess.run(op)
    except errors.FailedPreconditionError as e:
        if "uninitialized" not in str(e):
            logging.warning("%s : error [%s]", msg, e)
            raise
        return False, str(e)
    value = None if value is None else np.asarray(value)
    if value is None or value.dtype == np.int32 or value.size == 0:
        return True, None
    names = ", ".join(v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in value.ravel())
    return False, "Variables not initialized: " + names
