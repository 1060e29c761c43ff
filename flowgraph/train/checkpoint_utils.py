"""Reading checkpoints without a graph (`load_checkpoint`, `list_variables`) and
`init_from_checkpoint`, which makes variables' initializers read a checkpoint."""

from __future__ import annotations

import os

import numpy as np
from tensorboard.compat.proto import types_pb2

from flowgraph import logging
from flowgraph.framework import dtypes, tensor_shape
from flowgraph.framework.scopes import device
from flowgraph.ops import variable_scope, variables
from flowgraph.train import checkpoint_management
from flowgraph.train.saver import ReferenceVariableSaveable, restore_v2
from kernels import errors, io_checkpoint


class CheckpointReader:
    """Reads the tensors of one checkpoint (TF's `pywrap_tensorflow.CheckpointReader`):
    a tensor bundle written by TensorFlow or flowgraph (sharded or not; a partitioned
    variable reads as its full tensor), or an earlier flowgraph (orbax) checkpoint.

    Raises:
      NotFoundError: no checkpoint exists at `filepattern`.
    """

    def __init__(self, filepattern):
        self._prefix = os.fspath(filepattern)
        self._metadata = io_checkpoint.metadata(self._prefix)

    def get_variable_to_shape_map(self) -> dict[str, list[int]]:
        """`{tensor name: shape as a list of ints}`."""
        return {name: list(shape) for name, (shape, _) in self._metadata.items()}

    def get_variable_to_dtype_map(self) -> dict[str, dtypes.DType]:
        """`{tensor name: tf.DType}`."""
        return {name: dtypes.as_dtype(dtype) for name, (_, dtype) in self._metadata.items()}

    def has_tensor(self, tensor_str) -> bool:
        return tensor_str in self._metadata

    def get_tensor(self, tensor_str):
        """The value of the tensor `tensor_str` as a numpy array (NotFoundError if absent)."""
        if tensor_str not in self._metadata:
            raise errors.NotFoundError(None, None, f"Key {tensor_str} not found in checkpoint")
        return np.array(io_checkpoint.read(self._prefix, [tensor_str])[0])

    def debug_string(self) -> bytes:
        """One line per tensor, as TF prints it: `name (DT_FLOAT) [2,3]`."""
        lines = []
        for name, (shape, dtype) in sorted(self._metadata.items()):
            enum = types_pb2.DataType.Name(dtypes.as_dtype(dtype).as_datatype_enum)
            lines.append(f"{name} ({enum}) [{','.join(str(d) for d in shape)}]")
        return ("\n".join(lines) + "\n").encode()


def NewCheckpointReader(filepattern) -> CheckpointReader:  # noqa: N802  (TF's name)
    """A `CheckpointReader` for the checkpoint at `filepattern` (a path prefix)."""
    return CheckpointReader(filepattern)


def _get_checkpoint_filename(ckpt_dir_or_file):
    ckpt_dir_or_file = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(ckpt_dir_or_file):
        return checkpoint_management.latest_checkpoint(ckpt_dir_or_file)
    return ckpt_dir_or_file


def load_checkpoint(ckpt_dir_or_file) -> CheckpointReader:
    """Returns `CheckpointReader` for checkpoint found in `ckpt_dir_or_file`.

    If `ckpt_dir_or_file` resolves to a directory with multiple checkpoints, reader for
    the latest checkpoint is returned.

    Args:
      ckpt_dir_or_file: Directory with checkpoints file or path to checkpoint file.

    Returns:
      `CheckpointReader` object.

    Raises:
      ValueError: If `ckpt_dir_or_file` resolves to a directory with no checkpoints.
    """
    filename = _get_checkpoint_filename(ckpt_dir_or_file)
    if filename is None:
        raise ValueError(
            f"Couldn't find 'checkpoint' file or checkpoints in given directory {ckpt_dir_or_file}"
        )
    return NewCheckpointReader(filename)


def load_variable(ckpt_dir_or_file, name):
    """Returns the tensor value of the given variable in the checkpoint.

    Example:
      >>> tf.train.load_variable("/tmp/run", "dense/kernel")
      array([[...]], dtype=float32)
    """
    if name.endswith(":0"):
        name = name[:-2]
    return load_checkpoint(ckpt_dir_or_file).get_tensor(name)


def list_variables(ckpt_dir_or_file) -> list[tuple[str, list[int]]]:
    """Returns list of all variables in the checkpoint: sorted `(name, shape)` pairs."""
    shapes = load_checkpoint(ckpt_dir_or_file).get_variable_to_shape_map()
    return [(name, shapes[name]) for name in sorted(shapes)]


def init_from_checkpoint(ckpt_dir_or_file, assignment_map) -> None:
    """Replaces `tf.Variable` initializers so they load from a checkpoint file.

    Values are not loaded immediately, but when the initializer is run (typically by
    running a `tf.global_variables_initializer` op built afterwards).

    `assignment_map` maps checkpoint names to current variables:
    - `'checkpoint_scope_name/': 'scope_name/'` loads every variable of the current
      `scope_name` (created with `tf.get_variable`) from `checkpoint_scope_name` with
      matching tensor names;
    - `'checkpoint_scope_name/some_other_variable': 'scope_name/variable_name'` loads one
      variable; the value may also be a `Variable`;
    - `'/': 'scope_name/'` loads the whole checkpoint into `scope_name`.

    Example:
      >>> tf.train.init_from_checkpoint("/tmp/run", {"old_scope/": "new_scope/"})
      >>> sess.run(tf.global_variables_initializer())

    Raises:
      ValueError: a tensor is missing from the checkpoint, its shape differs from the
        variable's, or a scope maps to a non-scope name.
    """
    ckpt_file = _get_checkpoint_filename(ckpt_dir_or_file)
    shapes = load_checkpoint(ckpt_dir_or_file).get_variable_to_shape_map()
    store_vars = variable_scope._get_default_variable_store()._vars
    for tensor_name, current in sorted(assignment_map.items(), key=lambda kv: kv[0]):
        var = current if isinstance(current, variables.Variable) else store_vars.get(current)
        if var is not None:
            _init_one(var, tensor_name, shapes, ckpt_file, ckpt_dir_or_file)
            continue
        scope = current[: current.rindex("/")] if "/" in current else ""
        if not tensor_name.endswith("/"):
            raise ValueError(
                f"Assignment map with scope only name {scope} should map to scope only "
                f"{tensor_name}. Should be 'scope/': 'other_scope/'."
            )
        for var_name in sorted(n for n in store_vars if not scope or n.startswith(scope + "/")):
            full_name = var_name[len(scope) :]
            if current != "/":
                full_name = full_name[1:]
            if tensor_name != "/":
                full_name = tensor_name + full_name
            if full_name not in shapes:
                raise ValueError(
                    f"Tensor {full_name} ({var_name[len(scope) + 1 :]} in {tensor_name}) is "
                    f"not found in {ckpt_dir_or_file} checkpoint"
                )
            _init_one(store_vars[var_name], full_name, shapes, ckpt_file, ckpt_dir_or_file)


def _init_one(var, tensor_name, shapes, ckpt_file, ckpt_dir_or_file) -> None:
    if tensor_name not in shapes:
        raise ValueError(
            f"Tensor {tensor_name} is not found in {ckpt_dir_or_file} checkpoint {shapes}"
        )
    if not var.get_shape().is_compatible_with(tensor_shape.as_shape(shapes[tensor_name])):
        raise ValueError(
            f"Shape of variable {var.name} ({var.get_shape()}) doesn't match with shape of "
            f"tensor {tensor_name} ({shapes[tensor_name]}) from checkpoint reader."
        )
    _set_checkpoint_initializer(var, ckpt_file, tensor_name)
    logging.debug(
        "Initialize variable %s from checkpoint %s with %s", var.name, ckpt_dir_or_file, tensor_name
    )


def _set_checkpoint_initializer(var, ckpt_file, tensor_name, name="checkpoint_initializer"):
    """Makes `var`'s initializer assign the tensor `tensor_name` read from `ckpt_file`."""
    with device(var.device):
        restored = restore_v2(ckpt_file, [tensor_name], [""], [var.dtype.base_dtype], name=name)[0]
    restored.set_shape(var.get_shape())
    saveable = ReferenceVariableSaveable(var._ref(), "", tensor_name)
    var._initializer_op = saveable.restore([restored], None).op
    var._initial_value = restored
