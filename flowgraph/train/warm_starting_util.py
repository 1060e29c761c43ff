"""`tf.train.warm_start`: initialize variables from a checkpoint, remapping vocabularies."""

from __future__ import annotations

import collections

import numpy as np

from flowgraph.framework.ops import GraphKeys
from flowgraph.framework.scopes import get_collection
from flowgraph.gfile import GFile
from flowgraph.ops import array_ops, state_ops
from flowgraph.ops.constant_op import constant
from flowgraph.ops.variables import Variable
from flowgraph.train import checkpoint_utils


class VocabInfo(
    collections.namedtuple(
        "VocabInfo",
        ["new_vocab", "new_vocab_size", "num_oov_buckets", "old_vocab", "old_vocab_size",
         "backup_initializer", "axis"],
    )
):  # fmt: skip
    """Vocabulary information for warm-starting.

    Row `i` (or column, with `axis=1`) of the new variable is the `new_vocab` file's line
    `i`; it takes the checkpoint's row of the same word in `old_vocab` (first
    `old_vocab_size` lines, -1 for all), and `backup_initializer`'s values (default zeros)
    when the word is new and for the `num_oov_buckets` rows after the vocabulary.

    Example:
      >>> info = tf.train.VocabInfo(new_vocab="new.txt", new_vocab_size=100,
      ...                           num_oov_buckets=1, old_vocab="old.txt")
      >>> tf.train.warm_start("/tmp/ckpt", var_name_to_vocab_info={"emb": info})
    """

    def __new__(cls, new_vocab, new_vocab_size, num_oov_buckets, old_vocab, old_vocab_size=-1,
                backup_initializer=None, axis=0):  # fmt: skip
        if axis not in (0, 1):
            raise ValueError(f"The only supported values for the axis argument are 0 and 1. "
                             f"Provided axis: {axis}")  # fmt: skip
        return super().__new__(cls, new_vocab, new_vocab_size, num_oov_buckets, old_vocab,
                               old_vocab_size, backup_initializer, axis)  # fmt: skip


def warm_start(ckpt_to_initialize_from, vars_to_warm_start=".*", var_name_to_vocab_info=None,
               var_name_to_prev_var_name=None):  # fmt: skip
    """Warm-starts a model using the given settings.

    Replaces the initializers of the chosen variables so that running them loads values
    from the checkpoint (as `init_from_checkpoint`), remapping the rows of variables
    with a `VocabInfo`. Run it before `tf.global_variables_initializer` is built.

    Args:
      ckpt_to_initialize_from: a checkpoint file or the directory of one.
      vars_to_warm_start: a regex over the trainable variables' names (default all), a
        list of regexes over the global variables, a list of Variables, or None (only
        the variables with vocabulary information).
      var_name_to_vocab_info: maps variable names to their `VocabInfo`.
      var_name_to_prev_var_name: maps variable names to their names in the checkpoint.

    Raises:
      ValueError: if an entry of the two maps names no warm-started variable.
    """
    vocab_info = dict(var_name_to_vocab_info or {})
    prev_names = dict(var_name_to_prev_var_name or {})
    chosen = _variables_to_warm_start(vars_to_warm_start, vocab_info)
    used_vocab, used_prev = set(), set()
    for var in chosen:
        name = var.op.name
        prev = prev_names.get(name, name)
        used_prev.update([name] if name in prev_names else [])
        if name in vocab_info:
            used_vocab.add(name)
            _warm_start_with_vocab(var, ckpt_to_initialize_from, prev, vocab_info[name])
        else:
            checkpoint_utils.init_from_checkpoint(ckpt_to_initialize_from, {prev: var})
    for what, given, used in (("var_name_to_prev_var_name", prev_names, used_prev),
                              ("var_name_to_vocab_info", vocab_info, used_vocab)):  # fmt: skip
        if set(given) - used:
            raise ValueError(f"You provided the following variables in {what} that were not "
                             f"used: {sorted(set(given) - used)}")  # fmt: skip


def _variables_to_warm_start(vars_to_warm_start, vocab_info):
    if vars_to_warm_start is None:
        return [v for v in get_collection(GraphKeys.TRAINABLE_VARIABLES) if v.op.name in vocab_info]
    if isinstance(vars_to_warm_start, str):
        return get_collection(GraphKeys.TRAINABLE_VARIABLES, scope=vars_to_warm_start)
    if all(isinstance(v, str) for v in vars_to_warm_start):
        chosen = []
        for scope in vars_to_warm_start:
            chosen += [v for v in get_collection(GraphKeys.GLOBAL_VARIABLES, scope=scope)
                       if v not in chosen]  # fmt: skip
        return chosen
    if all(isinstance(v, Variable) for v in vars_to_warm_start):
        return list(vars_to_warm_start)
    raise ValueError("vars_to_warm_start must be a string, a list of strings or a list of "
                     f"Variables, got {vars_to_warm_start!r}")  # fmt: skip


def _warm_start_with_vocab(var, checkpoint, prev_name, info):
    """Sets `var`'s initializer to the remapped checkpoint rows, backup values elsewhere."""
    old = np.asarray(checkpoint_utils.load_variable(checkpoint, prev_name))
    new_words = _vocab(info.new_vocab, info.new_vocab_size)
    old_index = {w: i for i, w in enumerate(_vocab(info.old_vocab, info.old_vocab_size))}
    shape = var.get_shape().as_list()
    rows = shape[info.axis]
    if rows != len(new_words) + info.num_oov_buckets:
        raise ValueError(
            f"{var.op.name} has {rows} rows along axis {info.axis}, but the new vocabulary "
            f"has {len(new_words)} words and {info.num_oov_buckets} OOV buckets"
        )
    old = np.moveaxis(old, info.axis, 0)
    found = np.zeros(rows, bool)
    remapped = np.zeros([rows, *old.shape[1:]], var.dtype.base_dtype.as_numpy_dtype)
    for i, word in enumerate(new_words):
        if word in old_index:
            found[i], remapped[i] = True, old[old_index[word]]
    remapped, found = np.moveaxis(remapped, 0, info.axis), _along(found, info.axis, len(shape))
    backup = _backup(info.backup_initializer, shape, var.dtype.base_dtype)
    value = array_ops.where(np.broadcast_to(found, shape), constant(remapped), backup)
    var._initializer_op = state_ops.assign(var._ref(), value, name="warm_start_assign").op
    var._initial_value = value


def _vocab(path, size):
    with GFile(path, "r") as f:
        words = [line.rstrip("\n") for line in f]
    return words if size is None or size < 0 else words[:size]


def _along(mask, axis, rank):
    shape = [1] * rank
    shape[axis] = mask.size
    return mask.reshape(shape)


def _backup(initializer, shape, dtype):
    if initializer is None:
        return array_ops.zeros(shape, dtype)
    return initializer(shape, dtype=dtype)
