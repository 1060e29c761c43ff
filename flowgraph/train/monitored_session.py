"""`tf.train.MonitoredSession`: a session that initializes or restores itself, runs hooks,
coordinates threads and recovers from a lost session (`MonitoredTrainingSession`)."""

from __future__ import annotations

import inspect
import os

from flowgraph import logging
from flowgraph.client.config import RunMetadata, RunOptions
from flowgraph.distribute import allreduce, checkpoint as job_checkpoint
from flowgraph.distribute.checkpoint_hook import JobCheckpointSaverHook
from flowgraph.framework.ops import GraphKeys, get_default_graph
from flowgraph.ops import control_flow_ops, variables
from flowgraph.ops.summary_ops import merge_all
from flowgraph.train import (
    basic_session_run_hooks,
    coordinator,
    queue_runner,
    session_manager as sm_lib,
)
from flowgraph.train.saver import Saver
from flowgraph.train.session_run_hook import SessionRunArgs, SessionRunContext, SessionRunValues
from kernels import errors

# A run failing with one of these lost its session (a preempted worker or parameter
# server): MonitoredSession recreates the session from the last checkpoint.
_PREEMPTION_ERRORS = (errors.AbortedError, errors.UnavailableError)

USE_DEFAULT = object()


class Scaffold(sm_lib._SessionOps):
    """The pieces a training session needs beside the model: init, ready and local-init ops,
    the summary op and the saver. `finalize()` builds the ones not given (TF's defaults,
    or the graph's collections) and finalizes the graph.

    Example:
      >>> scaffold = tf.train.Scaffold(saver=tf.train.Saver(max_to_keep=2))
      >>> with tf.train.MonitoredTrainingSession(scaffold=scaffold, ...) as sess:
      ...     ...
    """

    def __init__(
        self,
        init_op=None,
        init_feed_dict=None,
        init_fn=None,
        ready_op=None,
        ready_for_local_init_op=None,
        local_init_op=None,
        summary_op=None,
        saver=None,
        copy_from_scaffold=None,
        local_init_feed_dict=None,
    ):
        """Creates a scaffold.

        Args:
          init_op: initializes the model when no checkpoint restores it.
          init_feed_dict: the feed dict for `init_op`.
          init_fn: called as `init_fn(scaffold, session)` after `init_op`.
          ready_op: a 1-D string tensor naming what is uninitialized (empty: ready).
          ready_for_local_init_op: the same, checked before `local_init_op` runs.
          local_init_op: initializes local variables and tables in every session.
          summary_op: a serialized `Summary` tensor for the summary hooks.
          saver: the `Saver` for checkpoints.
          copy_from_scaffold: a `Scaffold` whose fields fill the ones not given here.
          local_init_feed_dict: the feed dict for `local_init_op`.

        Raises:
          TypeError: `copy_from_scaffold` is not a `Scaffold`.
        """
        if copy_from_scaffold is not None:
            if not isinstance(copy_from_scaffold, Scaffold):
                raise TypeError("copy_from_scaffold is not a Scaffold instance.")
            init_op = init_op if init_op is not None else copy_from_scaffold.init_op
            init_feed_dict = init_feed_dict or copy_from_scaffold.init_feed_dict
            init_fn = init_fn or copy_from_scaffold._user_init_fn
            ready_op = ready_op if ready_op is not None else copy_from_scaffold.ready_op
            if ready_for_local_init_op is None:
                ready_for_local_init_op = copy_from_scaffold.ready_for_local_init_op
            if local_init_op is None:
                local_init_op = copy_from_scaffold.local_init_op
            local_init_feed_dict = local_init_feed_dict or copy_from_scaffold.local_init_feed_dict
            summary_op = summary_op if summary_op is not None else copy_from_scaffold.summary_op
            saver = saver if saver is not None else copy_from_scaffold.saver
        self._user_init_fn = init_fn
        self._init_fn = (lambda sess: init_fn(self, sess)) if init_fn else None
        self._init_op = init_op
        self._init_feed_dict = init_feed_dict
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._local_init_op = local_init_op
        self._local_init_feed_dict = local_init_feed_dict
        self._summary_op = summary_op
        self._saver = saver

    def finalize(self) -> "Scaffold":
        """Creates the ops not given (from the collections, else TF's defaults) and
        finalizes the default graph."""
        if self._init_op is None:
            self._init_op = Scaffold.get_or_default("init_op", GraphKeys.INIT_OP, _default_init_op)
        if self._ready_op is None:
            self._ready_op = Scaffold.get_or_default(
                "ready_op", GraphKeys.READY_OP, variables.report_uninitialized_variables
            )
        if self._ready_for_local_init_op is None:
            self._ready_for_local_init_op = Scaffold.get_or_default(
                "ready_for_local_init_op",
                GraphKeys.READY_FOR_LOCAL_INIT_OP,
                lambda: variables.report_uninitialized_variables(variables.global_variables()),
            )
        if self._local_init_op is None:
            self._local_init_op = Scaffold.get_or_default(
                "local_init_op", GraphKeys.LOCAL_INIT_OP, Scaffold.default_local_init_op
            )
        if self._summary_op is None:
            self._summary_op = Scaffold.get_or_default(
                "summary_op", GraphKeys.SUMMARY_OP, merge_all
            )
        if self._saver is None:
            self._saver = _get_saver_or_default()
        self._saver.build()
        get_default_graph().finalize()
        logging.info("Graph was finalized.")
        return self

    @property
    def init_fn(self):
        return self._init_fn

    @property
    def local_init_op(self):
        return self._local_init_op

    @property
    def local_init_feed_dict(self):
        return self._local_init_feed_dict

    @staticmethod
    def get_or_default(arg_name, collection_key, default_constructor):
        """The one item of collection `collection_key`, else `default_constructor()` (added
        to the collection).

        Raises:
          RuntimeError: the collection has more than one item.
        """
        elements = get_default_graph().get_collection(collection_key)
        if len(elements) > 1:
            raise RuntimeError(
                f'More than one item in the collection "{collection_key}". Please indicate '
                "which one to use by passing it to the tf.Scaffold constructor as:  "
                f"tf.Scaffold({arg_name}=item to use)"
            )
        if elements:
            return elements[0]
        op = default_constructor()
        if op is not None:
            get_default_graph().add_to_collection(collection_key, op)
        return op

    @staticmethod
    def default_local_init_op():
        """One op initializing the local variables and the lookup tables."""
        return control_flow_ops.group(
            variables.local_variables_initializer(),
            *get_default_graph().get_collection(GraphKeys.TABLE_INITIALIZERS),
        )


def _default_init_op():
    return control_flow_ops.group(
        variables.global_variables_initializer(),
        *get_default_graph().get_collection("saved_model_initializers"),
    )


def _get_saver_or_default():
    """The graph's one `SAVERS` entry, else a new `Saver` (added to the collection)."""
    savers = get_default_graph().get_collection(GraphKeys.SAVERS)
    if len(savers) > 1:
        raise RuntimeError(
            f"More than one item in collection {GraphKeys.SAVERS}. Please indicate which one "
            "to use by passing it to the constructor."
        )
    if savers:
        return savers[0]
    saver = Saver(sharded=True, allow_empty=True)
    get_default_graph().add_to_collection(GraphKeys.SAVERS, saver)
    return saver


class SessionCreator:
    """A factory of sessions (`create_session()`) for `MonitoredSession`."""

    def create_session(self):
        raise NotImplementedError(f"create_session is not implemented for {self}.")


class _ScaffoldSessionCreator(SessionCreator):
    """A creator whose sessions a `SessionManager` prepares with the scaffold's ops (the
    manager is made on first use, once the scaffold is finalized)."""

    def __init__(self, scaffold, master, config):
        self._scaffold = scaffold or Scaffold()
        self._session_manager = None
        self._master = master
        self._config = config

    def _get_session_manager(self):
        if self._session_manager is None:
            self._session_manager = sm_lib.SessionManager(
                local_init_op=self._scaffold.local_init_op,
                local_init_feed_dict=self._scaffold.local_init_feed_dict,
                ready_op=self._scaffold.ready_op,
                ready_for_local_init_op=self._scaffold.ready_for_local_init_op,
                graph=get_default_graph(),
                recovery_wait_secs=_recovery_wait_secs(),
            )
        return self._session_manager


def _recovery_wait_secs() -> float:
    """TF's 30 s between a worker's readiness checks; `FLOWGRAPH_RECOVERY_WAIT_SECS` (set
    by the local-cluster launcher) shortens it, as TF's API does not let a caller."""
    return float(os.environ.get("FLOWGRAPH_RECOVERY_WAIT_SECS", 30))


class ChiefSessionCreator(_ScaffoldSessionCreator):
    """Creates a session restored from the newest checkpoint of `checkpoint_dir`, or
    initialized by the scaffold's ops when there is none."""

    def __init__(
        self,
        scaffold=None,
        master="",
        config=None,
        checkpoint_dir=None,
        checkpoint_filename_with_path=None,
    ):
        super().__init__(scaffold, master, config)
        self._checkpoint_dir = checkpoint_dir
        self._checkpoint_filename_with_path = checkpoint_filename_with_path

    def create_session(self):
        self._scaffold.finalize()
        return self._get_session_manager().prepare_session(
            self._master,
            saver=self._scaffold.saver,
            checkpoint_dir=self._checkpoint_dir,
            checkpoint_filename_with_path=self._checkpoint_filename_with_path,
            config=self._config,
            init_op=self._scaffold.init_op,
            init_feed_dict=self._scaffold.init_feed_dict,
            init_fn=self._scaffold.init_fn,
        )


class WorkerSessionCreator(_ScaffoldSessionCreator):
    """Creates a session once a chief has made the model ready (waits up to
    `max_wait_secs`)."""

    def __init__(self, scaffold=None, master="", config=None, max_wait_secs=30 * 60):
        super().__init__(scaffold, master, config)
        self._max_wait_secs = max_wait_secs

    def create_session(self):
        self._scaffold.finalize()
        return self._get_session_manager().wait_for_session(
            self._master, config=self._config, max_wait_secs=self._max_wait_secs
        )


class StepContext:
    """What `run_step_fn`'s `step_fn` gets: the raw session (runs without hooks),
    `run_with_hooks`, and `request_stop` (which ends the step by raising StopIteration)."""

    def __init__(self, session, run_with_hooks_fn):
        self._session = session
        self._run_with_hooks_fn = run_with_hooks_fn

    @property
    def session(self):
        return self._session

    def run_with_hooks(self, *args, **kwargs):
        """Same as `MonitoredSession.run`."""
        return self._run_with_hooks_fn(*args, **kwargs)

    def request_stop(self):
        """Ends the loop: raises StopIteration, which the session's context manager takes
        as a normal end."""
        raise StopIteration("step_fn has requested the iterations to stop.")


class _MonitoredSession:
    """See `MonitoredSession` and `SingularMonitoredSession`."""

    StepContext = StepContext

    def __init__(self, session_creator, hooks, should_recover, stop_grace_period_secs=120):
        self._graph_was_finalized = get_default_graph().finalized
        self._hooks = list(hooks or [])
        for hook in self._hooks:
            hook.begin()
        self._coordinated_creator = _CoordinatedSessionCreator(
            session_creator or ChiefSessionCreator(), self._hooks, stop_grace_period_secs
        )
        if should_recover:
            self._sess = _RecoverableSession(self._coordinated_creator)
        else:
            self._sess = self._coordinated_creator.create_session()

    @property
    def graph(self):
        """The graph the session runs (None once closed)."""
        sess = self._tf_sess()
        return None if sess is None else sess.graph

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Runs `fetches` with the hooks, as `Session.run`."""
        return self._sess.run(
            fetches, feed_dict=feed_dict, options=options, run_metadata=run_metadata
        )

    def run_step_fn(self, step_fn):
        """Calls `step_fn(step_context)`, a step that may run the raw session several times.

        Returns:
          What `step_fn` returns.

        Raises:
          StopIteration: `step_fn` called `step_context.request_stop()`.
          ValueError: `step_fn` does not take exactly one argument, `step_context`.
        """
        params = tuple(inspect.signature(step_fn).parameters)
        if params not in (("step_context",), ("self", "step_context")):
            raise ValueError(
                "`step_fn` may either have one `step_context` argument, or `self` and "
                f"`step_context` arguments if it's an instance method. Got {params} instead."
            )
        return self._sess.run_step_fn(step_fn, self._tf_sess(), run_with_hooks=None)

    def should_stop(self) -> bool:
        """Whether the loop should end: a hook or the coordinator asked, or it is closed."""
        return self._sess is None or self._sess.should_stop()

    def close(self) -> None:
        """Calls the hooks' `end`, stops the threads and closes the session."""
        self._close_internal()

    def __enter__(self):
        return self

    def __exit__(self, exception_type, exception_value, traceback):
        if exception_type in (errors.OutOfRangeError, StopIteration):
            exception_type = None  # the end of the input, or a step_fn stop: a normal end
        self._close_internal(exception_type)
        return exception_type is None

    def _close_internal(self, exception_type=None) -> None:
        try:
            if not exception_type:
                for hook in self._hooks:
                    hook.end(self._coordinated_creator.tf_sess)
        finally:
            try:
                if self._sess is None:
                    raise RuntimeError("Session is already closed.")
                self._sess.close()
            finally:
                self._sess = None
                self._coordinated_creator.tf_sess = None
                self._coordinated_creator.coord = None
                if not self._graph_was_finalized:
                    get_default_graph()._unsafe_unfinalize()

    def _is_closed(self) -> bool:
        return self._coordinated_creator.tf_sess is None

    def _tf_sess(self):
        return self._coordinated_creator.tf_sess


class MonitoredSession(_MonitoredSession):
    """A session that initializes or restores the model, runs hooks around each `run`,
    runs the queue runners, and recreates itself from the last checkpoint when a run
    raises `AbortedError` or `UnavailableError`.

    Leaving its `with` block on `OutOfRangeError` (the input ran out) is a normal end.

    Example:
      >>> hooks = [tf.train.StopAtStepHook(last_step=1000)]
      >>> creator = tf.train.ChiefSessionCreator(checkpoint_dir="/tmp/run")
      >>> with tf.train.MonitoredSession(session_creator=creator, hooks=hooks) as sess:
      ...     while not sess.should_stop():
      ...         sess.run(train_op)
    """

    def __init__(self, session_creator=None, hooks=None, stop_grace_period_secs=120):
        super().__init__(
            session_creator,
            hooks,
            should_recover=True,
            stop_grace_period_secs=stop_grace_period_secs,
        )


class SingularMonitoredSession(_MonitoredSession):
    """A `MonitoredSession` for a single process that does not recover from errors and
    gives access to the raw session (`raw_session()`).

    Example:
      >>> with tf.train.SingularMonitoredSession(hooks=hooks) as sess:
      ...     while not sess.should_stop():
      ...         sess.run(train_op)
    """

    def __init__(
        self,
        hooks=None,
        scaffold=None,
        master="",
        config=None,
        checkpoint_dir=None,
        stop_grace_period_secs=120,
        checkpoint_filename_with_path=None,
    ):
        creator = ChiefSessionCreator(
            scaffold=scaffold,
            master=master,
            config=config,
            checkpoint_dir=checkpoint_dir,
            checkpoint_filename_with_path=checkpoint_filename_with_path,
        )
        super().__init__(
            creator, hooks, should_recover=False, stop_grace_period_secs=stop_grace_period_secs
        )

    def raw_session(self):
        """The underlying `tf.Session`."""
        return self._tf_sess()


def MonitoredTrainingSession(  # noqa: N802  (TF's name: a function that reads as a class)
    master="",
    is_chief=True,
    checkpoint_dir=None,
    scaffold=None,
    hooks=None,
    chief_only_hooks=None,
    save_checkpoint_secs=USE_DEFAULT,
    save_summaries_steps=USE_DEFAULT,
    save_summaries_secs=USE_DEFAULT,
    config=None,
    stop_grace_period_secs=120,
    log_step_count_steps=100,
    max_wait_secs=7200,
    save_checkpoint_steps=USE_DEFAULT,
    summary_dir=None,
    save_graph_def=True,
):
    """Creates a `MonitoredSession` for training.

    A chief restores the newest checkpoint of `checkpoint_dir` (or initializes the model)
    and saves checkpoints, summaries and the step rate there; a worker waits for the chief.

    Example:
      >>> with tf.train.MonitoredTrainingSession(
      ...         checkpoint_dir="/tmp/run", save_checkpoint_steps=100,
      ...         hooks=[tf.train.StopAtStepHook(last_step=1000)]) as sess:
      ...     while not sess.should_stop():
      ...         sess.run(train_op)

    Args:
      master: the session target.
      is_chief: initialize/restore the model and save checkpoints and summaries.
      checkpoint_dir: where to restore from and save checkpoints.
      scaffold: a `Scaffold` (default: a new one).
      hooks: `SessionRunHook`s.
      chief_only_hooks: hooks used only when `is_chief`.
      save_checkpoint_secs: save a checkpoint every this many seconds (default 600 when
        neither this nor `save_checkpoint_steps` is given; None for neither).
      save_summaries_steps: save summaries every this many steps (default 100).
      save_summaries_secs: save summaries every this many seconds.
      config: the session's `ConfigProto`.
      stop_grace_period_secs: how long threads get to stop after `close()`.
      log_step_count_steps: record `global_step/sec` every this many steps.
      max_wait_secs: how long a worker waits for the chief.
      save_checkpoint_steps: save a checkpoint every this many steps.
      summary_dir: where to write summaries (default: `checkpoint_dir`).
      save_graph_def: write `graph.pbtxt` and each checkpoint's MetaGraph.

    Returns:
      A `MonitoredSession`.
    """
    save_summaries_steps, save_summaries_secs = _defaults(
        save_summaries_steps, save_summaries_secs, (100, None)
    )
    save_checkpoint_steps, save_checkpoint_secs = _defaults(
        save_checkpoint_steps, save_checkpoint_secs, (None, 600)
    )
    scaffold = scaffold or Scaffold()
    saving = checkpoint_dir and (
        _positive(save_checkpoint_secs) or _positive(save_checkpoint_steps)
    )
    # An all-reduce job saves in every process together: one checkpoint shard each.
    job_saver = saving and job_checkpoint.job_shard() is not None
    if not is_chief:
        if allreduce.allreduce_enabled():
            # An all-reduce worker has no chief's session to wait for: it restores the
            # last checkpoint itself (restart-all recovery) and saves its shards.
            creator = ChiefSessionCreator(
                scaffold=scaffold, checkpoint_dir=checkpoint_dir, master=master, config=config
            )
            if job_saver:
                saver_hook = JobCheckpointSaverHook(
                    checkpoint_dir,
                    save_secs=save_checkpoint_secs,
                    save_steps=save_checkpoint_steps,
                    scaffold=scaffold,
                    is_chief=False,
                )
                hooks = [saver_hook, *(hooks or [])]
        else:
            creator = WorkerSessionCreator(
                scaffold=scaffold, master=master, config=config, max_wait_secs=max_wait_secs
            )
        return MonitoredSession(creator, hooks or [], stop_grace_period_secs)
    all_hooks = list(chief_only_hooks or [])
    creator = ChiefSessionCreator(
        scaffold=scaffold, checkpoint_dir=checkpoint_dir, master=master, config=config
    )
    summary_dir = summary_dir or checkpoint_dir
    if summary_dir:
        if log_step_count_steps and log_step_count_steps > 0:
            all_hooks.append(
                basic_session_run_hooks.StepCounterHook(
                    output_dir=summary_dir, every_n_steps=log_step_count_steps
                )
            )
        if _positive(save_summaries_steps) or _positive(save_summaries_secs):
            all_hooks.append(
                basic_session_run_hooks.SummarySaverHook(
                    scaffold=scaffold,
                    save_steps=save_summaries_steps,
                    save_secs=save_summaries_secs,
                    output_dir=summary_dir,
                )
            )
    if saving:
        saver_hook = (
            JobCheckpointSaverHook if job_saver else basic_session_run_hooks.CheckpointSaverHook
        )
        all_hooks.append(
            saver_hook(
                checkpoint_dir,
                save_steps=save_checkpoint_steps,
                save_secs=save_checkpoint_secs,
                scaffold=scaffold,
                save_graph_def=save_graph_def,
            )
        )
    all_hooks.extend(hooks or [])
    return MonitoredSession(creator, all_hooks, stop_grace_period_secs)


def _defaults(steps, secs, default):
    """TF's rule: neither given → `default` (steps, secs); one given → the other None.
    Seconds win over steps when both are set (the timer refuses both)."""
    if steps is USE_DEFAULT and secs is USE_DEFAULT:
        return default
    steps = None if steps is USE_DEFAULT else steps
    secs = None if secs is USE_DEFAULT else secs
    return (None, secs) if _positive(secs) else (steps, secs)


def _positive(value) -> bool:
    return bool(value) and value > 0


class _CoordinatedSessionCreator(SessionCreator):
    """Creates the raw session, starts its queue runners under a new coordinator, calls
    the hooks' `after_create_session`, and wraps it as coordinated and hooked."""

    def __init__(self, session_creator, hooks, stop_grace_period_secs):
        self._session_creator = session_creator
        self._hooks = hooks
        self._stop_grace_period_secs = stop_grace_period_secs
        self.coord = None
        self.tf_sess = None

    def create_session(self):
        self.tf_sess = self._session_creator.create_session()
        self.coord = coordinator.Coordinator(clean_stop_exception_types=[])
        if get_default_graph().get_collection(GraphKeys.QUEUE_RUNNERS):
            queue_runner.start_queue_runners(sess=self.tf_sess, coord=self.coord)
        for hook in self._hooks:
            hook.after_create_session(self.tf_sess, self.coord)
        return _CoordinatedSession(
            _HookedSession(self.tf_sess, self._hooks), self.coord, self._stop_grace_period_secs
        )


class _WrappedSession:
    """A session wrapper: delegates `run`, adds `should_stop`, and a `close` that never
    raises preemption errors."""

    def __init__(self, sess):
        self._sess = sess
        self._wrapped_is_stoppable = isinstance(sess, _WrappedSession)

    @property
    def graph(self):
        return self._sess.graph

    @property
    def sess_str(self):
        return self._sess.sess_str

    def should_stop(self) -> bool:
        """True if this session (or the one it wraps) should not be used anymore."""
        if self._check_stop():
            return True
        if self._sess:
            return self._wrapped_is_stoppable and self._sess.should_stop()
        return True

    def _check_stop(self) -> bool:
        return False

    def close(self) -> None:
        if self._sess:
            try:
                self._sess.close()
            except _PREEMPTION_ERRORS as e:
                logging.error("An error occurred when attempting to close the session: %s", e)
            finally:
                self._sess = None

    def run(self, *args, **kwargs):
        return self._sess.run(*args, **kwargs)

    def run_step_fn(self, step_fn, raw_session, run_with_hooks):
        return step_fn(StepContext(raw_session, run_with_hooks or self.run))


class _RecoverableSession(_WrappedSession):
    """Recreates the session (from the last checkpoint) when a run raises `AbortedError`
    or `UnavailableError`, then retries the run."""

    def __init__(self, sess_creator):
        self._sess_creator = sess_creator
        super().__init__(self._create_session())

    def _create_session(self):
        while True:
            try:
                return self._sess_creator.create_session()
            except _PREEMPTION_ERRORS as e:
                logging.info(
                    "An error was raised while a session was being created; a new "
                    "session will be created. Error: %s",
                    e,
                )

    def _check_stop(self) -> bool:
        try:
            return self._sess._check_stop() if self._sess else True
        except _PREEMPTION_ERRORS as e:
            logging.info(
                "An error was raised while checking whether the session is complete; "
                "a new session will be created. Error: %s",
                e,
            )
            self.close()
            self._sess = self._create_session()
            return False
        except Exception:  # noqa: BLE001  (as TF: a failing check means stop; run re-raises)
            return True

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        return self._recovering(
            lambda: self._sess.run(
                fetches, feed_dict=feed_dict, options=options, run_metadata=run_metadata
            )
        )

    def run_step_fn(self, step_fn, raw_session, run_with_hooks):
        return self._recovering(
            lambda: self._sess.run_step_fn(step_fn, raw_session, self._sess.run)
        )

    def _recovering(self, call):
        while True:
            try:
                if not self._sess:
                    self._sess = self._create_session()
                return call()
            except _PREEMPTION_ERRORS as e:
                logging.info(
                    "An error was raised (a preemption?); the session will be closed "
                    "and recreated from the last checkpoint. Error: %s",
                    e,
                )
                self.close()
                self._sess = None


class _CoordinatedSession(_WrappedSession):
    """Runs with a `Coordinator`: stops when it does, re-raises the exception a thread
    reported to it, and joins the threads on `close()`."""

    def __init__(self, sess, coord, stop_grace_period_secs=120):
        super().__init__(sess)
        self._coord = coord
        self._stop_grace_period_secs = stop_grace_period_secs

    def _check_stop(self) -> bool:
        self._coord.raise_requested_exception()
        return self._coord.should_stop()

    def close(self) -> None:
        self._coord.request_stop()
        try:
            self._coord.join(
                stop_grace_period_secs=self._stop_grace_period_secs, ignore_live_threads=True
            )
        finally:
            try:
                super().close()
            except Exception:  # noqa: BLE001  (closing must not hide the join's error)
                pass

    def run(self, *args, **kwargs):
        try:
            return self._sess.run(*args, **kwargs)
        except _PREEMPTION_ERRORS:
            raise
        except Exception as original:
            # A thread's error (e.g. a queue runner's) often causes this one: raise that.
            try:
                self._coord.raise_requested_exception()
            except _PREEMPTION_ERRORS:
                raise
            except Exception:  # noqa: BLE001
                raise original from None
            raise


class _HookedSession(_WrappedSession):
    """Calls the hooks around each run, adding their fetches, feeds and options."""

    def __init__(self, sess, hooks):
        super().__init__(sess)
        self._hooks = hooks
        self._should_stop = False

    def _check_stop(self) -> bool:
        return self._should_stop

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        if self.should_stop():
            raise RuntimeError("Run called even after should_stop requested.")
        actual_fetches = {"caller": fetches}
        run_context = SessionRunContext(
            original_args=SessionRunArgs(fetches, feed_dict), session=self._sess
        )
        options = options or RunOptions()
        feed_dict = self._call_hook_before_run(run_context, actual_fetches, feed_dict, options)
        run_metadata = run_metadata or RunMetadata()
        outputs = self._sess.run(
            actual_fetches, feed_dict=feed_dict, options=options, run_metadata=run_metadata
        )
        for hook in self._hooks:
            hook.after_run(run_context, SessionRunValues(outputs.get(hook), options, run_metadata))
        self._should_stop = self._should_stop or run_context.stop_requested
        return outputs["caller"]

    def _call_hook_before_run(self, run_context, fetch_dict, user_feed_dict, options):
        """Adds the hooks' fetches to `fetch_dict` and options to `options`; returns the
        feeds, the user's and the hooks' (which must not overlap)."""
        hook_feeds = {}
        for hook in self._hooks:
            request = hook.before_run(run_context)
            if request is None:
                continue
            if request.fetches is not None:
                fetch_dict[hook] = request.fetches
            if request.feed_dict:
                _raise_if_feeds_intersect(
                    hook_feeds, request.feed_dict, "Same tensor is fed by two hooks."
                )
                hook_feeds.update(request.feed_dict)
            if request.options:
                _merge_run_options(options, request.options)
        if not hook_feeds:
            return user_feed_dict
        if not user_feed_dict:
            return hook_feeds
        _raise_if_feeds_intersect(
            user_feed_dict, hook_feeds, "Same tensor is fed by a SessionRunHook and user."
        )
        hook_feeds.update(user_feed_dict)
        return hook_feeds


def _raise_if_feeds_intersect(feeds1, feeds2, message) -> None:
    intersection = set(feeds1) & set(feeds2)
    if intersection:
        raise RuntimeError(f"{message} Conflict(s): {list(intersection)}")


def _merge_run_options(options, incoming) -> None:
    """Merges `incoming` into `options`: the larger number, the OR of flags."""
    options.trace_level = max(options.trace_level, incoming.trace_level)
    options.timeout_in_ms = max(options.timeout_in_ms, incoming.timeout_in_ms)
    options.inter_op_thread_pool = max(options.inter_op_thread_pool, incoming.inter_op_thread_pool)
    options.output_partition_graphs = (
        options.output_partition_graphs or incoming.output_partition_graphs
    )
    options.debug_options.debug_tensor_watch_opts.extend(
        incoming.debug_options.debug_tensor_watch_opts
    )
    options.debug_options.reset_disk_byte_usage = (
        options.debug_options.reset_disk_byte_usage or incoming.debug_options.reset_disk_byte_usage
    )
    options.report_tensor_allocations_upon_oom = (
        options.report_tensor_allocations_upon_oom or incoming.report_tensor_allocations_upon_oom
    )
