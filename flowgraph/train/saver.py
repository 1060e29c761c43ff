"""`tf.train.Saver`: save and restore variables as graph ops (`SaveV2`, `RestoreV2`).

The saver is graph, as in TF: a filename tensor `save/Const`, a save op whose fetchable
result `save/control_dependency` is the path written, and a restore op `save/restore_all`
that assigns every variable from a `RestoreV2`. Its `SaverDef` names these, so a saver
rebuilt from a MetaGraph (`Saver(saver_def=...)`) works without the Python that built it.

Checkpoints are TensorFlow's V2 tensor bundles, so TensorFlow reads ours and we read its.
With `sharded=True` each device's variables go to their own `SaveV2` (one data file per
device) under `<prefix>_temp/part-<i>-of-<n>`, and `MergeV2Checkpoints` merges them into
`<prefix>`, as TF does.
"""

from __future__ import annotations

import numbers
import os
import time

import numpy as np
from tensorboard.compat.proto import saver_pb2
from tensorboard.compat.proto.saver_pb2 import SaverDef as SaverDef

from flowgraph import logging
from flowgraph.client.session import BaseSession
from flowgraph.framework import dtypes
from flowgraph.framework.ops import GraphKeys, Operation, Tensor, apply_op, get_default_graph
from flowgraph.framework.scopes import control_dependencies, device, name_scope
from flowgraph.ops import array_ops, control_flow_ops, state_ops, string_ops, variables
from flowgraph.ops.constant_op import constant, convert_to_tensor
from flowgraph.ops.partitioned_variables import PartitionedVariable
from flowgraph.train import checkpoint_management, training_util
from kernels import errors, io_checkpoint

_VARIABLE_OPS = ("Variable", "VariableV2", "AutoReloadVariable")


def save_v2(prefix, tensor_names, shape_and_slices, tensors, name=None) -> Operation:
    """A `SaveV2` op: writes `tensors` under `tensor_names` as the checkpoint `prefix`."""
    with name_scope(name, "SaveV2") as scope:
        return apply_op(
            "SaveV2",
            [_string(prefix), *_names_and_slices(tensor_names, shape_and_slices), *tensors],
            name=scope,
            dtypes=tuple(t.dtype.base_dtype.numpy_dtype for t in tensors),
        )


def save_slices(filename, tensor_names, shapes_and_slices, tensors, name=None) -> Operation:
    """A `SaveSlices` op: writes `tensors` as the V1 checkpoint file `filename`."""
    with name_scope(name, "save") as scope:
        return apply_op(
            "SaveSlices",
            [_string(filename), *_names_and_slices(tensor_names, shapes_and_slices), *tensors],
            name=scope,
            T=tuple(t.dtype.base_dtype.numpy_dtype for t in tensors),
        )


def restore_v2(prefix, tensor_names, shape_and_slices, dtypes_, name=None) -> list[Tensor]:
    """A `RestoreV2` op: the tensors `tensor_names` (of `dtypes_`) read from `prefix`."""
    with name_scope(name, "RestoreV2") as scope:
        out = apply_op(
            "RestoreV2",
            [_string(prefix), *_names_and_slices(tensor_names, shape_and_slices)],
            name=scope,
            dtypes=tuple(dtypes.as_dtype(d).base_dtype.numpy_dtype for d in dtypes_),
        )
    return list(out) if isinstance(out, tuple) else [out]


def sharded_filename(basename, shard, num_shards, name=None) -> Tensor:
    """A `ShardedFilename` op: `<basename>-<shard>-of-<num_shards>` (five digits each)."""
    with name_scope(name, "ShardedFilename") as scope:
        return apply_op(
            "ShardedFilename",
            [_string(basename), convert_to_tensor(shard, dtypes.int32), num_shards],
            name=scope,
        )


def merge_v2_checkpoints(checkpoint_prefixes, destination_prefix, name=None) -> Operation:
    """A `MergeV2Checkpoints` op: one checkpoint `destination_prefix` from the shards."""
    with name_scope(name, "MergeV2Checkpoints") as scope:
        prefixes = (
            array_ops.stack(list(checkpoint_prefixes))
            if isinstance(checkpoint_prefixes, (list, tuple))
            else checkpoint_prefixes
        )
        return apply_op(
            "MergeV2Checkpoints",
            [prefixes, _string(destination_prefix)],
            name=scope,
            delete_old_dirs=True,
            allow_missing_files=False,
        )


def _string(value) -> Tensor:
    return convert_to_tensor(value, dtype=dtypes.string)


def _names_and_slices(tensor_names, shape_and_slices) -> list[Tensor]:
    return [
        _string_list(tensor_names, "tensor_names"),
        _string_list(shape_and_slices, "shape_and_slices"),
    ]


def _string_list(values, name) -> Tensor:
    if isinstance(values, Tensor):
        return values
    return constant(np.array(list(values), dtype=object), dtype=dtypes.string, name=name)


class BaseSaverBuilder:
    """Builds the save and restore ops of a `Saver` (one `SaveV2`, one `RestoreV2`)."""

    class SaveSpec:
        """One tensor to save: the tensor, its slice spec ("" for all of it) and its name."""

        def __init__(self, tensor, slice_spec, name, dtype=None, device=None):
            self.tensor = tensor
            self.slice_spec = slice_spec
            self.name = name
            self.dtype = dtype or tensor.dtype.base_dtype
            self.device = tensor.device if device is None else device

    class SaveableObject:
        """Something saved as `specs` and restored by `restore(restored_tensors, shapes)`."""

        def __init__(self, op, specs, name):
            self.op = op
            self.specs = specs
            self.name = name

        def restore(self, restored_tensors, restored_shapes):
            """Returns an op that restores this object from `restored_tensors`."""
            raise NotImplementedError

    def __init__(self, write_version=saver_pb2.SaverDef.V2):
        if write_version not in (saver_pb2.SaverDef.V1, saver_pb2.SaverDef.V2):
            raise ValueError(f"Unknown checkpoint format version: {write_version}")
        self._write_version = write_version

    def save_op(self, filename_tensor, saveables) -> Operation:
        """The `SaveV2` op writing every spec of `saveables` to `filename_tensor` (V1: a
        `SaveSlices` writing the V1 checkpoint file `filename_tensor`)."""
        specs = [spec for s in saveables for spec in s.specs]
        if self._write_version == saver_pb2.SaverDef.V1:
            return save_slices(
                filename_tensor,
                [s.name for s in specs],
                [s.slice_spec for s in specs],
                [s.tensor for s in specs],
            )
        return save_v2(
            filename_tensor,
            [s.name for s in specs],
            [s.slice_spec for s in specs],
            [s.tensor for s in specs],
        )

    def sharded_save_op(self, checkpoint_prefix, saveables) -> Tensor:
        """TF's sharded V2 save: a `SaveV2` per device into a temporary prefix, then
        `MergeV2Checkpoints`; returns the prefix once merged. In the all-reduce mode of a
        job of processes, one shard per process (`flowgraph.distribute.checkpoint`)."""
        if self._write_version == saver_pb2.SaverDef.V1:
            return self._sharded_save_op_v1(checkpoint_prefix, saveables)
        shard = _job_checkpoint().job_shard()
        if shard is not None:
            return _job_checkpoint().job_sharded_save_op(self, checkpoint_prefix, saveables, shard)
        tmp_prefix = string_ops.string_join([checkpoint_prefix, os.path.normpath("_temp/part")])
        per_device = _group_by_device(saveables)
        num_shards = constant(len(per_device), dtype=dtypes.int32, name="num_shards")
        prefixes, saves = [], []
        for shard, (device_name, shard_saveables) in enumerate(per_device):
            with device(device_name):
                prefixes.append(sharded_filename(tmp_prefix, shard, num_shards))
                with control_dependencies([self.save_op(prefixes[-1], shard_saveables)]):
                    saves.append(array_ops.identity(prefixes[-1], name="control_dependency"))
        with control_dependencies(saves):
            merge = merge_v2_checkpoints(prefixes, checkpoint_prefix)
        with control_dependencies([merge]):
            return array_ops.identity(checkpoint_prefix)

    def _sharded_save_op_v1(self, filename_tensor, saveables) -> Tensor:
        """TF's sharded V1 save: a `SaveSlices` per device into `<filename>-<i>-of-<n>`;
        returns the pattern naming them all (`ShardedFilespec`)."""
        per_device = _group_by_device(saveables)
        num_shards = constant(len(per_device), dtype=dtypes.int32, name="num_shards")
        saves = []
        for shard, (device_name, shard_saveables) in enumerate(per_device):
            with device(device_name):
                name = sharded_filename(filename_tensor, shard, num_shards)
                saves.append(self.save_op(name, shard_saveables))
        with control_dependencies(saves):
            return apply_op(
                "ShardedFilespec", [_string(filename_tensor), num_shards], name="ShardedFilespec"
            )

    def bulk_restore(self, filename_tensor, saveables, preferred_shard, restore_sequentially):
        """One `RestoreV2` reading every spec of `saveables`; returns its tensors in order."""
        specs = [spec for s in saveables for spec in s.specs]
        return restore_v2(
            filename_tensor,
            [s.name for s in specs],
            [s.slice_spec for s in specs],
            [s.dtype for s in specs],
        )

    def build(
        self,
        names_to_saveables,
        reshape=False,
        sharded=False,
        max_to_keep=5,
        keep_checkpoint_every_n_hours=10000.0,
        name=None,
        restore_sequentially=False,
        filename="model",
    ) -> saver_pb2.SaverDef:
        """Adds save/restore ops for `names_to_saveables` and returns their `SaverDef`.

        Args:
          names_to_saveables: a list of variables (saved under their op names) or a dict
            from checkpoint names to variables or SaveableObjects.
          reshape: restore a tensor saved with a different shape but the same number of
            elements by reshaping it.
          sharded: write one data file per device (merged by `MergeV2Checkpoints`).
          max_to_keep, keep_checkpoint_every_n_hours: recorded in the SaverDef.
          name: the name scope of the ops (default "save").
          restore_sequentially: accepted for TF compatibility (one bulk restore is used).
          filename: the default checkpoint path of the filename tensor.
        """
        saveables = validate_and_slice_inputs(names_to_saveables)
        with name_scope(name, "save"):
            default = constant(filename or "model", dtype=dtypes.string, name="filename/input")
            filename_tensor = array_ops.placeholder_with_default(default, shape=(), name="filename")
            # The name "Const" is TF's, kept for checkpoints and tools that expect it.
            filename_tensor = array_ops.placeholder_with_default(
                filename_tensor, shape=(), name="Const"
            )
            if sharded:
                save_tensor = self.sharded_save_op(filename_tensor, saveables)
            else:
                save = self.save_op(filename_tensor, saveables)
                with control_dependencies([save]):
                    save_tensor = array_ops.identity(filename_tensor, name="control_dependency")
            restored = self.bulk_restore(filename_tensor, saveables, 0, restore_sequentially)
            restore_op = control_flow_ops.group(
                *self._restore_ops(saveables, restored, reshape), name="restore_all"
            )
        return saver_pb2.SaverDef(
            filename_tensor_name=filename_tensor.name,
            save_tensor_name=save_tensor.name,
            restore_op_name=restore_op.name,
            max_to_keep=max_to_keep or 0,
            sharded=sharded,
            keep_checkpoint_every_n_hours=keep_checkpoint_every_n_hours,
            version=self._write_version,
        )

    def _restore_ops(self, saveables, restored, reshape) -> list[Operation]:
        ops, i = [], 0
        for saveable in saveables:
            n = len(saveable.specs)
            shapes = [_shape_of(s.tensor) for s in saveable.specs] if reshape else None
            ops.append(saveable.restore(restored[i : i + n], shapes))
            i += n
        return ops


BulkSaverBuilder = BaseSaverBuilder


def _job_checkpoint():
    from flowgraph.distribute import checkpoint  # it builds on this module: lazy

    return checkpoint


def _group_by_device(saveables) -> list[tuple[str, list]]:
    """`[(device, saveables)]` sorted by device name (TF's shard order)."""
    per_device: dict[str, list] = {}
    for saveable in saveables:
        per_device.setdefault(saveable.specs[0].device, []).append(saveable)
    return sorted(per_device.items(), key=lambda item: item[0])


def _shape_of(tensor):
    shape = tensor.get_shape()
    return shape.as_list() if shape.is_fully_defined() else array_ops.shape(tensor)


class ReferenceVariableSaveable(BaseSaverBuilder.SaveableObject):
    """A `VariableV2` saved under `name` and restored by an `Assign`."""

    def __init__(self, var, slice_spec, name):
        super().__init__(var, [BaseSaverBuilder.SaveSpec(var, slice_spec, name)], name)

    def restore(self, restored_tensors, restored_shapes):
        restored = restored_tensors[0]
        if restored_shapes is not None:
            restored = array_ops.reshape(restored, restored_shapes[0])
        return state_ops.assign(
            self.op,
            restored,
            validate_shape=restored_shapes is None and self.op.get_shape().is_fully_defined(),
        )


def op_list_to_dict(op_list) -> dict:
    """`{checkpoint name: variable}` for a list of variables (named by their op names).

    Slices of a partitioned variable (variables with a `_save_slice_info`) share their
    full variable's name: `{full name: [slice variables]}`.

    Raises:
      TypeError: an element is not a variable or SaveableObject.
      ValueError: two of them have the same name.
    """
    if not isinstance(op_list, (list, tuple, set)):
        raise TypeError(f"Variables to save should be passed in a dict or a list: {op_list}")
    names: dict = {}
    # As TF: a PartitionedVariable stands for its slice variables.
    op_list = [v for x in op_list for v in (list(x) if isinstance(x, PartitionedVariable) else [x])]
    for var in sorted(op_list, key=lambda x: x.name):
        if isinstance(var, BaseSaverBuilder.SaveableObject):
            name = var.name
        elif _slice_info(var) is not None:
            slices = names.setdefault(_slice_info(var).full_name, [])
            if not isinstance(slices, list):
                raise ValueError(f"Mixing slices and non-slices with the same name: {var.name}")
            slices.append(var)
            continue
        else:
            if not _is_variable(var):
                raise TypeError(f"Variable to save is not a Variable: {var}")
            name = _ref(var).op.name
        if name in names:
            raise ValueError(f"At least two variables have the same name: {name}")
        names[name] = var
    return names


def validate_and_slice_inputs(names_to_saveables) -> list:
    """The SaveableObjects for a list or dict of variables and SaveableObjects."""
    if not isinstance(names_to_saveables, dict):
        names_to_saveables = op_list_to_dict(names_to_saveables)
    saveables, seen = [], set()
    for name, op in sorted(names_to_saveables.items(), key=lambda item: item[0]):
        for saveable in _saveables_for(op, name):
            key = saveable.op if isinstance(saveable.op, (Tensor, Operation)) else id(saveable)
            if key in seen:
                raise ValueError(f"The same saveable will be restored with two names: {name}")
            seen.add(key)
            saveables.append(saveable)
    return saveables


def _saveables_for(op, name) -> list:
    if isinstance(op, BaseSaverBuilder.SaveableObject):
        return [op]
    for var in op if isinstance(op, list) else [op]:
        if not _is_variable(var):
            raise TypeError(
                "names_to_saveables must be a dict mapping string names to "
                f"Tensors/Variables. Not a variable: {var}"
            )
    if isinstance(op, list):  # the slices of one partitioned variable
        return [ReferenceVariableSaveable(_ref(v), _slice_info(v).spec, name) for v in op]
    return [ReferenceVariableSaveable(_ref(op), "", name)]


def _slice_info(var):
    """A sliced variable's `SaveSliceInfo` (full_name, spec), or None."""
    return getattr(var, "_save_slice_info", None)


def _is_variable(x) -> bool:
    return isinstance(x, variables.Variable) or (
        isinstance(x, Tensor) and x.op.type in _VARIABLE_OPS
    )


def _ref(var) -> Tensor:
    return var._ref() if isinstance(var, variables.Variable) else var


class Saver:
    """Saves and restores variables.

    Example:
      >>> saver = tf.train.Saver()
      >>> saver.save(sess, "/tmp/run/model.ckpt", global_step=1000)
      '/tmp/run/model.ckpt-1000'
      >>> saver.restore(sess, tf.train.latest_checkpoint("/tmp/run"))

    Checkpoints are TensorFlow's V2 tensor bundles (`<path>.index`,
    `<path>.data-00000-of-00001`), written atomically: a process killed while saving leaves
    the previous checkpoint and the `checkpoint` state file intact. The save op copies the
    variables and writes them on a background thread, so other steps run meanwhile;
    `save` returns once the files are complete.
    """

    def __init__(
        self,
        var_list=None,
        reshape=False,
        sharded=False,
        max_to_keep=5,
        keep_checkpoint_every_n_hours=10000.0,
        name=None,
        restore_sequentially=False,
        saver_def=None,
        builder=None,
        defer_build=False,
        allow_empty=False,
        write_version=saver_pb2.SaverDef.V2,
        pad_step_number=False,
        save_relative_paths=False,
        filename=None,
    ):
        """Creates a `Saver`.

        Args:
          var_list: a list of variables or a dict from checkpoint names to variables;
            default: every global variable and SaveableObject.
          reshape: allow restoring a tensor saved with another shape of the same size.
          sharded: write one data file per device, merged into one checkpoint.
          max_to_keep: how many recent checkpoints to keep (0 or None: all).
          keep_checkpoint_every_n_hours: also keep one checkpoint per this many hours.
          name: the name scope of the saver's ops (with `saver_def`: an import scope).
          restore_sequentially: accepted for TF compatibility.
          saver_def: a `SaverDef` whose ops already exist (e.g. from a MetaGraph).
          builder: a `BaseSaverBuilder` (default: a bulk builder).
          defer_build: build the ops when `build()` is called.
          allow_empty: with no variables, save and restore do nothing (else ValueError).
          write_version: `SaverDef.V2` (the tensor bundle) or `SaverDef.V1` (TF 1.x's V1
            format: one file per shard, `kernels/checkpoint_v1.py`).
          pad_step_number: write the global step as 8 digits (`model-00001000`).
          save_relative_paths: write paths relative to the save directory in the
            `checkpoint` file.
          filename: the default path of the filename tensor.
        """
        if defer_build and var_list:
            raise ValueError(
                "If `var_list` is provided then build cannot be deferred. Either set "
                "defer_build=False or var_list=None."
            )
        self._var_list = var_list
        self._reshape = reshape
        self._sharded = sharded
        self._max_to_keep = max_to_keep
        self._keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
        self._name = name
        self._restore_sequentially = restore_sequentially
        self.saver_def = saver_def
        self._builder = builder
        self._is_built = False
        self._allow_empty = allow_empty
        self._is_empty = None
        self._write_version = write_version
        self._pad_step_number = pad_step_number
        self._filename = filename
        self._last_checkpoints: list[tuple[str, float]] = []
        self._checkpoints_to_be_deleted: list[tuple[str, float]] = []
        self._save_relative_paths = save_relative_paths
        self._job_shard = None  # (process index, count): a sharded save over an all-reduce job
        if not defer_build:
            self.build()
        if self.saver_def:
            self._check_saver_def()
            self._write_version = self.saver_def.version

    # -- building -----------------------------------------------------------------------

    def build(self) -> None:
        """Builds the save and restore ops (needed only with `defer_build=True`)."""
        if self._is_built:
            return
        if not self.saver_def:
            if self._builder is None:
                self._builder = BulkSaverBuilder(self._write_version)
            if self._var_list is None:
                self._var_list = _all_saveable_objects()
            if not self._var_list:
                if self._allow_empty:
                    self._is_empty = True
                    return
                raise ValueError("No variables to save")
            self._is_empty = False
            self._job_shard = _job_checkpoint().job_shard() if self._sharded else None
            self.saver_def = self._builder.build(
                self._var_list,
                reshape=self._reshape,
                sharded=self._sharded,
                max_to_keep=self._max_to_keep,
                keep_checkpoint_every_n_hours=self._keep_checkpoint_every_n_hours,
                name=self._name,
                restore_sequentially=self._restore_sequentially,
                filename=self._filename,
            )
        elif self._name:  # an imported saver: its ops live under the import scope
            for field in ("filename_tensor_name", "save_tensor_name", "restore_op_name"):
                setattr(self.saver_def, field, _prepend(getattr(self.saver_def, field), self._name))
        self._check_saver_def()
        self._next_checkpoint_time = (
            time.time() + self.saver_def.keep_checkpoint_every_n_hours * 3600
        )
        self._is_built = True

    def _check_saver_def(self) -> None:
        if not isinstance(self.saver_def, saver_pb2.SaverDef):
            raise ValueError(f"saver_def must be a saver_pb2.SaverDef: {self.saver_def}")
        for field in ("save_tensor_name", "restore_op_name"):
            if not getattr(self.saver_def, field):
                raise ValueError(f"saver_def must specify the {field}: {self.saver_def}")

    def as_saver_def(self) -> saver_pb2.SaverDef:
        """The `SaverDef` naming this saver's filename tensor, save tensor and restore op."""
        return self.saver_def

    def to_proto(self, export_scope=None) -> saver_pb2.SaverDef:
        """The `SaverDef` with `export_scope` stripped from its names."""
        if export_scope is None:
            return self.saver_def
        names = [self.saver_def.filename_tensor_name, self.saver_def.save_tensor_name]
        names.append(self.saver_def.restore_op_name)
        if not all(n.startswith(export_scope + "/") for n in names):
            return None
        out = saver_pb2.SaverDef()
        out.CopyFrom(self.saver_def)
        cut = len(export_scope) + 1
        out.filename_tensor_name = names[0][cut:]
        out.save_tensor_name = names[1][cut:]
        out.restore_op_name = names[2][cut:]
        return out

    @staticmethod
    def from_proto(saver_def, import_scope=None) -> "Saver":
        """A `Saver` for the ops a `SaverDef` names (under `import_scope`)."""
        return Saver(saver_def=saver_def, name=import_scope)

    # -- the list of recent checkpoints ------------------------------------------------------

    @property
    def last_checkpoints(self) -> list[str]:
        """The paths of the checkpoints not yet deleted, oldest first."""
        return [path for path, _ in self._last_checkpoints]

    def set_last_checkpoints(self, last_checkpoints) -> None:
        """DEPRECATED: use `set_last_checkpoints_with_time`. Sets the recent checkpoints."""
        if not isinstance(last_checkpoints, list):
            raise TypeError(f"last_checkpoints must be a list, got {last_checkpoints!r}")
        self._last_checkpoints = [(path, np.inf) for path in last_checkpoints]

    def set_last_checkpoints_with_time(self, last_checkpoints_with_time) -> None:
        """Sets the recent checkpoints as a list of (path, timestamp) pairs, oldest first."""
        if not isinstance(last_checkpoints_with_time, list):
            raise TypeError(f"expected a list, got {last_checkpoints_with_time!r}")
        self._last_checkpoints = list(last_checkpoints_with_time)

    def recover_last_checkpoints(self, checkpoint_paths) -> None:
        """Recovers the recent checkpoints (e.g. after a crash) from their files' mtimes.

        Args:
          checkpoint_paths: a list of checkpoint paths, oldest first (as in
            `get_checkpoint_state(...).all_model_checkpoint_paths`); those that no longer
            exist are skipped.
        """
        with_times = []
        for path in checkpoint_paths:
            mtimes = checkpoint_management.get_checkpoint_mtimes([path])
            if mtimes:
                with_times.append((path, mtimes[0]))
        self.set_last_checkpoints_with_time(with_times)

    def _record_last_checkpoint(self, path: str) -> None:
        if not self.saver_def.max_to_keep:
            return
        self._last_checkpoints = [p for p in self._last_checkpoints if p[0] != path]
        self._last_checkpoints.append((path, time.time()))
        if len(self._last_checkpoints) > self.saver_def.max_to_keep:
            self._checkpoints_to_be_deleted.append(self._last_checkpoints.pop(0))

    def _maybe_delete_old_checkpoints(self, meta_graph_suffix: str) -> None:
        if not self._checkpoints_to_be_deleted:
            return
        path, stamp = self._checkpoints_to_be_deleted.pop(0)
        if stamp > self._next_checkpoint_time:  # one per N hours is kept for good
            self._next_checkpoint_time += self.saver_def.keep_checkpoint_every_n_hours * 3600
            return
        try:
            checkpoint_management.remove_checkpoint(path, self.saver_def.version, meta_graph_suffix)
        except OSError as e:
            logging.warning("Ignoring: %s", e)

    # -- save and restore ---------------------------------------------------------------

    def save(
        self,
        sess,
        save_path,
        global_step=None,
        latest_filename=None,
        meta_graph_suffix="meta",
        write_meta_graph=True,
        write_state=True,
        strip_default_attrs=False,
        save_debug_info=False,
    ):
        """Saves variables.

        Runs the save op with `save_path` (suffixed with `-<global_step>` if given) fed to
        the filename tensor, writes the MetaGraph next to it, then records the checkpoint
        in the `checkpoint` file of its directory and deletes checkpoints past
        `max_to_keep`.

        Args:
          sess: A Session to use to save the variables.
          save_path: the path prefix of the checkpoint, e.g. "/tmp/run/model.ckpt".
          global_step: an int, or a tensor or variable holding one, appended to the path.
          latest_filename: the name of the state file (default "checkpoint").
          meta_graph_suffix: the suffix of the MetaGraph file.
          write_meta_graph: whether to write the MetaGraph file.
          write_state: whether to update the state file and delete old checkpoints.
          strip_default_attrs: passed on to `export_meta_graph`.
          save_debug_info: accepted for TF compatibility.

        Returns:
          The path of the checkpoint (e.g. "/tmp/run/model.ckpt-1000"), or None if the
          saver has no variables.

        Raises:
          TypeError: If `sess` is not a `Session`.
          ValueError: If `latest_filename` contains path components, or if it collides
            with `save_path`, or if the parent directory of `save_path` does not exist.
          RuntimeError: If save and restore ops weren't built.
        """
        if not self._is_built and not self._is_empty:
            raise RuntimeError("`build()` should be called before save if defer_build==True")
        latest_filename = latest_filename or "checkpoint"
        if os.path.split(latest_filename)[0]:
            raise ValueError("'latest_filename' must not contain path components")
        save_path = os.fspath(save_path)
        checkpoint_file = self._checkpoint_file(sess, save_path, global_step, latest_filename)
        if not isinstance(sess, BaseSession):
            raise TypeError(f"'sess' must be a Session; {sess}")
        if self._is_empty:
            if write_meta_graph:
                self._write_meta_graph(
                    sess, checkpoint_file, meta_graph_suffix, strip_default_attrs
                )
            return None
        try:
            path = sess.run(
                self.saver_def.save_tensor_name,
                {self.saver_def.filename_tensor_name: checkpoint_file},
            )
        except (errors.FailedPreconditionError, errors.NotFoundError) as e:
            if not os.path.isdir(os.path.dirname(save_path) or "."):
                raise ValueError(
                    f"Parent directory of {save_path} doesn't exist, can't save."
                ) from None
            raise e
        path = path.decode() if isinstance(path, bytes) else str(path)
        io_checkpoint.wait(path)  # SaveV2 writes on a writer thread: the files are whole now
        if self._job_shard and self._job_shard[0] != 0:  # the job's chief records the save
            write_meta_graph = write_state = False
        # The MetaGraph goes before the state file names the checkpoint, so the newest
        # checkpoint a reader can find always has its MetaGraph.
        if write_meta_graph:
            self._write_meta_graph(sess, checkpoint_file, meta_graph_suffix, strip_default_attrs)
        if write_state:
            self._record_last_checkpoint(path)
            checkpoint_management.update_checkpoint_state(
                save_dir=os.path.dirname(save_path),
                model_checkpoint_path=path,
                all_model_checkpoint_paths=self.last_checkpoints,
                latest_filename=latest_filename,
                save_relative_paths=self._save_relative_paths,
            )
            self._maybe_delete_old_checkpoints(meta_graph_suffix)
        _refresh_projector(os.path.dirname(save_path) or ".")
        return path

    def _checkpoint_file(self, sess, save_path, global_step, latest_filename) -> str:
        if global_step is None:
            if os.path.basename(save_path) == latest_filename and not self._sharded:
                raise ValueError(
                    f"'latest_filename' collides with 'save_path': '{latest_filename}' and "
                    f"'{save_path}'"
                )
            return save_path
        if not isinstance(global_step, (numbers.Integral, np.integer)):
            global_step = training_util.global_step(sess, global_step)
        if self._pad_step_number:
            return f"{save_path}-{int(global_step):08d}"
        return f"{save_path}-{int(global_step)}"

    def _write_meta_graph(self, sess, checkpoint_file, suffix, strip_default_attrs) -> None:
        filename = checkpoint_management.meta_graph_filename(checkpoint_file, suffix)
        tmp = f"{filename}.tmp{os.getpid()}"
        with sess.graph.as_default():
            self.export_meta_graph(tmp, strip_default_attrs=strip_default_attrs)
        os.replace(tmp, filename)

    def export_meta_graph(
        self,
        filename=None,
        collection_list=None,
        as_text=False,
        export_scope=None,
        clear_devices=False,
        clear_extraneous_savers=False,
        strip_default_attrs=False,
        save_debug_info=False,
    ):
        """Writes the default graph and this saver's `SaverDef` as a MetaGraphDef.

        Returns:
          The `MetaGraphDef` proto.
        """
        from flowgraph.framework import meta_graph  # it builds Savers from MetaGraphs: lazy

        return meta_graph.export_meta_graph(
            filename=filename,
            saver_def=self.saver_def,
            collection_list=collection_list,
            as_text=as_text,
            export_scope=export_scope,
            clear_devices=clear_devices,
            clear_extraneous_savers=clear_extraneous_savers,
            strip_default_attrs=strip_default_attrs,
        )

    def restore(self, sess, save_path) -> None:
        """Restores previously saved variables.

        Runs the restore op with `save_path` fed to the filename tensor. The variables do
        not need to be initialized first.

        Args:
          sess: A `Session` to use to restore the parameters.
          save_path: Path where parameters were previously saved.

        Raises:
          ValueError: If save_path is None or not a valid checkpoint.
          NotFoundError: a variable is missing from the checkpoint (the message names it).
          InvalidArgumentError: a variable's shape or dtype differs from the saved one.
        """
        if self._is_empty:
            return
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        save_path = os.fspath(save_path)
        if not checkpoint_management.checkpoint_exists(save_path):
            raise ValueError("The passed save_path is not a valid checkpoint: " + save_path)
        logging.info("Restoring parameters from %s", save_path)
        try:
            sess.run(
                self.saver_def.restore_op_name, {self.saver_def.filename_tensor_name: save_path}
            )
        except errors.NotFoundError as e:
            raise _restore_error(e, "a Variable name or other graph key that is missing") from None
        except errors.InvalidArgumentError as e:
            raise _restore_error(e, "a mismatch between the current graph and the graph") from None


def _restore_error(error, cause: str):
    message = (
        f"Restoring from checkpoint failed. This is most likely due to {cause} from the "
        "checkpoint. Please ensure that you have not altered the graph expected based on "
        f"the checkpoint. Original error:\n\n{error.message}"
    )
    return type(error)(error.node_def, error.op, message)


def _prepend(name: str, scope: str) -> str:
    return f"{scope.rstrip('/')}/{name}"


def _all_saveable_objects() -> list:
    graph = get_default_graph()
    return graph.get_collection(GraphKeys.GLOBAL_VARIABLES) + graph.get_collection(
        GraphKeys.SAVEABLE_OBJECTS
    )


def _refresh_projector(logdir: str) -> None:
    # A logdir set up for TensorBoard's projector gets the new embeddings' values as TSVs.
    from flowgraph.contrib.tensorboard.plugins import projector

    projector.export_checkpoint_embeddings(logdir)
