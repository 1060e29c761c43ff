"""`tf.nest`: nested structures (lists, tuples, namedtuples, dicts) and their leaves."""

from __future__ import annotations

import collections.abc


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_nested(seq) -> bool:
    """Whether `seq` is a nested structure: a list, tuple (or namedtuple) or mapping.

    Strings and other values are leaves (atoms).
    """
    return isinstance(seq, (list, tuple, collections.abc.Mapping))


def _children(structure) -> list:
    if isinstance(structure, collections.abc.Mapping):
        return [structure[k] for k in sorted(structure)]
    return list(structure)


def flatten(structure, expand_composites=False) -> list:
    """The leaves of `structure`, depth first; dicts in the order of their sorted keys.

    Example:
      >>> tf.nest.flatten({"b": (1, 2), "a": [3]})   # [3, 1, 2]
    """
    if not is_nested(structure):
        return [structure]
    return [leaf for child in _children(structure) for leaf in flatten(child)]


def _rebuild(structure, children: list):
    if isinstance(structure, collections.abc.Mapping):
        values = dict(zip(sorted(structure), children))
        rebuilt = {k: values[k] for k in structure}
        return rebuilt if type(structure) is dict else type(structure)(rebuilt)
    if _is_namedtuple(structure):
        return type(structure)(*children)
    return type(structure)(children)


def _pack(structure, leaves):
    if not is_nested(structure):
        return next(leaves)
    return _rebuild(structure, [_pack(child, leaves) for child in _children(structure)])


def pack_sequence_as(structure, flat_sequence, expand_composites=False):
    """`flat_sequence` packed into the nesting of `structure` (the inverse of `flatten`).

    Raises:
      ValueError: if `flat_sequence` has a different number of leaves than `structure`.
    """
    if not is_nested(flat_sequence):
        raise TypeError(
            f"Attempted to pack value:\n  {flat_sequence}\ninto a structure, but "
            "found incompatible type `{type(flat_sequence)}` instead."
        )
    flat_sequence = list(flat_sequence)
    count = len(flatten(structure))
    if count != len(flat_sequence):
        raise ValueError(
            f"Could not pack sequence. Structure had {count} atoms, but "
            f"flat_sequence had {len(flat_sequence)} items. Structure: "
            f"{structure}, flat_sequence: {flat_sequence}."
        )
    return _pack(structure, iter(flat_sequence))


def assert_same_structure(nest1, nest2, check_types=True, expand_composites=False):
    """Asserts that two structures are nested in the same way.

    Raises:
      ValueError: if they differ in nesting or number of elements.
      TypeError: if `check_types` and their sequence types differ.
    """
    try:
        _check_same(nest1, nest2, check_types)
    except (ValueError, TypeError) as e:
        raise type(e)(
            f"The two structures don't have the same nested structure.\n\n"
            f"First structure: {nest1}\n\nSecond structure: {nest2}\n\n"
            f"More specifically: {e}"
        ) from None


def _check_same(a, b, check_types: bool) -> None:
    if is_nested(a) != is_nested(b):
        raise ValueError(
            f'Substructure "{a}" is a sequence, while substructure "{b}" is not'
            if is_nested(a)
            else f'Substructure "{b}" is a sequence, while substructure "{a}" is not'
        )
    if not is_nested(a):
        return
    if check_types and type(a) is not type(b):
        raise TypeError(
            f"The two namedtuples don't have the same sequence type. First "
            f"structure type={type(a)} has type {type(a).__name__}, while second "
            f"structure type={type(b)} has type {type(b).__name__}"
        )
    if isinstance(a, collections.abc.Mapping) and sorted(a) != sorted(b):
        raise ValueError(
            f"The two dictionaries don't have the same set of keys. First "
            f"structure has keys {sorted(a)}, while second structure has keys "
            f"{sorted(b)}."
        )
    if len(a) != len(b):
        raise ValueError(
            f"The two structures don't have the same number of elements. First "
            f"structure has {len(a)} elements, while second structure has "
            f"{len(b)} elements."
        )
    for x, y in zip(_children(a), _children(b)):
        _check_same(x, y, check_types)


def map_structure(func, *structure, **kwargs):
    """Applies `func` to the leaves of each structure; the result has their nesting.

    Args:
      func: a callable taking one argument per structure.
      *structure: structures nested in the same way.
      **kwargs: `check_types` (default True) and `expand_composites` (accepted).

    Example:
      >>> tf.nest.map_structure(lambda a, b: a + b, (1, [2]), (10, [20]))   # (11, [22])
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got: {func}")
    if not structure:
        raise ValueError("Must provide at least one structure")
    check_types = kwargs.pop("check_types", True)
    kwargs.pop("expand_composites", None)
    if kwargs:
        raise ValueError(
            f"Only valid keyword arguments are `check_types` and "
            f"`expand_composites`, not: `{', '.join(kwargs)}`"
        )
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types=check_types)
    leaves = zip(*(flatten(s) for s in structure))
    return pack_sequence_as(structure[0], [func(*args) for args in leaves])
