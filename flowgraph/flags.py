"""`tf.flags` / `tf.app.flags`: absl flags, with TF1's implicit parsing and old argument names.

Example:
  >>> tf.app.flags.DEFINE_integer("batch_size", 32, "Examples per step.")
  >>> FLAGS = tf.app.flags.FLAGS
  >>> FLAGS.batch_size     # parses sys.argv on first read, as TF1 did
  32
"""

from __future__ import annotations

import functools
import sys

from absl import flags as _absl_flags
from absl.flags import (
    DEFINE as DEFINE,
    DEFINE_alias as DEFINE_alias,
    DEFINE_enum as DEFINE_enum,
    DEFINE_enum_class as DEFINE_enum_class,
    DEFINE_flag as DEFINE_flag,
    DEFINE_list as DEFINE_list,
    DEFINE_multi_enum as DEFINE_multi_enum,
    DEFINE_multi_float as DEFINE_multi_float,
    DEFINE_multi_integer as DEFINE_multi_integer,
    DEFINE_multi_string as DEFINE_multi_string,
    DEFINE_spaceseplist as DEFINE_spaceseplist,
    DuplicateFlagError as DuplicateFlagError,
    Error as Error,
    Flag as Flag,
    FlagValues as FlagValues,
    IllegalFlagValueError as IllegalFlagValueError,
    UnparsedFlagAccessError as UnparsedFlagAccessError,
    UnrecognizedFlagError as UnrecognizedFlagError,
    ValidationError as ValidationError,
    adopt_module_key_flags as adopt_module_key_flags,
    declare_key_flag as declare_key_flag,
    mark_flag_as_required as mark_flag_as_required,
    mark_flags_as_mutual_exclusive as mark_flags_as_mutual_exclusive,
    mark_flags_as_required as mark_flags_as_required,
    multi_flags_validator as multi_flags_validator,
    register_multi_flags_validator as register_multi_flags_validator,
    register_validator as register_validator,
    validator as validator,
)

from flowgraph.logging import warning as _warning

# The wrappers below define flags for their callers: they are not this module's key flags.
_absl_flags.disclaim_key_flags()

_RENAMED_ARGUMENTS = {"flag_name": "name", "default_value": "default", "docstring": "help"}


def _accept_old_names(define):
    """Wraps an absl DEFINE function so it also takes TF1's argument names."""

    @functools.wraps(define)
    def wrapper(*args, **kwargs):
        old = [k for k in _RENAMED_ARGUMENTS if k in kwargs]
        for k in old:
            kwargs[_RENAMED_ARGUMENTS[k]] = kwargs.pop(k)
        if old:
            _warning(
                "Use of the keyword argument names (flag_name, default_value, docstring) "
                "is deprecated, please use (name, default, help) instead."
            )
        return define(*args, **kwargs)

    return wrapper


DEFINE_string = _accept_old_names(_absl_flags.DEFINE_string)
DEFINE_boolean = _accept_old_names(_absl_flags.DEFINE_boolean)
DEFINE_bool = DEFINE_boolean
DEFINE_float = _accept_old_names(_absl_flags.DEFINE_float)
DEFINE_integer = _accept_old_names(_absl_flags.DEFINE_integer)


class _FlagValuesWrapper:
    """absl's FLAGS, except that reading a flag before parsing parses `sys.argv` (as TF1).

    Unknown command-line flags are left alone (e.g. a notebook kernel's `-f file`).
    """

    def __init__(self, flags_object):
        self.__dict__["_wrapped"] = flags_object

    def __getattr__(self, name):
        wrapped = self.__dict__["_wrapped"]
        try:  # FlagValues' own methods (is_parsed, ...) never parse
            return object.__getattribute__(wrapped, name)
        except AttributeError:
            pass
        if not wrapped.is_parsed():
            wrapped(sys.argv, known_only=True)
        return getattr(wrapped, name)

    def __setattr__(self, name, value):
        setattr(self.__dict__["_wrapped"], name, value)

    def __delattr__(self, name):
        delattr(self.__dict__["_wrapped"], name)

    def __dir__(self):
        return dir(self.__dict__["_wrapped"])

    def __getitem__(self, name):
        return self.__dict__["_wrapped"][name]

    def __setitem__(self, name, flag):
        self.__dict__["_wrapped"][name] = flag

    def __contains__(self, name):
        return name in self.__dict__["_wrapped"]

    def __len__(self):
        return len(self.__dict__["_wrapped"])

    def __iter__(self):
        return iter(self.__dict__["_wrapped"])

    def __str__(self):
        return str(self.__dict__["_wrapped"])

    def __call__(self, *args, **kwargs):
        return self.__dict__["_wrapped"](*args, **kwargs)


FLAGS = _FlagValuesWrapper(_absl_flags.FLAGS)
