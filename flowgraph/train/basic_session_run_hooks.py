"""The standard `SessionRunHook`s: stopping, checkpoints, summaries, logging, NaN checks,
step rate, final ops, feeds and profiles."""

from __future__ import annotations

import os
import time

import numpy as np
from tensorboard.compat.proto.event_pb2 import SessionLog
from tensorboard.compat.proto.summary_pb2 import Summary

from flowgraph import logging
from flowgraph.client.config import RunOptions
from flowgraph.client.timeline import Timeline
from flowgraph.framework import meta_graph
from flowgraph.framework.ops import GraphKeys, get_default_graph
from flowgraph.ops import array_ops
from flowgraph.summary.writer import FileWriterCache
from flowgraph.train import training_util
from flowgraph.train.session_run_hook import SessionRunArgs, SessionRunHook
from kernels import errors

# The collection caching the global-step read tensor hooks fetch (TF's key).
_GLOBAL_STEP_READ_KEY = "global_step_read_op_cache"


def _get_or_create_global_step_read(graph=None):
    """A tensor reading the global step (one per graph, cached), or None without a step.

    Fetched beside a train op it usually holds the step before that run's increment, so
    hooks treat it as stale and re-read the step before acting on it, as TF's hooks do.
    """
    graph = graph or get_default_graph()
    cached = graph.get_collection(_GLOBAL_STEP_READ_KEY)
    if cached:
        return cached[0]
    step = training_util.get_global_step(graph)
    if step is None:
        return None
    with graph.as_default(), graph.name_scope(None), graph.name_scope(step.op.name + "/"):
        read = array_ops.identity(step, name="read_for_hooks")
    graph.add_to_collection(_GLOBAL_STEP_READ_KEY, read)
    return read


def _require_global_step(hook_name: str):
    step = _get_or_create_global_step_read()
    if step is None:
        raise RuntimeError(f"Global step should be created to use {hook_name}.")
    return step


def _check_exactly_one(a, b, neither_message: str, both_message: str) -> None:
    """Raises ValueError with `neither_message` if `a` and `b` are both None, with
    `both_message` if neither is."""
    if a is None and b is None:
        raise ValueError(neither_message)
    if a is not None and b is not None:
        raise ValueError(both_message)


class SecondOrStepTimer:
    """Triggers at most once every `every_secs` seconds or once every `every_steps` steps."""

    def __init__(self, every_secs=None, every_steps=None):
        _check_exactly_one(
            every_secs,
            every_steps,
            "Either every_secs or every_steps should be provided.",
            "Can not provide both every_secs and every_steps.",
        )
        self._every_secs = every_secs
        self._every_steps = every_steps
        self.reset()

    def reset(self) -> None:
        """Forgets the last trigger: the next step triggers."""
        self._last_triggered_step = None
        self._last_triggered_time = None

    def should_trigger_for_step(self, step) -> bool:
        """Whether the timer should trigger for `step` (never twice for the same step)."""
        if self._last_triggered_step is None:
            return True
        if self._last_triggered_step == step:
            return False
        if self._every_secs is not None:
            return time.time() >= self._last_triggered_time + self._every_secs
        return step >= self._last_triggered_step + self._every_steps

    def update_last_triggered_step(self, step):
        """Records a trigger at `step`; returns (seconds, steps) since the previous one, or
        (None, None) for the first."""
        now = time.time()
        if self._last_triggered_time is None:
            elapsed = (None, None)
        else:
            elapsed = (now - self._last_triggered_time, step - self._last_triggered_step)
        self._last_triggered_time = now
        self._last_triggered_step = step
        return elapsed

    def last_triggered_step(self):
        """The step of the last trigger, or None."""
        return self._last_triggered_step


class NeverTriggerTimer:
    """A timer that never triggers (for hooks that act only at the end)."""

    def reset(self) -> None:
        pass

    def should_trigger_for_step(self, step) -> bool:
        return False

    def update_last_triggered_step(self, step):
        return (None, None)

    def last_triggered_step(self):
        return None


def _as_graph_element(obj):
    """A tensor of the default graph from a tensor or a tensor/op name ("x" means "x:0")."""
    graph = get_default_graph()
    if not isinstance(obj, str):
        if getattr(obj, "graph", None) is not graph:
            raise ValueError(
                f"Passed {obj} should have graph attribute that is equal to current graph {graph}."
            )
        return obj
    if ":" in obj:
        return graph.as_graph_element(obj)
    element = graph.as_graph_element(obj + ":0")
    if len(element.op.outputs) > 1:
        raise ValueError(
            f"Name {obj} is ambiguous, as this `Operation` has multiple outputs (at least 2)."
        )
    return element


class LoggingTensorHook(SessionRunHook):
    """Prints the given tensors every N local steps, every N seconds, or at the end.

    Example:
      >>> hook = tf.train.LoggingTensorHook({"loss": loss, "step": global_step},
      ...                                   every_n_iter=100)
    """

    def __init__(self, tensors, every_n_iter=None, every_n_secs=None, at_end=False, formatter=None):
        """Initializes a `LoggingTensorHook`.

        Args:
          tensors: a dict from tags to tensors (or tensor names), or a list of them.
          every_n_iter: log every this many local `run` calls.
          every_n_secs: log at most once every this many seconds.
          at_end: also log the values when the session ends.
          formatter: a function from a dict {tag: value} to the string to log.

        Raises:
          ValueError: unless exactly one of `every_n_iter` and `every_n_secs` is given (or
            neither, with `at_end`), or `every_n_iter` is not positive.
        """
        only_at_end = at_end and every_n_iter is None and every_n_secs is None
        if not only_at_end and (every_n_iter is None) == (every_n_secs is None):
            raise ValueError(
                "either at_end and/or exactly one of every_n_iter and every_n_secs must be "
                "provided."
            )
        if every_n_iter is not None and every_n_iter <= 0:
            raise ValueError(f"invalid every_n_iter={every_n_iter}.")
        if isinstance(tensors, dict):
            self._tag_order = sorted(tensors)
        else:
            self._tag_order = list(tensors)
            tensors = {item: item for item in tensors}
        self._tensors = tensors
        self._formatter = formatter
        self._timer = (
            NeverTriggerTimer()
            if only_at_end
            else SecondOrStepTimer(every_secs=every_n_secs, every_steps=every_n_iter)
        )
        self._log_at_end = at_end

    def begin(self):
        self._timer.reset()
        self._iter_count = 0
        self._current_tensors = {
            tag: _as_graph_element(tensor) for tag, tensor in self._tensors.items()
        }

    def before_run(self, run_context):
        self._should_trigger = self._timer.should_trigger_for_step(self._iter_count)
        return SessionRunArgs(self._current_tensors) if self._should_trigger else None

    def after_run(self, run_context, run_values):
        if self._should_trigger:
            self._log_tensors(run_values.results)
        self._iter_count += 1

    def end(self, session):
        if self._log_at_end:
            self._log_tensors(session.run(self._current_tensors))

    def _log_tensors(self, tensor_values) -> None:
        elapsed_secs, _ = self._timer.update_last_triggered_step(self._iter_count)
        if self._formatter:
            logging.info(self._formatter(tensor_values))
            return
        with np.printoptions(suppress=True):
            stats = ", ".join(f"{tag} = {tensor_values[tag]}" for tag in self._tag_order)
        if elapsed_secs is None:
            logging.info("%s", stats)
        else:
            logging.info("%s (%.3f sec)", stats, elapsed_secs)


class StopAtStepHook(SessionRunHook):
    """Requests a stop when the global step reaches `last_step` (or `num_steps` more).

    Example:
      >>> hooks = [tf.train.StopAtStepHook(last_step=1000)]
    """

    def __init__(self, num_steps=None, last_step=None):
        """Initializes a `StopAtStepHook`.

        Args:
          num_steps: stop after this many steps from the step the session starts at.
          last_step: stop when the global step reaches this value.

        Raises:
          ValueError: unless exactly one of the two is given.
        """
        _check_exactly_one(
            num_steps,
            last_step,
            "One of num_steps or last_step must be specified.",
            "Only one of num_steps or last_step can be specified.",
        )
        self._num_steps = num_steps
        self._last_step = last_step

    def begin(self):
        self._global_step_tensor = _require_global_step("StopAtStepHook")

    def after_create_session(self, session, coord):
        if self._last_step is None:
            self._last_step = session.run(self._global_step_tensor) + self._num_steps

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context, run_values):
        if run_values.results + 1 >= self._last_step:
            if run_context.session.run(self._global_step_tensor) >= self._last_step:
                run_context.request_stop()


class CheckpointSaverListener:
    """Actions around each checkpoint a `CheckpointSaverHook` saves.

    `after_save` returning True asks training to stop.

    Example:
      >>> class ExportListener(tf.train.CheckpointSaverListener):
      ...     def after_save(self, session, global_step_value):
      ...         print("saved", global_step_value)
    """

    def begin(self):
        pass

    def before_save(self, session, global_step_value):
        pass

    def after_save(self, session, global_step_value):
        pass

    def end(self, session, global_step_value):
        pass


class CheckpointSaverHook(SessionRunHook):
    """Saves a checkpoint when the session starts, every N steps or seconds, and at the end.

    Example:
      >>> hook = tf.train.CheckpointSaverHook("/tmp/run", save_steps=1000)
    """

    def __init__(
        self,
        checkpoint_dir,
        save_secs=None,
        save_steps=None,
        saver=None,
        checkpoint_basename="model.ckpt",
        scaffold=None,
        listeners=None,
        save_graph_def=True,
    ):
        """Initializes a `CheckpointSaverHook`.

        Args:
          checkpoint_dir: the directory to save checkpoints in.
          save_secs: save every this many seconds.
          save_steps: save every this many global steps.
          saver: the `Saver` to use (default: the scaffold's, else the graph's `SAVERS`).
          checkpoint_basename: the checkpoint file name prefix.
          scaffold: a `Scaffold` whose saver to use.
          listeners: `CheckpointSaverListener`s called around each save.
          save_graph_def: write `graph.pbtxt` and each checkpoint's MetaGraph.

        Raises:
          ValueError: both `saver` and `scaffold` are given, or not exactly one of
            `save_secs` and `save_steps`.
        """
        logging.info("Create CheckpointSaverHook.")
        if saver is not None and scaffold is not None:
            raise ValueError("You cannot provide both saver and scaffold.")
        self._saver = saver
        self._checkpoint_dir = checkpoint_dir
        self._save_path = os.path.join(checkpoint_dir, checkpoint_basename)
        self._scaffold = scaffold
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)
        self._listeners = listeners or []
        self._save_graph_def = save_graph_def

    def begin(self):
        self._summary_writer = FileWriterCache.get(self._checkpoint_dir)
        self._global_step_tensor = _require_global_step("CheckpointSaverHook")
        for listener in self._listeners:
            listener.begin()

    def after_create_session(self, session, coord):
        global_step = session.run(self._global_step_tensor)
        graph = get_default_graph()
        if self._save_graph_def:
            meta_graph.write_graph(
                graph.as_graph_def(add_shapes=True), self._checkpoint_dir, "graph.pbtxt"
            )
        saver = self._get_saver()
        self._summary_writer.add_graph(graph)
        self._summary_writer.add_meta_graph(
            meta_graph.export_meta_graph(saver_def=saver.saver_def if saver else None)
        )
        self._save(session, global_step)
        self._timer.update_last_triggered_step(global_step)

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context, run_values):
        if self._timer.should_trigger_for_step(run_values.results + 1):
            global_step = run_context.session.run(self._global_step_tensor)
            if self._timer.should_trigger_for_step(global_step):
                self._timer.update_last_triggered_step(global_step)
                if self._save(run_context.session, global_step):
                    run_context.request_stop()

    def end(self, session):
        last_step = session.run(self._global_step_tensor)
        if last_step != self._timer.last_triggered_step():
            self._save(session, last_step)
        for listener in self._listeners:
            listener.end(session, last_step)

    def _save(self, session, step) -> bool:
        """Saves a checkpoint at `step`; returns whether a listener asked to stop."""
        for listener in self._listeners:
            listener.before_save(session, step)
        logging.info("Saving checkpoints for %d into %s.", step, self._save_path)
        self._get_saver().save(
            session, self._save_path, global_step=step, write_meta_graph=self._save_graph_def
        )
        self._summary_writer.add_session_log(
            SessionLog(status=SessionLog.CHECKPOINT, checkpoint_path=self._save_path), step
        )
        stop = [listener for listener in self._listeners if listener.after_save(session, step)]
        for listener in stop:
            logging.info(
                "A CheckpointSaverListener requested that training be stopped: %s", listener
            )
        return bool(stop)

    def _get_saver(self):
        if self._saver is not None:
            return self._saver
        if self._scaffold is not None:
            return self._scaffold.saver
        savers = get_default_graph().get_collection(GraphKeys.SAVERS)
        if not savers:
            raise RuntimeError(
                f"No items in collection {GraphKeys.SAVERS}. Please add a saver to the "
                "collection or provide a saver or scaffold."
            )
        if len(savers) > 1:
            raise RuntimeError(
                f"More than one item in collection {GraphKeys.SAVERS}. Please indicate which "
                "one to use by passing it to the constructor."
            )
        self._saver = savers[0]
        return self._saver


class StepCounterHook(SessionRunHook):
    """Writes the training speed, `global_step/sec`, as a summary every N steps or seconds.

    Example:
      >>> hook = tf.train.StepCounterHook(every_n_steps=100, output_dir="/tmp/run")
    """

    def __init__(self, every_n_steps=100, every_n_secs=None, output_dir=None, summary_writer=None):
        """Initializes a `StepCounterHook`.

        Args:
          every_n_steps: record every this many global steps.
          every_n_secs: record at most once every this many seconds.
          output_dir: the directory of the (cached) `FileWriter` to write to.
          summary_writer: a `FileWriter` to write to instead.

        Raises:
          ValueError: unless exactly one of `every_n_steps` and `every_n_secs` is given.
        """
        if (every_n_steps is None) == (every_n_secs is None):
            raise ValueError("exactly one of every_n_steps and every_n_secs should be provided.")
        self._timer = SecondOrStepTimer(every_steps=every_n_steps, every_secs=every_n_secs)
        self._summary_writer = summary_writer
        self._output_dir = output_dir
        self._last_global_step = None

    def begin(self):
        if self._summary_writer is None and self._output_dir:
            self._summary_writer = FileWriterCache.get(self._output_dir)
        self._global_step_tensor = _require_global_step("StepCounterHook")
        self._summary_tag = training_util.get_global_step().op.name + "/sec"

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context, run_values):
        stale_global_step = run_values.results
        if self._timer.should_trigger_for_step(stale_global_step + 1):
            global_step = run_context.session.run(self._global_step_tensor)
            if self._timer.should_trigger_for_step(global_step):
                elapsed_time, elapsed_steps = self._timer.update_last_triggered_step(global_step)
                if elapsed_time is not None:
                    self._log_and_record(elapsed_steps, elapsed_time, global_step)
        if stale_global_step == self._last_global_step:
            logging.log_first_n(
                logging.WARN,
                "It seems that global step (tf.train.get_global_step) has not been increased. "
                "Current value (could be stable): %s vs previous value: %s. You could increase "
                "the global step by passing tf.train.get_global_step() to "
                "Optimizer.apply_gradients or Optimizer.minimize.",
                5,
                stale_global_step,
                self._last_global_step,
            )
        self._last_global_step = stale_global_step

    def _log_and_record(self, elapsed_steps, elapsed_time, global_step) -> None:
        steps_per_sec = elapsed_steps / elapsed_time if elapsed_time > 0 else float("inf")
        if self._summary_writer is not None:
            value = Summary.Value(tag=self._summary_tag, simple_value=steps_per_sec)
            self._summary_writer.add_summary(Summary(value=[value]), global_step)
        logging.info("%s: %g", self._summary_tag, steps_per_sec)


class NanLossDuringTrainingError(RuntimeError):
    """Raised by `NanTensorHook` when the loss is NaN."""

    def __str__(self):
        return "NaN loss during training."


class NanTensorHook(SessionRunHook):
    """Raises `NanLossDuringTrainingError` (or requests a stop) when the loss is NaN.

    Example:
      >>> hooks = [tf.train.NanTensorHook(loss)]
    """

    def __init__(self, loss_tensor, fail_on_nan_loss=True):
        """Initializes a `NanTensorHook`.

        Args:
          loss_tensor: the loss tensor to check each step.
          fail_on_nan_loss: raise on NaN; if False, log a warning and request a stop.
        """
        self._loss_tensor = loss_tensor
        self._fail_on_nan_loss = fail_on_nan_loss

    def before_run(self, run_context):
        return SessionRunArgs(self._loss_tensor)

    def after_run(self, run_context, run_values):
        if not np.isnan(run_values.results):
            return
        message = "Model diverged with loss = NaN."
        if self._fail_on_nan_loss:
            logging.error(message)
            raise NanLossDuringTrainingError
        logging.warning(message)
        run_context.request_stop()


class SummarySaverHook(SessionRunHook):
    """Runs a summary op every N steps or seconds and writes its result.

    Example:
      >>> hook = tf.train.SummarySaverHook(save_steps=100, output_dir="/tmp/run",
      ...                                  summary_op=tf.summary.merge_all())
    """

    def __init__(
        self,
        save_steps=None,
        save_secs=None,
        output_dir=None,
        summary_writer=None,
        scaffold=None,
        summary_op=None,
    ):
        """Initializes a `SummarySaverHook`.

        Args:
          save_steps: save every this many global steps.
          save_secs: save every this many seconds.
          output_dir: the directory of the (cached) `FileWriter` to write to.
          summary_writer: a `FileWriter` to write to instead.
          scaffold: a `Scaffold` whose `summary_op` to run.
          summary_op: a serialized `Summary` tensor, or a list of them.

        Raises:
          ValueError: unless exactly one of `scaffold` and `summary_op` is given.
        """
        if (scaffold is None) == (summary_op is None):
            raise ValueError("Exactly one of scaffold or summary_op must be provided.")
        self._summary_op = summary_op
        self._summary_writer = summary_writer
        self._output_dir = output_dir
        self._scaffold = scaffold
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self):
        if self._summary_writer is None and self._output_dir:
            self._summary_writer = FileWriterCache.get(self._output_dir)
        self._next_step = None
        self._global_step_tensor = _require_global_step("SummarySaverHook")

    def before_run(self, run_context):
        self._request_summary = self._next_step is None or self._timer.should_trigger_for_step(
            self._next_step
        )
        requests = {"global_step": self._global_step_tensor}
        summary_op = self._get_summary_op()
        if self._request_summary and summary_op is not None:
            requests["summary"] = summary_op
        return SessionRunArgs(requests)

    def after_run(self, run_context, run_values):
        if not self._summary_writer:
            return
        global_step = run_values.results["global_step"] + 1
        if self._next_step is None or self._request_summary:
            global_step = run_context.session.run(self._global_step_tensor)
        if self._next_step is None:
            self._summary_writer.add_session_log(SessionLog(status=SessionLog.START), global_step)
        if self._request_summary:
            self._timer.update_last_triggered_step(global_step)
            for summary in run_values.results.get("summary", ()):
                self._summary_writer.add_summary(summary, global_step)
        self._next_step = global_step + 1

    def end(self, session=None):
        if self._summary_writer:
            self._summary_writer.flush()

    def _get_summary_op(self):
        summary_op = self._summary_op if self._summary_op is not None else self._scaffold.summary_op
        if summary_op is None or isinstance(summary_op, list):
            return summary_op
        return [summary_op]


class GlobalStepWaiterHook(SessionRunHook):
    """Delays the first run until the global step reaches `wait_until_step` (for workers
    that should start after the chief has trained a while).

    Example:
      >>> hooks = [tf.train.GlobalStepWaiterHook(wait_until_step=task_index * 100)]
    """

    def __init__(self, wait_until_step):
        self._wait_until_step = wait_until_step

    def begin(self):
        self._worker_is_started = False
        self._global_step_tensor = _require_global_step("_GlobalStepWaiterHook")

    def before_run(self, run_context):
        if self._worker_is_started:
            return None
        if self._wait_until_step > 0:
            logging.info(
                "Waiting for global step %d before starting training.", self._wait_until_step
            )
        while run_context.session.run(self._global_step_tensor) < self._wait_until_step:
            time.sleep(0.5)  # the step is advanced by other processes: TF polls too
        self._worker_is_started = True
        return None


class FinalOpsHook(SessionRunHook):
    """Runs `final_ops` when the session ends; their values are in `final_ops_values`.

    Example:
      >>> hook = tf.train.FinalOpsHook(accuracy)
      >>> ...   # train with the hook
      >>> hook.final_ops_values
    """

    def __init__(self, final_ops, final_ops_feed_dict=None):
        """Initializes a `FinalOpsHook`.

        Args:
          final_ops: a tensor or op, or a nesting of them, as `Session.run` fetches.
          final_ops_feed_dict: the feed dict to run them with.
        """
        self._final_ops = final_ops
        self._final_ops_feed_dict = final_ops_feed_dict
        self._final_ops_values = None

    @property
    def final_ops_values(self):
        """The values of `final_ops` at the end (None before)."""
        return self._final_ops_values

    def end(self, session):
        if self._final_ops is None:
            return
        try:
            self._final_ops_values = session.run(
                self._final_ops, feed_dict=self._final_ops_feed_dict
            )
        except (errors.OutOfRangeError, StopIteration):
            logging.warning(
                "An OutOfRangeError or StopIteration exception is raised by the code in "
                "FinalOpsHook. This typically means the Ops running by the FinalOpsHook have a "
                "dependency back to some input source, which should not happen."
            )
            raise


class FeedFnHook(SessionRunHook):
    """Feeds `feed_fn()`, a fresh feed dict, to every run.

    Example:
      >>> hooks = [tf.train.FeedFnHook(lambda: {x: next(batches)})]
    """

    def __init__(self, feed_fn):
        self.feed_fn = feed_fn

    def before_run(self, run_context):
        return SessionRunArgs(fetches=None, feed_dict=self.feed_fn())


class ProfilerHook(SessionRunHook):
    """Traces a run every N steps or seconds and writes it as `timeline-<step>.json`
    (chrome://tracing) and as run metadata for TensorBoard.

    Example:
      >>> hooks = [tf.train.ProfilerHook(save_steps=1000, output_dir="/tmp/run")]
    """

    def __init__(
        self, save_steps=None, save_secs=None, output_dir="", show_dataflow=True, show_memory=False
    ):
        """Initializes a `ProfilerHook`.

        Args:
          save_steps: trace every this many global steps.
          save_secs: trace at most once every this many seconds.
          output_dir: the directory of the timelines and the event file.
          show_dataflow: draw arrows between producers and consumers in the timeline.
          show_memory: add the memory each device's events output.
        """
        self._output_file = os.path.join(output_dir, "timeline-{}.json")
        self._file_writer = FileWriterCache.get(output_dir)
        self._show_dataflow = show_dataflow
        self._show_memory = show_memory
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self):
        self._next_step = None
        self._global_step_tensor = _require_global_step("ProfilerHook")

    def before_run(self, run_context):
        self._request_summary = self._next_step is not None and self._timer.should_trigger_for_step(
            self._next_step
        )
        options = RunOptions(trace_level=RunOptions.FULL_TRACE) if self._request_summary else None
        return SessionRunArgs({"global_step": self._global_step_tensor}, options=options)

    def after_run(self, run_context, run_values):
        stale_global_step = run_values.results["global_step"]
        if self._next_step is None:
            self._timer.update_last_triggered_step(stale_global_step)
        global_step = stale_global_step + 1
        if self._request_summary:
            global_step = run_context.session.run(self._global_step_tensor)
            self._timer.update_last_triggered_step(global_step)
            self._save(global_step, run_values.run_metadata.step_stats)
            self._file_writer.add_run_metadata(run_values.run_metadata, f"step_{global_step}")
        self._next_step = global_step + 1

    def _save(self, step, step_stats) -> None:
        path = self._output_file.format(step)
        logging.info("Saving timeline for %d into '%s'.", step, path)
        trace = Timeline(step_stats).generate_chrome_trace_format(
            show_dataflow=self._show_dataflow, show_memory=self._show_memory
        )
        with open(path, "w") as f:
            f.write(trace)
