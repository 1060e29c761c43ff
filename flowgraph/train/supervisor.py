"""`tf.train.Supervisor`: a session restored or initialized from `logdir`, with threads that
save checkpoints, write summaries and count steps in the background."""

from __future__ import annotations

import contextlib
import os
import time

from tensorboard.compat.proto.event_pb2 import SessionLog
from tensorboard.compat.proto.summary_pb2 import Summary

from flowgraph import logging
from flowgraph.framework import dtypes, meta_graph
from flowgraph.framework.ops import GraphKeys, get_default_graph
from flowgraph.ops import control_flow_ops, variables
from flowgraph.ops.summary_ops import merge_all
from flowgraph.summary.writer import FileWriter
from flowgraph.train import coordinator, session_manager as session_manager_mod, training_util
from flowgraph.train.saver import Saver


class Supervisor(session_manager_mod._SessionOps):
    """A training helper that checkpoints models and computes summaries (TF1's, superseded
    there by `MonitoredTrainingSession`).

    The chief restores the newest checkpoint of `logdir` (else runs `init_op`), then starts
    threads that save a checkpoint every `save_model_secs`, run the summary op and record
    the step rate every `save_summaries_secs`, and runs the queue runners. Its
    `Coordinator` stops them all.

    Example:
      >>> sv = tf.train.Supervisor(logdir="/tmp/run")
      >>> with sv.managed_session() as sess:
      ...     while not sv.should_stop():
      ...         sess.run(train_op)
    """

    # A value meaning "the default" for the arguments that also accept None ("none").
    USE_DEFAULT = 0

    def __init__(
        self,
        graph=None,
        ready_op=USE_DEFAULT,
        ready_for_local_init_op=USE_DEFAULT,
        is_chief=True,
        init_op=USE_DEFAULT,
        init_feed_dict=None,
        local_init_op=USE_DEFAULT,
        logdir=None,
        summary_op=USE_DEFAULT,
        saver=USE_DEFAULT,
        global_step=USE_DEFAULT,
        save_summaries_secs=120,
        save_model_secs=600,
        recovery_wait_secs=30,
        stop_grace_secs=120,
        checkpoint_basename="model.ckpt",
        session_manager=None,
        summary_writer=USE_DEFAULT,
        init_fn=None,
        local_init_run_options=None,
    ):
        """Creates a `Supervisor`, building the ops not given, and finalizes the graph.

        Args:
          graph: the graph to run (default: the default graph).
          ready_op: names the uninitialized variables (default: the `READY_OP`
            collection, else `report_uninitialized_variables()`); None: no check.
          ready_for_local_init_op: checked before `local_init_op` runs (default: the
            `READY_FOR_LOCAL_INIT_OP` collection).
          is_chief: whether this process initializes the model and runs the services.
          init_op: initializes the model (default: `global_variables_initializer()`).
          init_feed_dict: the feed dict for `init_op`.
          local_init_op: run in every session (default: local variables and tables).
          logdir: where checkpoints and summaries go (None: neither).
          summary_op: the summary op of the summary thread (default: `merge_all()`).
          saver: the `Saver` (default: a new one if there are variables).
          global_step: the step tensor (default: the graph's `global_step`).
          save_summaries_secs: how often to write summaries and the step rate (None: never).
          save_model_secs: how often to save a checkpoint (None: never).
          recovery_wait_secs: seconds between checks while waiting for a ready model.
          stop_grace_secs: how long threads get to stop.
          checkpoint_basename: the checkpoint file name prefix.
          session_manager: a `SessionManager` (default: one for these ops).
          summary_writer: a `FileWriter` (default: one for `logdir`).
          init_fn: called with the session after `init_op`.
          local_init_run_options: `RunOptions` for `local_init_op`.
        """
        graph = graph or get_default_graph()
        with graph.as_default():
            self._init_ready_op(ready_op, ready_for_local_init_op)
            self._init_init_op(init_op, init_feed_dict)
            self._init_local_init_op(local_init_op)
            self._init_saver(saver)
            self._init_summary_op(summary_op)
            self._init_global_step(global_step)
            self._meta_graph_def = meta_graph.export_meta_graph(
                saver_def=self._saver.saver_def if self._saver else None
            )
        self._graph = graph
        self._is_chief = is_chief
        self._coord = coordinator.Coordinator()
        self._recovery_wait_secs = recovery_wait_secs
        self._stop_grace_secs = stop_grace_secs
        self._init_fn = init_fn
        self._local_init_run_options = local_init_run_options
        self._logdir = None
        self._save_summaries_secs = None
        self._save_model_secs = None
        self._save_path = None
        self._summary_writer = None
        if is_chief:
            self._logdir = logdir
            self._save_summaries_secs = save_summaries_secs
            self._save_model_secs = save_model_secs
            if logdir:
                self._save_path = os.path.join(logdir, checkpoint_basename)
            if summary_writer is Supervisor.USE_DEFAULT:
                self._summary_writer = FileWriter(logdir) if logdir else None
            else:
                self._summary_writer = summary_writer
            self._graph_added_to_summary = False
        self._session_manager = session_manager or session_manager_mod.SessionManager(
            local_init_op=self._local_init_op,
            ready_op=self._ready_op,
            ready_for_local_init_op=self._ready_for_local_init_op,
            graph=graph,
            recovery_wait_secs=recovery_wait_secs,
            local_init_run_options=local_init_run_options,
        )
        self._verify_setup()
        graph.finalize()

    # -- the ops ----------------------------------------------------------------------

    @staticmethod
    def _first_in_collection(key):
        items = get_default_graph().get_collection(key)
        if len(items) > 1:
            logging.info("Found %d %s operations. Returning the first one.", len(items), key)
        return items[0] if items else None

    @staticmethod
    def _default(value, key, make):
        """`value`; for USE_DEFAULT the first item of collection `key`, else `make()` (added
        to the collection when not None)."""
        if value is not Supervisor.USE_DEFAULT:
            return value
        value = Supervisor._first_in_collection(key)
        if value is None:
            value = make()
            if value is not None:
                get_default_graph().add_to_collection(key, value)
        return value

    def _init_ready_op(self, ready_op, ready_for_local_init_op) -> None:
        self._ready_op = self._default(
            ready_op, GraphKeys.READY_OP, variables.report_uninitialized_variables
        )
        if ready_for_local_init_op is Supervisor.USE_DEFAULT:
            ready_for_local_init_op = self._first_in_collection(GraphKeys.READY_FOR_LOCAL_INIT_OP)
        self._ready_for_local_init_op = ready_for_local_init_op

    def _init_init_op(self, init_op, init_feed_dict) -> None:
        self._init_op = self._default(
            init_op, GraphKeys.INIT_OP, variables.global_variables_initializer
        )
        self._init_feed_dict = init_feed_dict

    def _init_local_init_op(self, local_init_op) -> None:
        def default_local_init_op():
            return control_flow_ops.group(
                variables.local_variables_initializer(),
                *get_default_graph().get_collection(GraphKeys.TABLE_INITIALIZERS),
            )

        self._local_init_op = self._default(
            local_init_op, GraphKeys.LOCAL_INIT_OP, default_local_init_op
        )

    def _init_saver(self, saver) -> None:
        self._saver = self._default(
            saver, GraphKeys.SAVERS, lambda: Saver() if variables.global_variables() else None
        )

    def _init_summary_op(self, summary_op) -> None:
        self._summary_op = self._default(summary_op, GraphKeys.SUMMARY_OP, merge_all)

    def _init_global_step(self, global_step) -> None:
        self._global_step = self._default(
            global_step, GraphKeys.GLOBAL_STEP, _default_global_step_tensor
        )

    def _verify_setup(self) -> None:
        """A non-chief (a replica) needs every variable placed, on its parameter server."""
        if self._is_chief:
            return
        for op in self._graph.get_operations():
            if op.type in ("Variable", "VariableV2") and not op.device:
                raise ValueError(
                    f"When using replicas, all Variables must have their device set: {op}"
                )

    # -- properties (init_op, ready_op, saver, ... come from `_SessionOps`) ------------

    @property
    def is_chief(self):
        return self._is_chief

    @property
    def session_manager(self):
        return self._session_manager

    @property
    def coord(self):
        """The `Coordinator` of the supervisor's threads."""
        return self._coord

    @property
    def summary_writer(self):
        return self._summary_writer

    @property
    def save_summaries_secs(self):
        return self._save_summaries_secs

    @property
    def global_step(self):
        return self._global_step

    @property
    def save_model_secs(self):
        return self._save_model_secs

    @property
    def save_path(self):
        """The checkpoint path prefix (`logdir/model.ckpt`)."""
        return self._save_path

    # -- sessions and services -----------------------------------------------------------

    def _write_graph(self) -> None:
        if self._logdir:
            meta_graph.write_graph(
                self._graph.as_graph_def(add_shapes=True), self._logdir, "graph.pbtxt"
            )
        if self._summary_writer and not self._graph_added_to_summary:
            self._summary_writer.add_graph(self._graph)
            self._summary_writer.add_meta_graph(self._meta_graph_def)
            self._graph_added_to_summary = True

    def start_standard_services(self, sess):
        """Starts the checkpoint, summary and step-counter threads (chief only).

        Returns:
          The started threads (None without a `logdir`).

        Raises:
          RuntimeError: called on a non-chief supervisor.
        """
        if not self._is_chief:
            raise RuntimeError(
                "Only chief supervisor can start standard services. Because only chief "
                "supervisors can write events."
            )
        if not self._logdir:
            logging.warning("Standard services need a 'logdir' passed to the SessionManager")
            return None
        if self._global_step is not None and self._summary_writer:
            step = training_util.global_step(sess, self._global_step)
            self._summary_writer.add_session_log(SessionLog(status=SessionLog.START), step)
        threads = []
        if self._save_summaries_secs and self._summary_writer:
            if self._summary_op is not None:
                threads.append(SVSummaryThread(self, sess))
            if self._global_step is not None:
                threads.append(SVStepCounterThread(self, sess))
        if self.saver and self._save_model_secs:
            threads.append(SVTimerCheckpointThread(self, sess))
        for t in threads:
            t.start()
        return threads

    def prepare_or_wait_for_session(
        self,
        master="",
        config=None,
        wait_for_checkpoint=False,
        max_wait_secs=7200,
        start_standard_services=True,
    ):
        """Creates a session: the chief restores `logdir`'s newest checkpoint or
        initializes the model and starts the services; a non-chief waits for a ready
        model. Queue runners start too when `start_standard_services`.

        Returns:
          A `Session`.
        """
        self._coord.clear_stop()
        if self._summary_writer:
            self._summary_writer.reopen()
        if self._is_chief:
            sess = self._session_manager.prepare_session(
                master,
                init_op=self.init_op,
                saver=self.saver,
                checkpoint_dir=self._logdir,
                wait_for_checkpoint=wait_for_checkpoint,
                max_wait_secs=max_wait_secs,
                config=config,
                init_feed_dict=self._init_feed_dict,
                init_fn=self._init_fn,
            )
            self._write_graph()
            if start_standard_services:
                logging.info("Starting standard services.")
                self.start_standard_services(sess)
        else:
            sess = self._session_manager.wait_for_session(
                master, config=config, max_wait_secs=max_wait_secs
            )
        if start_standard_services:
            logging.info("Starting queue runners.")
            self.start_queue_runners(sess)
        return sess

    def start_queue_runners(self, sess, queue_runners=None):
        """Starts threads for `queue_runners` (default: the graph's), under the coordinator.

        Returns:
          The started threads.
        """
        if queue_runners is None:
            queue_runners = self._graph.get_collection(GraphKeys.QUEUE_RUNNERS)
        return [
            t
            for qr in queue_runners
            for t in qr.create_threads(sess, coord=self._coord, daemon=True, start=True)
        ]

    def loop(self, timer_interval_secs, target, args=None, kwargs=None):
        """Starts a thread calling `target(*args, **kwargs)` every `timer_interval_secs`
        until the supervisor stops.

        Returns:
          The started `LooperThread`.
        """
        return coordinator.LooperThread.loop(
            self._coord, timer_interval_secs, target, args=args, kwargs=kwargs
        )

    def stop(self, threads=None, close_summary_writer=True, ignore_live_threads=False):
        """Stops the services and the coordinator's threads and waits for them.

        Re-raises an exception a thread reported to the coordinator.

        Args:
          threads: more threads to join.
          close_summary_writer: write a STOP event and close the summary writer.
          ignore_live_threads: do not raise for threads still running after the grace
            period.
        """
        self._coord.request_stop()
        try:
            self._coord.join(
                threads,
                stop_grace_period_secs=self._stop_grace_secs,
                ignore_live_threads=ignore_live_threads,
            )
        finally:
            if close_summary_writer and self._summary_writer:
                self._summary_writer.add_session_log(SessionLog(status=SessionLog.STOP))
                self._summary_writer.close()
                self._graph_added_to_summary = False

    def request_stop(self, ex=None) -> None:
        """Asks the threads to stop; `ex` (an exception) is re-raised by `stop()`."""
        self._coord.request_stop(ex=ex)

    def should_stop(self) -> bool:
        """Whether a stop was requested."""
        return self._coord.should_stop()

    def stop_on_exception(self):
        """A context that requests a stop, with the exception, when its body raises."""
        return self._coord.stop_on_exception()

    def wait_for_stop(self) -> None:
        """Blocks until a stop is requested."""
        self._coord.wait_for_stop()

    def summary_computed(self, sess, summary, global_step=None) -> None:
        """Writes a summary computed by the caller, at `global_step` (default: the current
        global step).

        Raises:
          RuntimeError: the supervisor has no summary writer.
        """
        if not self._summary_writer:
            raise RuntimeError("Writing a summary requires a summary writer.")
        if global_step is None and self.global_step is not None:
            global_step = training_util.global_step(sess, self.global_step)
        self._summary_writer.add_summary(summary, global_step)

    @contextlib.contextmanager
    def managed_session(
        self, master="", config=None, start_standard_services=True, close_summary_writer=True
    ):
        """A context manager yielding a session whose services stop and which closes when
        the block ends.

        An exception in the block stops the threads, closes the session and is re-raised,
        except `OutOfRangeError`, the end of the input, which ends the block normally.

        Example:
          >>> with sv.managed_session() as sess:
          ...     while not sv.should_stop():
          ...         sess.run(train_op)
        """
        sess = None
        try:
            sess = self.prepare_or_wait_for_session(
                master=master, config=config, start_standard_services=start_standard_services
            )
            yield sess
        except Exception as e:  # noqa: BLE001  (handed to the coordinator; stop() re-raises)
            self.request_stop(e)
        finally:
            try:
                self.stop(close_summary_writer=close_summary_writer)
            finally:
                if sess is not None:
                    sess.close()


def _default_global_step_tensor():
    """The graph's `global_step:0` if it is an integer tensor, else None."""
    try:
        step = get_default_graph().get_tensor_by_name("global_step:0")
    except KeyError:
        return None
    if step.dtype.base_dtype in (dtypes.int32, dtypes.int64):
        return step
    logging.warning("Found 'global_step' is not an int type: %s", step.dtype)
    return None


class _SVLooperThread(coordinator.LooperThread):
    """A thread of supervisor `sv` that runs its loop on `sess` every `timer_interval_secs`,
    stopped by the supervisor's coordinator."""

    def __init__(self, sv, sess, timer_interval_secs):
        super().__init__(sv.coord, timer_interval_secs)
        self._sv = sv
        self._sess = sess


class SVSummaryThread(_SVLooperThread):
    """Runs the supervisor's summary op every `save_summaries_secs` and writes it."""

    def __init__(self, sv, sess):
        super().__init__(sv, sess, sv.save_summaries_secs)

    def run_loop(self):
        if self._sv.global_step is not None:
            summary, step = self._sess.run([self._sv.summary_op, self._sv.global_step])
        else:
            summary, step = self._sess.run(self._sv.summary_op), None
        if self._sv.summary_writer:
            logging.info("Recording summary at step %s.", step)
            self._sv.summary_writer.add_summary(summary, step)


class SVStepCounterThread(_SVLooperThread):
    """Writes the training speed, `<global step>/sec`, every `save_summaries_secs`."""

    def __init__(self, sv, sess, step_counter=None):
        super().__init__(sv, sess, sv.save_summaries_secs)
        self._step_counter = sv.global_step if step_counter is None else step_counter
        self._summary_tag = f"{self._step_counter.op.name}/sec"
        self._last_time = 0.0
        self._last_step = 0

    def start_loop(self):
        self._last_time = time.time()
        self._last_step = training_util.global_step(self._sess, self._step_counter)

    def run_loop(self):
        step = training_util.global_step(self._sess, self._step_counter)
        added_steps, self._last_step = step - self._last_step, step
        now = time.time()
        elapsed, self._last_time = now - self._last_time, now
        steps_per_sec = added_steps / elapsed if elapsed > 0 else float("inf")
        if self._sv.summary_writer:
            value = Summary.Value(tag=self._summary_tag, simple_value=steps_per_sec)
            self._sv.summary_writer.add_summary(Summary(value=[value]), step)
        logging.log_first_n(logging.INFO, "%s: %g", 10, self._summary_tag, steps_per_sec)


class SVTimerCheckpointThread(_SVLooperThread):
    """Saves a checkpoint every `save_model_secs`."""

    def __init__(self, sv, sess):
        super().__init__(sv, sess, sv.save_model_secs)

    def run_loop(self):
        logging.info("Saving checkpoint to path %s", self._sv.save_path)
        self._sv.saver.save(self._sess, self._sv.save_path, global_step=self._sv.global_step)
        if self._sv.summary_writer and self._sv.global_step is not None:
            step = training_util.global_step(self._sess, self._sv.global_step)
            self._sv.summary_writer.add_session_log(
                SessionLog(status=SessionLog.CHECKPOINT, checkpoint_path=self._sv.save_path), step
            )


# TF1's CamelCase aliases.
Supervisor.PrepareSession = Supervisor.prepare_or_wait_for_session
Supervisor.StartQueueRunners = Supervisor.start_queue_runners
Supervisor.StartStandardServices = Supervisor.start_standard_services
Supervisor.Stop = Supervisor.stop
Supervisor.RequestStop = Supervisor.request_stop
Supervisor.Loop = Supervisor.loop
Supervisor.ShouldStop = Supervisor.should_stop
Supervisor.StopOnException = Supervisor.stop_on_exception
Supervisor.WaitForStop = Supervisor.wait_for_stop
Supervisor.SummaryComputed = Supervisor.summary_computed
