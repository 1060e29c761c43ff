"""`tf.estimator.Exporter`s: export a SavedModel from `train_and_evaluate`'s evaluations
(the latest, the best so far, or the final one)."""

from __future__ import annotations

import glob
import os
import shutil

from flowgraph import logging
from flowgraph.estimator.model_fn import fn_args
from flowgraph.train.summary_iterator import summary_iterator


class Exporter:
    """A class representing a type of model export."""

    @property
    def name(self):
        """Directory name: exports go to `model_dir/export/<name>/<timestamp>`."""
        raise NotImplementedError

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        """Exports the given `Estimator` to a specific format.

        Args:
          estimator: the `Estimator` to export.
          export_path: A string containing a directory where to write the export.
          checkpoint_path: The checkpoint path to export.
          eval_result: The output of `Estimator.evaluate` on this checkpoint.
          is_the_final_export: This boolean is True when this is an export in the end
            of training. It is False for the intermediate exports during the training.

        Returns:
          The string path to the exported directory or `None` if export is skipped.
        """
        raise NotImplementedError


class _SavedModelExporter(Exporter):
    """Exports the serving graph and checkpoints with `Estimator.export_saved_model`."""

    def __init__(self, name, serving_input_receiver_fn, assets_extra=None, as_text=False):
        self._name = name
        self._serving_input_receiver_fn = serving_input_receiver_fn
        self._assets_extra = assets_extra
        self._as_text = as_text

    @property
    def name(self):
        return self._name

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        return estimator.export_saved_model(
            export_path,
            self._serving_input_receiver_fn,
            assets_extra=self._assets_extra,
            as_text=self._as_text,
            checkpoint_path=checkpoint_path,
        )


def _check_exports_to_keep(exports_to_keep):
    if exports_to_keep is not None and exports_to_keep <= 0:
        raise ValueError(
            f"`exports_to_keep`, if provided, must be a positive number. Got {exports_to_keep}"
        )


def _garbage_collect_exports(export_dir_base, exports_to_keep):
    """Deletes all but the `exports_to_keep` newest timestamped exports."""
    if exports_to_keep is None or not os.path.isdir(export_dir_base):
        return
    versions = sorted(
        int(name) for name in os.listdir(export_dir_base) if len(name) == 10 and name.isdigit()
    )
    for version in versions[:-exports_to_keep]:
        shutil.rmtree(os.path.join(export_dir_base, str(version)), ignore_errors=True)


class LatestExporter(Exporter):
    """This class regularly exports the serving graph and checkpoints.

    In addition to exporting, this class also garbage collects stale exports.

    Args:
      name: unique name of this `Exporter` that is going to be used in the export path.
      serving_input_receiver_fn: a function that takes no arguments and returns a
        `ServingInputReceiver`.
      assets_extra: An optional dict specifying how to populate the assets.extra
        directory within the exported SavedModel.
      as_text: whether to write the SavedModel proto in text format.
      exports_to_keep: Number of exports to keep. Older exports will be
        garbage-collected. Defaults to 5. Set to `None` to disable garbage collection.

    Raises:
      ValueError: if any arguments is invalid.
    """

    def __init__(
        self, name, serving_input_receiver_fn, assets_extra=None, as_text=False, exports_to_keep=5
    ):
        self._saved_model_exporter = _SavedModelExporter(
            name, serving_input_receiver_fn, assets_extra, as_text
        )
        _check_exports_to_keep(exports_to_keep)
        self._exports_to_keep = exports_to_keep

    @property
    def name(self):
        return self._saved_model_exporter.name

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        export_result = self._saved_model_exporter.export(
            estimator, export_path, checkpoint_path, eval_result, is_the_final_export
        )
        _garbage_collect_exports(export_path, self._exports_to_keep)
        return export_result


class FinalExporter(Exporter):
    """This class exports the serving graph and checkpoints at the end of training.

    Args:
      name: unique name of this `Exporter` that is going to be used in the export path.
      serving_input_receiver_fn: a function that takes no arguments and returns a
        `ServingInputReceiver`.
      assets_extra: An optional dict specifying how to populate the assets.extra
        directory within the exported SavedModel.
      as_text: whether to write the SavedModel proto in text format.
    """

    def __init__(self, name, serving_input_receiver_fn, assets_extra=None, as_text=False):
        self._saved_model_exporter = _SavedModelExporter(
            name, serving_input_receiver_fn, assets_extra, as_text
        )

    @property
    def name(self):
        return self._saved_model_exporter.name

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        if not is_the_final_export:
            return None
        logging.info("Performing the final export in the end of training.")
        return self._saved_model_exporter.export(
            estimator, export_path, checkpoint_path, eval_result, is_the_final_export
        )


def _loss_smaller(best_eval_result, current_eval_result):
    """Compares two evaluation results and returns true if the 2nd one's loss is smaller."""
    if not best_eval_result or "loss" not in best_eval_result:
        raise ValueError("best_eval_result cannot be empty or no loss is found in it.")
    if not current_eval_result or "loss" not in current_eval_result:
        raise ValueError("current_eval_result cannot be empty or no loss is found in it.")
    return best_eval_result["loss"] > current_eval_result["loss"]


def _verify_compare_fn_args(compare_fn):
    args = set(fn_args(compare_fn))
    for required in ("best_eval_result", "current_eval_result"):
        if required not in args:
            raise ValueError(f"compare_fn ({compare_fn}) must include {required} argument.")
    unexpected = list(args - {"best_eval_result", "current_eval_result"})
    if unexpected:
        raise ValueError(f"compare_fn ({compare_fn}) has following not expected args: {unexpected}")


class BestExporter(Exporter):
    """This class exports the serving graph and checkpoints of the best models.

    This class performs a model export everytime the new model is better than any
    existing model (by default: its evaluation `loss` is smaller). The best result so
    far is read back from the evaluation event files, so a restarted job keeps it.

    Example:
      >>> exporter = tf.estimator.BestExporter(
      ...     name="best_exporter", serving_input_receiver_fn=serving_input_receiver_fn,
      ...     exports_to_keep=5)
      >>> eval_spec = tf.estimator.EvalSpec(eval_input_fn, exporters=exporter)

    Args:
      name: unique name of this `Exporter` that is going to be used in the export path.
      serving_input_receiver_fn: a function that takes no arguments and returns a
        `ServingInputReceiver`.
      event_file_pattern: event file name pattern relative to model_dir. If None, the
        exporter would not be preemption-safe.
      compare_fn: a function `(best_eval_result, current_eval_result)` returning True
        if the current evaluation result is better.
      assets_extra: An optional dict specifying how to populate the assets.extra
        directory within the exported SavedModel.
      as_text: whether to write the SavedModel proto in text format.
      exports_to_keep: Number of exports to keep (`None`: keep all).

    Raises:
      ValueError: if any argument is invalid.
    """

    def __init__(
        self,
        name="best_exporter",
        serving_input_receiver_fn=None,
        event_file_pattern="eval/*.tfevents.*",
        compare_fn=_loss_smaller,
        assets_extra=None,
        as_text=False,
        exports_to_keep=5,
    ):
        if compare_fn is None:
            raise ValueError("`compare_fn` must not be None.")
        _verify_compare_fn_args(compare_fn)
        self._compare_fn = compare_fn
        self._saved_model_exporter = _SavedModelExporter(
            name, serving_input_receiver_fn, assets_extra, as_text
        )
        self._event_file_pattern = event_file_pattern
        self._model_dir = None
        self._best_eval_result = None
        _check_exports_to_keep(exports_to_keep)
        self._exports_to_keep = exports_to_keep

    @property
    def name(self):
        return self._saved_model_exporter.name

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        if self._model_dir != estimator.model_dir and self._event_file_pattern:
            logging.info("Loading best metric from event files.")
            self._model_dir = estimator.model_dir
            pattern = os.path.join(self._model_dir, self._event_file_pattern)
            self._best_eval_result = self._get_best_eval_result(pattern)
        if self._best_eval_result is not None and not self._compare_fn(
            best_eval_result=self._best_eval_result, current_eval_result=eval_result
        ):
            return None
        logging.info("Performing best model export.")
        self._best_eval_result = eval_result
        export_result = self._saved_model_exporter.export(
            estimator, export_path, checkpoint_path, eval_result, is_the_final_export
        )
        _garbage_collect_exports(export_path, self._exports_to_keep)
        return export_result

    def _get_best_eval_result(self, event_files):
        best = None
        for event_file in glob.glob(event_files):
            for event in summary_iterator(event_file):
                result = {
                    v.tag: v.simple_value for v in event.summary.value if v.HasField("simple_value")
                }
                if result and (best is None or self._compare_fn(best, result)):
                    best = result
        return best
