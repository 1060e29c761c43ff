"""`tf.train.Checkpoint` and `CheckpointManager`: object-based checkpoints, in graph mode.

Variables are saved under their object paths, as TF's object graph names them
(`model/kernel/.ATTRIBUTES/VARIABLE_VALUE`, optimizer slots under
`<variable path>/.OPTIMIZER_SLOT/<optimizer path>/<slot>/...`), through a `Saver`; save
and restore run in a session (the default one unless given).
"""

from __future__ import annotations

import inspect
import os

from flowgraph.client.session import get_default_session
from flowgraph.framework import dtypes
from flowgraph.framework.ops import init_scope
from flowgraph.ops import init_ops, state_ops, variable_scope as vs
from flowgraph.ops.variables import Variable, is_variable_initialized, variables_initializer
from flowgraph.train import checkpoint_management
from flowgraph.train.optimizer import Optimizer
from flowgraph.train.saver import Saver

_VALUE = ".ATTRIBUTES/VARIABLE_VALUE"
_SLOT = "/.OPTIMIZER_SLOT/"


def _call_with_path(callback, path):
    """A write callback takes the save path, or nothing."""
    try:
        params = inspect.signature(callback).parameters
    except (TypeError, ValueError):
        params = {"path": None}
    return callback(path) if params else callback()


class Checkpoint:
    """Groups objects with variables (layers, templates, optimizers, variables) to save.

    Example:
      >>> checkpoint = tf.train.Checkpoint(model=layer, optimizer=optimizer)
      >>> with tf.Session() as sess:
      ...     sess.run(tf.global_variables_initializer())
      ...     path = checkpoint.save("/tmp/ckpt/model", session=sess)   # /tmp/ckpt/model-1
      ...     checkpoint.restore(path).run_restore_ops(sess)

    Args:
      **kwargs: the objects to track, by name (their variables are saved under it).
    """

    def __init__(self, **kwargs):
        for name, value in kwargs.items():
            if name == "save_counter" or name.startswith("_"):
                raise ValueError(f"Checkpoint: the name {name!r} is reserved")
            setattr(self, name, value)
        self._save_counter = None
        self._increment = self._is_counting = None
        self._savers = {}

    @property
    def save_counter(self):
        """The number of `save()` calls so far (a variable, made on first use)."""
        if self._save_counter is None:
            with init_scope(), vs.variable_scope(None, default_name="checkpoint"):
                self._save_counter = vs.get_variable(
                    "save_counter", shape=[], dtype=dtypes.int64, trainable=False,
                    initializer=init_ops.zeros_initializer(),
                )  # fmt: skip
        return self._save_counter

    def save(self, file_prefix, session=None, options=None):
        """Saves with `save_counter` incremented; returns the path `<file_prefix>-<count>`.

        `options` is a `tf.train.CheckpointOptions`.
        """
        session = _session(session)
        self._ensure_counter(session)
        count = session.run(self._increment)
        return self.write(f"{file_prefix}-{count}", session, options)

    def write(self, file_prefix, session=None, options=None):
        """Saves to exactly `file_prefix` (no counter); returns it.

        `options` is a `tf.train.CheckpointOptions`.
        """
        session = _session(session)
        self._ensure_counter(session)  # saved too, so that restored numbering continues
        skip_slots = bool(options and options.experimental_skip_slot_variables)
        path = self._saver(skip_slots).save(
            session, os.fspath(file_prefix), write_meta_graph=False, write_state=False
        )
        for callback in options.experimental_write_callbacks if options else ():
            _call_with_path(callback, path)
        return path

    def _ensure_counter(self, session):
        if self._increment is None:
            with init_scope():
                self._is_counting = is_variable_initialized(self.save_counter)
                self._increment = state_ops.assign_add(self.save_counter, 1)
        if not session.run(self._is_counting):
            session.run(self.save_counter.initializer)

    def read(self, save_path):
        """Restores from `save_path` (without the counter's bookkeeping): `restore`."""
        return self.restore(save_path)

    def restore(self, save_path):
        """Returns a status whose `run_restore_ops(session)` loads `save_path`.

        With `save_path` None, `initialize_or_restore` initializes the variables instead.
        """
        if self._save_counter is None:
            self._save_counter = self.save_counter  # restored with the rest
        return _RestoreStatus(self, save_path)

    def _saver(self, skip_slots=False):
        names = object_variables(self)
        if skip_slots:
            names = {k: v for k, v in names.items() if _SLOT not in k}
        key = tuple(sorted(names))
        if key not in self._savers:
            self._savers[key] = Saver(names)
        return self._savers[key]


class _RestoreStatus:
    """What `Checkpoint.restore` returns: run its ops to load the values."""

    def __init__(self, checkpoint, save_path):
        self._checkpoint, self._save_path = checkpoint, save_path

    def run_restore_ops(self, session=None):
        """Loads the checkpoint's values into the tracked variables."""
        if self._save_path is not None:
            self._checkpoint._saver().restore(_session(session), self._save_path)

    def initialize_or_restore(self, session=None):
        """Loads the checkpoint, or runs the variables' initializers if there is none."""
        if self._save_path is None:
            variables = list(object_variables(self._checkpoint).values())
            _session(session).run(variables_initializer(variables))
        else:
            self.run_restore_ops(session)

    def assert_consumed(self):
        """Checks that a checkpoint was given (flowgraph restores every tracked variable)."""
        if self._save_path is None:
            raise AssertionError(
                "No checkpoint specified (save_path=None); nothing is being restored."
            )
        return self

    assert_existing_objects_matched = assert_consumed

    def expect_partial(self):
        """Silences warnings about a partial restore (there are none); returns self."""
        return self


class CheckpointManager:
    """Manages multiple checkpoints by keeping some and deleting unneeded ones.

    Example:
      >>> manager = tf.train.CheckpointManager(checkpoint, "/tmp/ckpt", max_to_keep=3)
      >>> manager.save(session=sess)           # /tmp/ckpt/ckpt-1, ...
      >>> checkpoint.restore(manager.latest_checkpoint).run_restore_ops(sess)

    Args:
      checkpoint: the `tf.train.Checkpoint` to save and manage.
      directory: the directory of the checkpoints and their "checkpoint" state file.
      max_to_keep: how many checkpoints to keep (None: all).
      keep_checkpoint_every_n_hours: also keep one checkpoint per that many hours.
      checkpoint_name: the prefix of the checkpoint files.
    """

    def __init__(self, checkpoint, directory, max_to_keep, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None,
                 init_fn=None):  # fmt: skip
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError(f"Expected a positive integer or None for `max_to_keep`, got "
                             f"{max_to_keep}.")  # fmt: skip
        self._checkpoint, self._directory = checkpoint, os.fspath(directory)
        self._max_to_keep, self._init_fn = max_to_keep, init_fn
        self._keep_every_secs = (keep_checkpoint_every_n_hours or 0) * 3600
        self._prefix = os.path.join(self._directory, checkpoint_name)
        state = checkpoint_management.get_checkpoint_state(self._directory)
        self._checkpoints = list(state.all_model_checkpoint_paths) if state else []
        self._last_kept = checkpoint_management.get_checkpoint_mtimes(self._checkpoints[-1:])

    @property
    def directory(self):
        return self._directory

    @property
    def checkpoints(self):
        """The managed checkpoints, oldest first."""
        return list(self._checkpoints)

    @property
    def latest_checkpoint(self):
        """The prefix of the newest checkpoint, or None."""
        return self._checkpoints[-1] if self._checkpoints else None

    def save(self, checkpoint_number=None, check_interval=True, options=None, session=None):
        """Saves a checkpoint (numbered by the save counter unless given) and prunes old ones.

        Returns:
          The path of the new checkpoint.
        """
        session = _session(session)
        if checkpoint_number is None:
            path = self._checkpoint.save(self._prefix, session, options)
        else:
            path = self._checkpoint.write(f"{self._prefix}-{checkpoint_number}", session, options)
        self._checkpoints = [p for p in self._checkpoints if p != path] + [path]
        self._prune()
        checkpoint_management.update_checkpoint_state(
            self._directory, path, all_model_checkpoint_paths=self._checkpoints
        )
        return path

    def restore_or_initialize(self, session=None):
        """Restores the latest checkpoint, or calls `init_fn`; returns the path or None."""
        if self.latest_checkpoint is not None:
            self._checkpoint.restore(self.latest_checkpoint).run_restore_ops(_session(session))
            return self.latest_checkpoint
        if self._init_fn is not None:
            self._init_fn()
        return None

    def _prune(self):
        if self._max_to_keep is None:
            return
        while len(self._checkpoints) > self._max_to_keep:
            oldest = self._checkpoints.pop(0)
            mtime = checkpoint_management.get_checkpoint_mtimes([oldest])
            kept_recently = (
                self._last_kept
                and mtime
                and mtime[0] - self._last_kept[0] < (self._keep_every_secs)
            )
            if self._keep_every_secs and not kept_recently:
                self._last_kept = mtime  # kept on disk, no longer managed
                continue
            checkpoint_management.remove_checkpoint(oldest)


def object_variables(root) -> dict:
    """Maps the object-graph key of each variable reachable from `root` to the variable."""
    names, optimizers = {}, []
    _walk(root, "", names, optimizers, set())
    for optimizer, path in optimizers:  # slots are keyed by their variable's path
        _add_slots(optimizer, path, names)
    return names


def _walk(obj, path, names, optimizers, seen):
    if isinstance(obj, Variable):
        names.setdefault(f"{path}/{_VALUE}", obj)
        return
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, Optimizer):
        optimizers.append((obj, path))
    for attribute, child in _children(obj):
        child_path = f"{path}/{attribute}" if path else attribute
        if isinstance(child, (list, tuple)):
            for i, item in enumerate(child):
                _walk(item, f"{child_path}/{i}", names, optimizers, seen)
        else:
            _walk(child, child_path, names, optimizers, seen)


def _children(obj):
    """(name, child) pairs: public attributes holding variables or objects with them."""
    if isinstance(obj, Checkpoint) and obj._save_counter is not None:
        yield "save_counter", obj._save_counter
    attributes = [(a, c) for a, c in sorted(vars(obj).items()) if not a.startswith("_")]
    tracked = [(a, c) for a, c in attributes if _trackable(c)]
    yield from tracked
    if isinstance(obj, Optimizer):  # Adam's beta1_power, ...: by their names
        for (name, _), variable in sorted(obj._non_slot_dict.items(), key=lambda kv: kv[0][0]):
            yield name, variable
    elif isinstance(getattr(obj, "variables", None), (list, tuple)):
        known = {id(c) for _, c in tracked}
        for variable in obj.variables:  # e.g. a template's: by their name in its scope
            if id(variable) not in known:
                yield variable.op.name.rpartition("/")[2], variable


def _trackable(value):
    if isinstance(value, (Variable, Checkpoint, Optimizer)):
        return True
    if isinstance(value, (list, tuple)):
        return any(isinstance(v, Variable) for v in value)
    return isinstance(getattr(value, "variables", None), (list, tuple))


def _add_slots(optimizer, optimizer_path, names):
    for key, variable in list(names.items()):
        variable_path = key[: -len(_VALUE) - 1]
        for slot_name in optimizer.get_slot_names():
            slot = optimizer.get_slot(variable, slot_name)
            if slot is not None:
                slot_key = f"{variable_path}/.OPTIMIZER_SLOT/{optimizer_path}/{slot_name}/{_VALUE}"
                names.setdefault(slot_key, slot)


def _session(session):
    session = session or get_default_session()
    if session is None:
        raise ValueError("Checkpoints in graph mode run in a session: pass `session=` or use "
                         "`with sess.as_default():`")  # fmt: skip
    return session
