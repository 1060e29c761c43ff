"""`tf.estimator.train_and_evaluate` with its `TrainSpec` and `EvalSpec`: train, and
evaluate (then export) after every new checkpoint, in this process.

With a cluster in `TF_CONFIG` each task plays its role, as TF 1.15's training executor
does: a ps starts its `tf.train.Server` and serves until stopped; the chief and the
workers start theirs and train between-graph replicated (variables on the ps through the
estimator's `replica_device_setter`, sessions on their own server's master; a worker waits
`(task_id + 1) * 5` s, at most 60, before its first step); the evaluator evaluates (and
exports) each new checkpoint of the chief until training reaches `max_steps`.
"""

from __future__ import annotations

import collections
import os
import time

from flowgraph import logging
from flowgraph.estimator import exporter as exporter_lib
from flowgraph.estimator.run_config import TaskType
from flowgraph.framework.ops import GraphKeys
from flowgraph.train.basic_session_run_hooks import CheckpointSaverListener, SecondOrStepTimer
from flowgraph.train.server_lib import Server
from flowgraph.train.session_run_hook import SessionRunHook


def _validate_input_fn(input_fn):
    if not callable(input_fn):
        raise TypeError(f"`input_fn` must be callable, given: {input_fn}")


def _validate_hooks(hooks):
    hooks = tuple(hooks or [])
    for hook in hooks:
        if not isinstance(hook, SessionRunHook):
            raise TypeError(f"All hooks must be `SessionRunHook` instances, given: {hook}")
    return hooks


def _validate_exporters(exporters):
    if not exporters:
        return ()
    if isinstance(exporters, exporter_lib.Exporter):
        exporters = [exporters]
    try:
        exporters = list(exporters)
    except TypeError:
        exporters = [None]
    if not all(isinstance(e, exporter_lib.Exporter) for e in exporters):
        raise TypeError(
            f"`exporters` must be an Exporter, an iterable of Exporter, or `None`, found "
            f"{exporters}."
        )
    _check_exporter_names(exporters)
    return tuple(exporters)


def _check_exporter_names(exporters):
    names = [e.name for e in exporters]
    for name in names:
        if not name:
            raise ValueError(
                f"An Exporter cannot have a name that is `None` or empty. All exporter "
                f"names: {names}"
            )
        if not isinstance(name, str):
            raise ValueError(f"An Exporter must have a string name. Given: {type(name)}")
    if len(set(names)) != len(names):
        raise ValueError(
            "`exporters` must have unique names. Such a name cannot be `None`. All exporter "
            f"names: {names}"
        )


class TrainSpec(collections.namedtuple("TrainSpec", ["input_fn", "max_steps", "hooks"])):
    """Configuration for the "train" part for the `train_and_evaluate` call.

    Args:
      input_fn: A function that provides input data for training as minibatches.
      max_steps: Int. Positive number of total steps for which to train model. If
        `None`, train forever (until `input_fn` ends).
      hooks: Iterable of `tf.train.SessionRunHook` objects to run on all workers
        during training.

    Raises:
      ValueError: If any of the input arguments is invalid.
      TypeError: If any of the arguments is not of the expected type.
    """

    def __new__(cls, input_fn, max_steps=None, hooks=None):
        _validate_input_fn(input_fn)
        if max_steps is not None and max_steps <= 0:
            raise ValueError(f"Must specify max_steps > 0, given: {max_steps}")
        return super().__new__(
            cls, input_fn=input_fn, max_steps=max_steps, hooks=_validate_hooks(hooks)
        )


_EVAL_SPEC_FIELDS = [
    "input_fn",
    "steps",
    "name",
    "hooks",
    "exporters",
    "start_delay_secs",
    "throttle_secs",
]


class EvalSpec(collections.namedtuple("EvalSpec", _EVAL_SPEC_FIELDS)):
    """Configuration for the "eval" part for the `train_and_evaluate` call.

    Args:
      input_fn: A function that constructs the input data for evaluation.
      steps: Int. Positive number of steps for which to evaluate model. If `None`,
        evaluates until `input_fn` raises an end-of-input exception.
      name: String. Name of the evaluation if user needs to run multiple evaluations on
        different data sets.
      hooks: Iterable of `tf.train.SessionRunHook` objects to run during evaluation.
      exporters: Iterable of `Exporter`s, or a single one, or `None`.
      start_delay_secs: Int. Start evaluating after waiting for this many seconds
        (distributed evaluators only).
      throttle_secs: Int. Do not re-evaluate unless the last evaluation was started at
        least this many seconds ago.

    Raises:
      ValueError: If any of the input arguments is invalid.
      TypeError: If any of the arguments is not of the expected type.
    """

    def __new__(
        cls,
        input_fn,
        steps=100,
        name=None,
        hooks=None,
        exporters=None,
        start_delay_secs=120,
        throttle_secs=600,
    ):
        _validate_input_fn(input_fn)
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"`name` must be string, given: {name}")
        hooks = _validate_hooks(hooks)
        exporters = _validate_exporters(exporters)
        if start_delay_secs < 0:
            raise ValueError(f"Must specify start_delay_secs >= 0, given: {start_delay_secs}")
        if throttle_secs < 0:
            raise ValueError(f"Must specify throttle_secs >= 0, given: {throttle_secs}")
        return super().__new__(
            cls, input_fn, steps, name, hooks, exporters, start_delay_secs, throttle_secs
        )


def train_and_evaluate(estimator, train_spec, eval_spec):
    """Train and evaluate the `estimator`.

    Trains with `train_spec.input_fn` until `train_spec.max_steps`; after every new
    checkpoint (no more often than `eval_spec.throttle_secs`) and at the end, evaluates
    with `eval_spec` and runs its exporters (into `model_dir/export/<exporter name>`).
    Checkpoint frequency comes from the estimator's `RunConfig`.

    Example:
      >>> train_spec = tf.estimator.TrainSpec(input_fn=train_input_fn, max_steps=1000)
      >>> eval_spec = tf.estimator.EvalSpec(input_fn=eval_input_fn)
      >>> metrics, export_results = tf.estimator.train_and_evaluate(
      ...     estimator, train_spec, eval_spec)

    Args:
      estimator: An `Estimator` instance to train and evaluate.
      train_spec: A `TrainSpec` instance to specify the training specification.
      eval_spec: A `EvalSpec` instance to specify the evaluation and export
        specification.

    Returns:
      A tuple of the result of the `evaluate` call to the `Estimator` and the export
      results using the specified exporters.

    Raises:
      ValueError: if environment variable `TF_CONFIG` is incorrectly set.
    """
    _assert_eval_spec(eval_spec)
    if not isinstance(train_spec, TrainSpec):
        raise TypeError(
            f"`train_spec` must have type `tf.estimator.TrainSpec`. Got: {type(train_spec)}"
        )
    config = estimator.config
    if config.task_type == TaskType.EVALUATOR and config.task_id > 0:
        raise ValueError(
            "For distributed training, there can only be one `evaluator` task (with task id "
            f"0).  Given task id {config.task_id}"
        )
    if config.task_type == TaskType.EVALUATOR:
        return _run_evaluator(estimator, train_spec, eval_spec)
    if config.cluster_spec:
        return _run_distributed(estimator, train_spec)
    return _run_local(estimator, train_spec, eval_spec)


_DELAY_SECS_PER_WORKER = 5  # TF's: workers start after the chief has made the variables
_MAX_DELAY_SECS = 60


def _run_distributed(estimator, train_spec):
    """A ps, chief or worker task of a `TF_CONFIG` cluster (TF's `_TrainingExecutor`)."""
    config = estimator.config
    if config.task_type not in (TaskType.PS, TaskType.CHIEF, TaskType.MASTER, TaskType.WORKER):
        raise ValueError(f"Task type {config.task_type} is not supported.")
    server = _start_std_server(config)
    if config.task_type == TaskType.PS:
        logging.info("Start ps server: serving until the server is stopped.")
        server.join()
        return None, None
    if not config.is_chief:
        delay = min(_MAX_DELAY_SECS, (config.task_id + 1) * _DELAY_SECS_PER_WORKER)
        logging.info(f"Waiting {delay} secs before starting training.")
        time.sleep(delay)
    estimator.train(
        input_fn=train_spec.input_fn, max_steps=train_spec.max_steps, hooks=list(train_spec.hooks)
    )
    return None, None


def _start_std_server(config):
    logging.info(f"Start Tensorflow server for {config.task_type}:{config.task_id}.")
    server = Server(
        config.cluster_spec,
        job_name=config.task_type,
        task_index=config.task_id,
        config=config.session_config,
        start=False,
        protocol=config.protocol or "grpc",
    )
    server.start()
    return server


def _run_evaluator(estimator, train_spec, eval_spec):
    """The evaluator task: after `eval_spec.start_delay_secs`, evaluates (and exports)
    each new checkpoint, no more often than `eval_spec.throttle_secs`, until the global
    step reaches `train_spec.max_steps` (for ever without one)."""
    time.sleep(eval_spec.start_delay_secs)
    evaluator = _Evaluator(estimator, eval_spec, train_spec.max_steps)
    result, exports = None, None
    while True:
        start = time.time()
        outcome, exported = evaluator.evaluate_and_export()
        if outcome.status == _EVALUATED:
            result, exports = outcome, exported
            step = outcome.metrics[GraphKeys.GLOBAL_STEP]
            if train_spec.max_steps and step >= train_spec.max_steps:
                logging.info(f"Exiting evaluation, global_step={step} >= {train_spec.max_steps}")
                return result.metrics, exports
        wait = eval_spec.throttle_secs - (time.time() - start)
        if wait > 0:
            logging.info(f"Waiting {wait:.1f} secs before starting next eval run.")
            time.sleep(wait)


def _assert_eval_spec(eval_spec):
    if not isinstance(eval_spec, EvalSpec):
        raise TypeError(
            f"`eval_spec` must have type `tf.estimator.EvalSpec`. Got: {type(eval_spec)}"
        )


def _run_local(estimator, train_spec, eval_spec):
    config = estimator.config
    logging.info(
        "Start train and evaluate loop. The evaluate will happen after every checkpoint. "
        "Checkpoint frequency is determined based on RunConfig arguments: "
        f"save_checkpoints_steps {config.save_checkpoints_steps} or save_checkpoints_secs "
        f"{config.save_checkpoints_secs}."
    )
    evaluator = _Evaluator(estimator, eval_spec, train_spec.max_steps)
    listener = _NewCheckpointListenerForEvaluate(evaluator, eval_spec.throttle_secs)
    estimator.train(
        input_fn=train_spec.input_fn,
        max_steps=train_spec.max_steps,
        hooks=list(train_spec.hooks),
        saving_listeners=[listener],
    )
    metrics = listener.eval_result.metrics if listener.eval_result else None
    return metrics, listener.export_results


_EvalResult = collections.namedtuple("_EvalResult", ["status", "metrics", "checkpoint_path"])
_EVALUATED = "evaluated"


class _NewCheckpointListenerForEvaluate(CheckpointSaverListener):
    """Evaluates after each new checkpoint (throttled) and after the last one."""

    def __init__(self, evaluator, eval_throttle_secs):
        self._evaluator = evaluator
        self._eval_throttle_secs = eval_throttle_secs
        self.eval_result, self.export_results = None, None

    def begin(self):
        self._timer = SecondOrStepTimer(every_secs=self._eval_throttle_secs)
        self._is_first_run = True

    def after_save(self, session, global_step_value):
        if self._is_first_run:  # the first checkpoint: the model is not trained yet
            self._is_first_run = False
            return
        if self._timer.should_trigger_for_step(global_step_value):
            self._evaluate(global_step_value)
        else:
            logging.info(
                "Skip the current checkpoint eval due to throttle secs "
                f"({self._eval_throttle_secs} secs)."
            )

    def end(self, session, global_step_value):
        if global_step_value != self._timer.last_triggered_step():
            self._evaluate(global_step_value)

    def _evaluate(self, global_step_value):
        self._timer.update_last_triggered_step(global_step_value)
        self.eval_result, self.export_results = self._evaluator.evaluate_and_export()
        if self.eval_result.status != _EVALUATED:
            raise RuntimeError(
                "There was no new checkpoint after the training. Eval status: "
                f"{self.eval_result.status}"
            )


class _Evaluator:
    """Evaluates the newest checkpoint once, then runs the exporters on it."""

    def __init__(self, estimator, eval_spec, max_training_steps):
        self._estimator = estimator
        self._eval_spec = eval_spec
        self._max_training_steps = max_training_steps
        self._previous_ckpt_path = None

    def evaluate_and_export(self):
        latest = self._estimator.latest_checkpoint()
        if not latest:
            logging.warning(
                "Estimator is not trained yet. Will start an evaluation when a checkpoint is ready."
            )
            return _EvalResult("missing checkpoint", None, None), []
        if latest == self._previous_ckpt_path:
            logging.warning(
                "No new checkpoint ready for evaluation. Skip the current "
                "evaluation pass as evaluation results are expected to be same "
                "for the same checkpoint."
            )
            return _EvalResult("no new checkpoint", None, None), []
        spec = self._eval_spec
        metrics = self._estimator.evaluate(
            spec.input_fn,
            steps=spec.steps,
            name=spec.name,
            checkpoint_path=latest,
            hooks=spec.hooks,
        )
        final = bool(self._max_training_steps) and (
            metrics[GraphKeys.GLOBAL_STEP] >= self._max_training_steps
        )
        self._previous_ckpt_path = latest
        return _EvalResult(_EVALUATED, metrics, latest), self._export(metrics, latest, final)

    def _export(self, metrics, checkpoint_path, is_the_final_export):
        base = os.path.join(self._estimator.model_dir, "export")
        return [
            exporter.export(
                estimator=self._estimator,
                export_path=os.path.join(base, exporter.name),
                checkpoint_path=checkpoint_path,
                eval_result=metrics,
                is_the_final_export=is_the_final_export,
            )
            for exporter in self._eval_spec.exporters
        ]
