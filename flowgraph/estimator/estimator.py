"""`tf.estimator.Estimator`: trains, evaluates, predicts with and exports a `model_fn`.

Each call builds a fresh graph: the `input_fn` gives features and labels, the
`model_fn` an `EstimatorSpec`; training runs on a `MonitoredTrainingSession` that
restores from and checkpoints to `model_dir`, so a second `train` resumes.
"""

from __future__ import annotations

import collections
import copy
import os
import shutil
import tempfile
import time

import numpy as np
from tensorboard.compat.proto import summary_pb2

from flowgraph import logging
from flowgraph.client.session import Session
from flowgraph.data.dataset_ops import Dataset
from flowgraph.estimator import evaluation, model_fn as model_fn_lib, run_config as run_config_lib
from flowgraph.estimator.export import SINGLE_RECEIVER_DEFAULT_NAME
from flowgraph.estimator.mode_keys import ModeKeys
from flowgraph.framework import random_seed, tensor_util
from flowgraph.framework.ops import Graph, GraphKeys, get_default_graph
from flowgraph.framework.scopes import add_to_collection, device, get_collection
from flowgraph.ops import control_flow_ops, metrics_impl, summary_ops
from flowgraph.saved_model import constants, signature_def_utils
from flowgraph.saved_model.builder import SavedModelBuilder
from flowgraph.summary.writer import FileWriterCache
from flowgraph.train import (
    basic_session_run_hooks as hooks_lib,
    checkpoint_management,
    checkpoint_utils,
    device_setter,
    monitored_session,
    saver as saver_lib,
    training_util,
    warm_starting_util,
)
from flowgraph.train.session_run_hook import SessionRunHook
from kernels import errors

_EXPORT_TAGS = {
    ModeKeys.PREDICT: [constants.SERVING],
    ModeKeys.TRAIN: ["train"],
    ModeKeys.EVAL: ["eval"],
}


class Estimator:
    """Estimator class to train and evaluate TensorFlow models.

    The `Estimator` object wraps a model which is specified by a `model_fn`, which,
    given inputs and a number of other parameters, returns the ops necessary to perform
    training, evaluation, or predictions. All outputs (checkpoints, event files, etc.)
    are written to `model_dir`.

    Example:
      >>> def model_fn(features, labels, mode):
      ...     logits = tf.layers.dense(features["x"], 1)
      ...     ...
      ...     return tf.estimator.EstimatorSpec(mode, predictions=logits, loss=loss,
      ...                                       train_op=train_op)
      >>> estimator = tf.estimator.Estimator(model_fn, model_dir="/tmp/model")
      >>> estimator.train(input_fn, steps=100)

    Args:
      model_fn: Model function `model_fn(features, labels, mode, params, config)`
        returning a `tf.estimator.EstimatorSpec`; `labels`, `mode`, `params` and
        `config` are optional arguments.
      model_dir: Directory to save model parameters, graph and etc. If `None`, the
        `model_dir` in `config` is used, or a temporary directory.
      config: `estimator.RunConfig` configuration object.
      params: `dict` of hyper parameters that will be passed into `model_fn`.
      warm_start_from: a checkpoint or SavedModel path, or a
        `tf.estimator.WarmStartSettings`, to warm-start from.

    Raises:
      ValueError: parameters of `model_fn` don't match `params`.
    """

    def __init__(self, model_fn, model_dir=None, config=None, params=None, warm_start_from=None):
        _assert_members_are_not_overridden(Estimator, self)
        self._config = _overwrite_model_dir_and_session_config(config, model_dir)
        self._model_dir = self._config.model_dir
        self._session_config = self._config.session_config
        self._device_fn = self._config.device_fn or _replica_device_setter(self._config)
        if model_fn is None:
            raise ValueError("model_fn must be provided to Estimator.")
        model_fn_lib.verify_model_fn_args(model_fn, params)
        self._model_fn = model_fn
        self._params = copy.deepcopy(params or {})
        self._warm_start_settings = _default_warm_start_settings(warm_start_from)

    model_dir = property(lambda self: self._model_dir)
    config = property(lambda self: copy.deepcopy(self._config))
    params = property(lambda self: copy.deepcopy(self._params))

    @property
    def model_fn(self):
        """Returns the `model_fn` which is bound to `self.params`."""

        def public_model_fn(features, labels, mode, config):
            return self._call_model_fn(features, labels, mode, config)

        return public_model_fn

    def get_variable_value(self, name):
        """Returns value of the variable given by name (from the latest checkpoint).

        Raises:
          ValueError: If the `Estimator` has not produced a checkpoint yet.
        """
        _check_checkpoint_available(self.model_dir)
        return checkpoint_utils.load_variable(self.model_dir, name)

    def get_variable_names(self):
        """Returns list of all variable names in this model (in its latest checkpoint).

        Raises:
          ValueError: If the `Estimator` has not produced a checkpoint yet.
        """
        _check_checkpoint_available(self.model_dir)
        return [name for name, _ in checkpoint_utils.list_variables(self.model_dir)]

    def latest_checkpoint(self):
        """Finds the filename of the latest saved checkpoint file in `model_dir`."""
        return checkpoint_management.latest_checkpoint(self.model_dir)

    def eval_dir(self, name=None):
        """Shows the directory name where evaluation metrics are dumped."""
        return os.path.join(self._model_dir, "eval_" + name if name else "eval")

    def train(self, input_fn, hooks=None, steps=None, max_steps=None, saving_listeners=None):
        """Trains a model given training data `input_fn`.

        Args:
          input_fn: A function returning a `tf.data.Dataset` of `(features, labels)` or
            a `(features, labels)` tuple of tensors (or dicts of them).
          hooks: List of `tf.train.SessionRunHook` instances used inside the loop.
          steps: Number of steps for which to train the model (incrementally: two calls
            with `steps=10` train 20 steps). If `None`, trains until `input_fn` ends.
          max_steps: Number of total steps for which to train model; training stops
            at once when the checkpoint's step already reached it.
          saving_listeners: `CheckpointSaverListener`s called around each checkpoint.

        Returns:
          `self`, for chaining.

        Raises:
          ValueError: If both `steps` and `max_steps` are not `None`, or either is
            not positive.
        """
        if self._config.task_type in (
            run_config_lib.TaskType.EVALUATOR,
            run_config_lib.TaskType.PS,
        ):
            raise ValueError(
                "Train has been called wrong configuration. Please use "
                "tf.estimator.train_and_evaluate which calls proper API according to given "
                f"configuration. Current configuration: {self._config}."
            )
        _check_train_steps(steps, max_steps)
        if max_steps is not None and max_steps <= _global_step_in(self._model_dir):
            logging.info("Skipping training since max_steps has already saved.")
            return self
        hooks = _check_hooks_type(hooks)
        if steps is not None or max_steps is not None:
            hooks.append(hooks_lib.StopAtStepHook(steps, max_steps))
        loss = self._train_model(input_fn, hooks, _check_listeners_type(saving_listeners))
        logging.info("Loss for final step: %s.", loss)
        return self

    def _train_model(self, input_fn, hooks, saving_listeners):
        with Graph().as_default() as g, device(self._device_fn):
            random_seed.set_random_seed(self._config.tf_random_seed)
            training_util.create_global_step(g)
            hooks_lib._get_or_create_global_step_read(g)
            features, labels, input_hooks = self._features_and_labels(input_fn, ModeKeys.TRAIN)
            spec = self._call_model_fn(features, labels, ModeKeys.TRAIN, self._config)
            global_step = training_util.get_global_step(g)
            return self._train_with_estimator_spec(
                spec, input_hooks, hooks, global_step, saving_listeners
            )

    def _train_with_estimator_spec(self, spec, worker_hooks, hooks, global_step, saving_listeners):
        if self._warm_start_settings:
            logging.info("Warm-starting with WarmStartSettings: %s", self._warm_start_settings)
            warm_starting_util.warm_start(*self._warm_start_settings)
        # TensorBoard shows the loss under "loss": add that summary unless the model did.
        if not any(s.op.name == "loss" for s in get_collection(GraphKeys.SUMMARIES)):
            summary_ops.scalar("loss", spec.loss)
        add_to_collection(GraphKeys.LOSSES, spec.loss)
        worker_hooks = list(worker_hooks) + list(hooks) + [hooks_lib.NanTensorHook(spec.loss)]
        if self._config.log_step_count_steps is not None:
            worker_hooks.append(
                hooks_lib.LoggingTensorHook(
                    {"loss": spec.loss, "step": global_step},
                    every_n_iter=self._config.log_step_count_steps,
                )
            )
        worker_hooks.extend(spec.training_hooks)
        self._add_default_saver(spec)
        chief_hooks = self._checkpoint_hooks(spec, worker_hooks, saving_listeners)
        with monitored_session.MonitoredTrainingSession(
            master=self._config.master,
            is_chief=self._config.is_chief,
            checkpoint_dir=self._model_dir,
            scaffold=spec.scaffold,
            hooks=worker_hooks,
            chief_only_hooks=tuple(chief_hooks) + tuple(spec.training_chief_hooks),
            save_checkpoint_secs=0,
            save_summaries_steps=self._config.save_summary_steps,
            config=self._session_config,
            max_wait_secs=self._config.session_creation_timeout_secs,
            log_step_count_steps=self._config.log_step_count_steps,
        ) as session:
            loss = None
            while not session.should_stop():
                _, loss = session.run([spec.train_op, spec.loss])
        if loss is None:
            logging.warning(
                "Training with estimator made no steps. Perhaps input is empty or misspecified."
            )
        return loss

    def _add_default_saver(self, spec):
        if spec.scaffold.saver or get_collection(GraphKeys.SAVERS):
            return
        saver = saver_lib.Saver(
            sharded=True,
            max_to_keep=self._config.keep_checkpoint_max,
            keep_checkpoint_every_n_hours=self._config.keep_checkpoint_every_n_hours,
            defer_build=True,
            save_relative_paths=True,
        )
        add_to_collection(GraphKeys.SAVERS, saver)

    def _checkpoint_hooks(self, spec, worker_hooks, saving_listeners):
        """The chief's CheckpointSaverHook (unless one is given), with the listeners."""
        chief_hooks = []
        all_hooks = worker_hooks + list(spec.training_chief_hooks)
        saver_hooks = [h for h in all_hooks if isinstance(h, hooks_lib.CheckpointSaverHook)]
        config = self._config
        if (config.save_checkpoints_secs or config.save_checkpoints_steps) and not saver_hooks:
            chief_hooks = [
                hooks_lib.CheckpointSaverHook(
                    self._model_dir,
                    save_secs=config.save_checkpoints_secs,
                    save_steps=config.save_checkpoints_steps,
                    scaffold=spec.scaffold,
                )
            ]
            saver_hooks = chief_hooks
        if saving_listeners and not saver_hooks:
            raise ValueError(
                "There should be a CheckpointSaverHook to use saving_listeners. Please set one "
                "of the RunConfig.save_checkpoints_steps or RunConfig.save_checkpoints_secs."
            )
        for listener in saving_listeners:
            if listener not in saver_hooks[0]._listeners:
                saver_hooks[0]._listeners.append(listener)
        return chief_hooks

    def evaluate(self, input_fn, steps=None, hooks=None, checkpoint_path=None, name=None):
        """Evaluates the model given evaluation data `input_fn`.

        For each step, calls `input_fn`'s next batch until `steps` batches are processed
        or `input_fn` raises an end-of-input exception. The metrics (the model's
        `eval_metric_ops`, `loss` and `global_step`) are written as summaries to
        `eval_dir(name)`.

        Args:
          input_fn: A function that constructs the input data for evaluation.
          steps: Number of steps for which to evaluate model. If `None`, evaluates
            until `input_fn` raises an end-of-input exception.
          hooks: List of `tf.train.SessionRunHook` instances.
          checkpoint_path: Path of a specific checkpoint to evaluate. If `None`, the
            latest checkpoint in `model_dir` is used (or, without one, the model is
            evaluated with newly initialized variables).
          name: Name of the evaluation if user needs to run multiple evaluations on
            different data sets. Metrics are stored in separate folders.

        Returns:
          A dict containing the evaluation metrics specified in `model_fn` keyed by
          name, as well as `loss` and `global_step`.

        Raises:
          ValueError: If `steps <= 0`.
        """
        hooks = _check_hooks_type(hooks)
        if steps is not None:
            if steps <= 0:
                raise ValueError(f"Must specify steps > 0, given: {steps}")
            hooks.append(evaluation.StopAfterNEvalsHook(num_evals=steps))
        if not checkpoint_path:
            checkpoint_path = self.latest_checkpoint()
            if not checkpoint_path:
                logging.info(
                    f"Could not find trained model in model_dir: {self._model_dir}, "
                    "running initialization to evaluate."
                )
        with Graph().as_default():
            scaffold, update_op, eval_dict, all_hooks = self._evaluate_build_graph(
                input_fn, hooks, checkpoint_path
            )
            results = evaluation.evaluate_once(
                checkpoint_path,
                self._config.evaluation_master,
                scaffold,
                update_op,
                eval_dict,
                all_hooks,
                self._session_config,
            )
        step = results[GraphKeys.GLOBAL_STEP]
        _write_dict_to_summary(self.eval_dir(name), results, step)
        if checkpoint_path:
            _write_checkpoint_path_to_summary(self.eval_dir(name), checkpoint_path, step)
        return results

    def _evaluate_build_graph(self, input_fn, hooks, checkpoint_path):
        random_seed.set_random_seed(self._config.tf_random_seed)
        training_util.create_global_step(get_default_graph())
        features, labels, input_hooks = self._features_and_labels(input_fn, ModeKeys.EVAL)
        spec = self._call_model_fn(features, labels, ModeKeys.EVAL, self._config)
        metric_ops = _verify_and_create_loss_metric(spec.eval_metric_ops, spec.loss)
        update_op, eval_dict = _extract_metric_update_ops(metric_ops)
        self._maybe_warm_start(checkpoint_path)
        if GraphKeys.GLOBAL_STEP in eval_dict:
            raise ValueError(
                "Metric with name `global_step` is not allowed, because Estimator already "
                "defines a default metric with the same name."
            )
        eval_dict[GraphKeys.GLOBAL_STEP] = training_util.get_global_step()
        all_hooks = list(input_hooks) + list(hooks) + list(spec.evaluation_hooks)
        scaffold = spec.scaffold
        if scaffold.local_init_op is not None:
            # The metrics' new local variables must be initialized too.
            evaluation.get_or_create_eval_step()
            local_init = control_flow_ops.group(
                scaffold.local_init_op, monitored_session.Scaffold.default_local_init_op()
            )
            scaffold = monitored_session.Scaffold(
                local_init_op=local_init, copy_from_scaffold=scaffold
            )
        return scaffold, update_op, eval_dict, all_hooks

    def predict(
        self,
        input_fn,
        predict_keys=None,
        hooks=None,
        checkpoint_path=None,
        yield_single_examples=True,
    ):
        """Yields predictions for given features.

        Prediction continues until `input_fn` raises an end-of-input exception
        (`tf.errors.OutOfRangeError` or `StopIteration`).

        Args:
          input_fn: A function that constructs the features: a `tf.data.Dataset`, a
            `Tensor` or dict of them, or a tuple whose first item is the features.
          predict_keys: list of `str`, name of the keys to predict (when
            `EstimatorSpec.predictions` is a `dict`). If `None`, returns all.
          hooks: List of `tf.train.SessionRunHook` instances.
          checkpoint_path: Path of a specific checkpoint to predict. If `None`, the
            latest checkpoint in `model_dir` is used (or newly initialized variables).
          yield_single_examples: If `False`, yields the whole batch as returned by the
            `model_fn` instead of decomposing the batch into individual elements.

        Yields:
          Evaluated values of `predictions` tensors.

        Raises:
          ValueError: If batch length of predictions is not the same and
            `yield_single_examples` is `True`, or `predict_keys` does not match
            `predictions`.
        """
        hooks = _check_hooks_type(hooks)
        checkpoint_path = checkpoint_path or self.latest_checkpoint()
        if not checkpoint_path:
            logging.info(
                f"Could not find trained model in model_dir: {self._model_dir}, "
                "running initialization to predict."
            )
        with Graph().as_default() as g:
            random_seed.set_random_seed(self._config.tf_random_seed)
            training_util.create_global_step(g)
            features, _, input_hooks = self._features_and_labels(input_fn, ModeKeys.PREDICT)
            spec = self._call_model_fn(features, None, ModeKeys.PREDICT, self._config)
            self._maybe_warm_start(checkpoint_path)
            predictions = _extract_keys(spec.predictions, predict_keys)
            all_hooks = list(input_hooks) + hooks + list(spec.prediction_hooks)
            creator = monitored_session.ChiefSessionCreator(
                checkpoint_filename_with_path=checkpoint_path,
                master=self._config.master,
                scaffold=spec.scaffold,
                config=self._session_config,
            )
            with monitored_session.MonitoredSession(creator, all_hooks) as session:
                while not session.should_stop():
                    batch = session.run(predictions)
                    yield from _split_batch(
                        batch, isinstance(predictions, dict), yield_single_examples
                    )

    def export_saved_model(
        self,
        export_dir_base,
        serving_input_receiver_fn,
        assets_extra=None,
        as_text=False,
        checkpoint_path=None,
        experimental_mode=ModeKeys.PREDICT,
    ):
        """Exports inference graph as a `SavedModel` into the given dir.

        Calls `serving_input_receiver_fn` for a `ServingInputReceiver`, builds the
        `model_fn` in `experimental_mode` on its features, restores the latest (or the
        given) checkpoint and writes a SavedModel with one signature per export output
        into a new timestamped directory under `export_dir_base`.

        Example:
          >>> export_dir = estimator.export_saved_model(
          ...     "/tmp/export", tf.estimator.export.build_raw_serving_input_receiver_fn(
          ...         {"x": tf.placeholder(tf.float32, [None, 3])}))

        Args:
          export_dir_base: A string containing a directory in which to create timestamped
            subdirectories containing exported `SavedModel`s.
          serving_input_receiver_fn: A function that takes no argument and returns a
            `tf.estimator.export.ServingInputReceiver` or `TensorServingInputReceiver`.
          assets_extra: A dict specifying how to populate the assets.extra directory
            within the exported `SavedModel`, or `None` if no extra assets are needed.
          as_text: whether to write the `SavedModel` proto in text format.
          checkpoint_path: The checkpoint path to export. If `None` (the default), the
            most recent checkpoint found within the model directory is chosen.
          experimental_mode: `tf.estimator.ModeKeys` value indicating with mode will be
            exported (only `PREDICT` in flowgraph).

        Returns:
          The string path to the exported directory.

        Raises:
          ValueError: if no `serving_input_receiver_fn` is provided, no
            `export_outputs` are provided, or no checkpoint can be found.
        """
        if not serving_input_receiver_fn:
            raise ValueError("An input_receiver_fn must be defined.")
        if experimental_mode != ModeKeys.PREDICT:
            raise NotImplementedError("flowgraph exports the PREDICT mode only.")
        checkpoint_path = checkpoint_path or self._checkpoint_to_export()
        export_dir = get_timestamped_export_dir(export_dir_base)
        temp_dir = os.path.join(os.path.dirname(export_dir), "temp-" + os.path.basename(export_dir))
        builder = SavedModelBuilder(temp_dir)
        self._add_meta_graph_for_mode(
            builder, serving_input_receiver_fn, checkpoint_path, experimental_mode
        )
        builder.save(as_text)
        for relative, source in (assets_extra or {}).items():
            destination = os.path.join(temp_dir, "assets.extra", relative)
            os.makedirs(os.path.dirname(destination), exist_ok=True)
            shutil.copyfile(source, destination)
        os.rename(temp_dir, export_dir)
        return export_dir

    def export_savedmodel(
        self,
        export_dir_base,
        serving_input_receiver_fn,
        assets_extra=None,
        as_text=False,
        checkpoint_path=None,
        strip_default_attrs=False,
    ):
        """Exports inference graph as a `SavedModel` into the given dir (deprecated name
        of `export_saved_model`)."""
        return self.export_saved_model(
            export_dir_base, serving_input_receiver_fn, assets_extra, as_text, checkpoint_path
        )

    def _checkpoint_to_export(self):
        path = self.latest_checkpoint()
        if path:
            return path
        if not self._warm_start_settings:
            raise ValueError(f"Couldn't find trained model at {self._model_dir}.")
        path = self._warm_start_settings.ckpt_to_initialize_from
        return checkpoint_management.latest_checkpoint(path) if os.path.isdir(path) else path

    def _add_meta_graph_for_mode(self, builder, receiver_fn, checkpoint_path, mode):
        with Graph().as_default() as g:
            training_util.create_global_step(g)
            random_seed.set_random_seed(self._config.tf_random_seed)
            receiver = receiver_fn()
            spec = self._call_model_fn(
                receiver.features, getattr(receiver, "labels", None), mode, self._config
            )
            outputs = model_fn_lib.get_export_outputs(spec.export_outputs, spec.predictions)
            signatures = build_all_signature_defs(
                receiver.receiver_tensors, outputs, receiver.receiver_tensors_alternatives
            )
            local_init_op = spec.scaffold.local_init_op
            if local_init_op is None:
                local_init_op = monitored_session.Scaffold.default_local_init_op()
            graph_saver = spec.scaffold.saver or saver_lib.Saver(sharded=True)
            with Session(config=self._session_config) as session:
                _restore_for_export(graph_saver, session, checkpoint_path, mode)
                builder.add_meta_graph_and_variables(
                    session,
                    _EXPORT_TAGS[mode],
                    signature_def_map=signatures,
                    main_op=local_init_op,
                    saver=graph_saver,
                    strip_default_attrs=True,
                )

    def _features_and_labels(self, input_fn, mode):
        return parse_input_fn_result(self._call_input_fn(input_fn, mode))

    def _call_input_fn(self, input_fn, mode):
        args = model_fn_lib.fn_args(input_fn)
        kwargs = {"mode": mode, "params": self.params, "config": self.config}
        with device("/cpu:0"):
            return input_fn(**{k: v for k, v in kwargs.items() if k in args})

    def _call_model_fn(self, features, labels, mode, config):
        args = model_fn_lib.fn_args(self._model_fn)
        if "labels" not in args and labels is not None:
            raise ValueError("model_fn does not take labels, but input_fn returns labels.")
        kwargs = {"labels": labels, "mode": mode, "params": self.params, "config": config}
        logging.info("Calling model_fn.")
        spec = self._model_fn(features=features, **{k: v for k, v in kwargs.items() if k in args})
        logging.info("Done calling model_fn.")
        if not isinstance(spec, model_fn_lib.EstimatorSpec):
            raise ValueError("model_fn should return an EstimatorSpec.")
        return spec

    def _maybe_warm_start(self, checkpoint_path):
        if not checkpoint_path and self._warm_start_settings:
            logging.info("Warm-starting with WarmStartSettings: %s", self._warm_start_settings)
            warm_starting_util.warm_start(*self._warm_start_settings)


_WARM_START_FIELDS = [
    "ckpt_to_initialize_from",
    "vars_to_warm_start",
    "var_name_to_vocab_info",
    "var_name_to_prev_var_name",
]


class WarmStartSettings(collections.namedtuple("WarmStartSettings", _WARM_START_FIELDS)):
    """Settings for warm-starting in `tf.estimator.Estimators`.

    Example:
      >>> ws = tf.estimator.WarmStartSettings(
      ...     ckpt_to_initialize_from="/tmp/prev_model_dir", vars_to_warm_start=".*dense.*")
      >>> estimator = tf.estimator.Estimator(model_fn, warm_start_from=ws)

    Args:
      ckpt_to_initialize_from: [Required] A string specifying the directory with
        checkpoint file(s) or path to checkpoint from which to warm-start.
      vars_to_warm_start: [Optional] A regular expression (or list of them, or of
        Variables) choosing the variables to warm-start (default `'.*'`: every
        trainable variable).
      var_name_to_vocab_info: [Optional] Dict of variable names to
        `tf.estimator.VocabInfo`.
      var_name_to_prev_var_name: [Optional] Dict of variable names to the name of the
        previously-trained variable in `ckpt_to_initialize_from`.
    """

    def __new__(
        cls,
        ckpt_to_initialize_from,
        vars_to_warm_start=".*",
        var_name_to_vocab_info=None,
        var_name_to_prev_var_name=None,
    ):
        if not ckpt_to_initialize_from:
            raise ValueError("`ckpt_to_initialize_from` MUST be set in WarmStartSettings")
        return super().__new__(
            cls,
            ckpt_to_initialize_from,
            vars_to_warm_start,
            var_name_to_vocab_info or {},
            var_name_to_prev_var_name or {},
        )


_ALLOWED_OVERRIDES = {"model_fn", "_create_and_assert_global_step", "_export_all_saved_models"}


def _assert_members_are_not_overridden(cls, obj):
    """A subclass may configure an Estimator but not change how it trains (TF's rule)."""
    common = {m for m in dir(cls) if not m.startswith("__")} & set(type(obj).__dict__)
    overridden = sorted(
        m for m in common - _ALLOWED_OVERRIDES if getattr(cls, m) != getattr(type(obj), m)
    )
    if overridden:
        raise ValueError(
            "Subclasses of Estimator cannot override members of Estimator. "
            f"{type(obj)} does override {overridden}"
        )


def _default_warm_start_settings(warm_start_from):
    if warm_start_from is None:
        return None
    if isinstance(warm_start_from, (str, bytes, os.PathLike)):
        path = os.fsdecode(warm_start_from)
        variables = os.path.join(path, constants.VARIABLES_DIRECTORY)
        if os.path.exists(os.path.join(variables, "variables.index")):
            logging.info("Warm-starting from a SavedModel")
            return WarmStartSettings(os.path.join(variables, constants.VARIABLES_FILENAME))
        return WarmStartSettings(ckpt_to_initialize_from=path)
    if isinstance(warm_start_from, WarmStartSettings):
        return warm_start_from
    raise ValueError(
        "warm_start_from must be a string or a WarmStartSettings, instead got "
        f"{type(warm_start_from)}"
    )


def _overwrite_model_dir_and_session_config(config, model_dir):
    if config is None:
        config = run_config_lib.RunConfig()
        logging.info("Using default config.")
    if not isinstance(config, run_config_lib.RunConfig):
        raise ValueError(f"config must be an instance of `RunConfig`, but provided {config}.")
    if config.session_config is None:
        config = config.replace(session_config=run_config_lib.get_default_session_config())
    model_dir = os.fspath(model_dir) if model_dir is not None else None
    if model_dir is not None and config.model_dir is not None and config.model_dir != model_dir:
        raise ValueError(
            "`model_dir` are set both in constructor and `RunConfig`, but with different "
            f"values. In constructor: '{model_dir}', in `RunConfig`: '{config.model_dir}' "
        )
    if model_dir:
        return config.replace(model_dir=model_dir)
    if config.model_dir is None:
        model_dir = tempfile.mkdtemp()
        logging.warning("Using temporary folder as model directory: %s", model_dir)
        return config.replace(model_dir=model_dir)
    return config


def _replica_device_setter(config):
    if not config.num_ps_replicas:
        return None
    return device_setter.replica_device_setter(
        ps_tasks=config.num_ps_replicas,
        merge_devices=True,
        worker_device=f"/job:{config.task_type}/task:{config.task_id}",
        ps_ops=list(device_setter.STANDARD_PS_OPS),
        cluster=config.cluster_spec,
    )


class _DatasetInitializerHook(SessionRunHook):
    """Initializes the input_fn's dataset iterator once the session exists."""

    def __init__(self, iterator):
        self._iterator = iterator

    def begin(self):
        self._initializer = self._iterator.initializer

    def after_create_session(self, session, coord):
        session.run(self._initializer)


def parse_input_fn_result(result):
    """`(features, labels, input_hooks)` from what an `input_fn` returned."""
    input_hooks = []
    if isinstance(result, Dataset):
        iterator = result.make_initializable_iterator()
        input_hooks.append(_DatasetInitializerHook(iterator))
        result = iterator.get_next()
    if isinstance(result, (list, tuple)):
        if len(result) != 2:
            raise ValueError("input_fn should return (features, labels) as a len 2 tuple.")
        return result[0], result[1], input_hooks
    return result, None, input_hooks


def _check_train_steps(steps, max_steps):
    if steps is not None and max_steps is not None:
        raise ValueError("Can not provide both steps and max_steps.")
    if steps is not None and steps <= 0:
        raise ValueError(f"Must specify steps > 0, given: {steps}")
    if max_steps is not None and max_steps <= 0:
        raise ValueError(f"Must specify max_steps > 0, given: {max_steps}")


def _global_step_in(model_dir):
    path = checkpoint_management.latest_checkpoint(model_dir)
    if not path:
        return 0
    return checkpoint_utils.load_checkpoint(path).get_tensor(GraphKeys.GLOBAL_STEP)


def _check_checkpoint_available(model_dir):
    if not checkpoint_management.latest_checkpoint(model_dir):
        raise ValueError(f"Could not find trained model in model_dir: {model_dir}.")


def _check_hooks_type(hooks):
    hooks = list(hooks or [])
    for hook in hooks:
        if not isinstance(hook, SessionRunHook):
            raise TypeError(f"Hooks must be a SessionRunHook, given: {hook}")
    return hooks


def _check_listeners_type(saving_listeners):
    listeners = list(saving_listeners or [])
    for listener in listeners:
        if not isinstance(listener, hooks_lib.CheckpointSaverListener):
            raise TypeError(
                f"saving_listeners must be a list of CheckpointSaverListener, given: {listener}"
            )
    return listeners


def _verify_and_create_loss_metric(eval_metric_ops, loss):
    if model_fn_lib.LOSS_METRIC_KEY in eval_metric_ops:
        raise ValueError(
            f'Metric with name "{model_fn_lib.LOSS_METRIC_KEY}" is not allowed, because '
            "Estimator already defines a default metric with the same name."
        )
    metric_ops = dict(eval_metric_ops)
    metric_ops[model_fn_lib.LOSS_METRIC_KEY] = metrics_impl.mean(loss)
    return metric_ops


def _extract_metric_update_ops(eval_dict):
    """The grouped update ops and the value tensors, in sorted key order (a stable graph)."""
    update_ops = [eval_dict[name][1] for name in sorted(eval_dict)]
    values = {name: eval_dict[name][0] for name in sorted(eval_dict)}
    return (control_flow_ops.group(*update_ops) if update_ops else None), values


def _extract_keys(predictions, predict_keys):
    if not predict_keys:
        return predictions
    if not isinstance(predictions, dict):
        raise ValueError("predict_keys argument is not valid in case of non-dict predictions.")
    existing_keys = predictions.keys()
    predictions = {key: value for key, value in predictions.items() if key in predict_keys}
    if not predictions:
        raise ValueError(
            f"Expected to run at least one output from {existing_keys}, provided {predict_keys}."
        )
    return predictions


def _split_batch(batch, is_dict, yield_single_examples):
    if not yield_single_examples:
        return [batch]
    if not is_dict:
        return list(batch)
    return [{key: value[i] for key, value in batch.items()} for i in range(_batch_length(batch))]


def _batch_length(batch):
    length = None
    for key, value in batch.items():
        length = length or value.shape[0]
        if value.shape[0] != length:
            raise ValueError(
                f"Batch length of predictions should be same. {key} has different "
                "batch length than others."
            )
    return length


def _restore_for_export(graph_saver, session, checkpoint_path, mode):
    try:
        graph_saver.restore(session, checkpoint_path)
    except errors.NotFoundError as e:
        raise ValueError(
            "Could not load all requested variables from checkpoint. Please make sure your "
            "model_fn does not expect variables that were not saved in the checkpoint.\n\n"
            f"Encountered error with mode `{mode}` while restoring checkpoint from: "
            f"`{checkpoint_path}`. Full Traceback:\n\n{e}"
        ) from None


def get_timestamped_export_dir(export_dir_base):
    """A new `export_dir_base/<seconds since epoch>` path (not created), retried for 10 s."""
    for attempt in range(1, 11):
        result = os.path.join(os.fsdecode(export_dir_base), str(int(time.time())))
        if not os.path.exists(result):
            return result
        time.sleep(1)
        logging.warning(f"Directory {result} already exists; retrying (attempt {attempt}/10)")
    raise RuntimeError("Failed to obtain a unique export directory name after 10 attempts.")


def build_all_signature_defs(receiver_tensors, export_outputs, receiver_tensors_alternatives=None):
    """The serving SignatureDefs of every export output (and receiver alternative).

    An output that cannot be a signature of these inputs (a Classify signature of
    non-string inputs) is left out with a log line, as TF does.
    """
    if not isinstance(receiver_tensors, dict):
        receiver_tensors = {SINGLE_RECEIVER_DEFAULT_NAME: receiver_tensors}
    groups = {None: receiver_tensors}
    for name, group in (receiver_tensors_alternatives or {}).items():
        groups[name] = group if isinstance(group, dict) else {SINGLE_RECEIVER_DEFAULT_NAME: group}
    signatures = {}
    for receiver_name, group in groups.items():
        for output_key, output in export_outputs.items():
            name = str(output_key) if receiver_name is None else f"{receiver_name}:{output_key}"
            try:
                signatures[name] = output.as_signature_def(group)
            except ValueError as e:
                logging.info(f"Signature {name} was not exported: {e}")
    return {k: v for k, v in signatures.items() if signature_def_utils.is_valid_signature(v)}


def _write_dict_to_summary(output_dir, dictionary, current_global_step):
    """Writes the evaluation results to `output_dir` as one Summary at the step."""
    logging.info(
        "Saving dict for global step %d: %s",
        current_global_step,
        ", ".join(f"{k} = {v}" for k, v in sorted(dictionary.items()) if not isinstance(v, bytes)),
    )
    summary = summary_pb2.Summary()
    for key, value in dictionary.items():
        if value is not None and key != "global_step":
            _add_summary_value(summary, key, value)
    writer = FileWriterCache.get(output_dir)
    writer.add_summary(summary, current_global_step)
    writer.flush()


def _add_summary_value(summary, key, value):
    if isinstance(value, (float, int, np.floating, np.integer)) and np.ndim(value) == 0:
        summary.value.add(tag=key, simple_value=float(value))
    elif isinstance(value, bytes):
        parsed = summary_pb2.Summary.FromString(value)
        for i, entry in enumerate(parsed.value):
            entry.tag = f"{key}/{i}"
        summary.value.extend(parsed.value)
    elif isinstance(value, np.ndarray):
        entry = summary.value.add(tag=key, node_name=key)
        entry.tensor.CopyFrom(tensor_util.make_tensor_proto(value))
    else:
        logging.warning(
            f"Skipping summary for {key}, must be a float, np.float32, np.int64, "
            "np.int32 or int or np.ndarray or a serialized string of Summary."
        )


def _write_checkpoint_path_to_summary(output_dir, checkpoint_path, current_global_step):
    summary = summary_pb2.Summary()
    summary.value.add(
        tag="checkpoint_path", tensor=tensor_util.make_tensor_proto(checkpoint_path.encode())
    )
    writer = FileWriterCache.get(output_dir)
    writer.add_summary(summary, current_global_step)
    writer.flush()
