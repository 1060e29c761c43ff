"""Lookup table kernels: hash tables as session resources (static, mutable, dense), their
initialization from tensors and text files, and find, insert, remove, size and export."""

from __future__ import annotations

import threading

import numpy as np

from kernels.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError
from kernels.registry import HOST, MAKES_RESOURCE, Effects, Spec, register

_USES_TABLE = Effects(resources=("table_handle",))

_OBJECT = np.dtype(object)
WHOLE_LINE, LINE_NUMBER = -2, -1  # TF's TextFileIndex


class Table:
    """A hash table: keys of one dtype to values of one dtype and shape.

    A static table (`HashTableV2`) must be initialized before a lookup; the mutable kinds
    start empty and take inserts and removals.
    """

    type_name = "HashTable"

    def __init__(self, key_dtype, value_dtype, value_shape=(), mutable: bool = False):
        self.key_dtype, self.value_dtype = np.dtype(key_dtype), np.dtype(value_dtype)
        self.value_shape = tuple(value_shape or ())
        self.mutable = mutable
        self.initialized = mutable
        self.data: dict = {}
        self.lock = threading.Lock()

    def _keys(self, keys) -> list:
        return np.asarray(keys).reshape(-1).tolist()

    def _rows(self, values, count: int) -> np.ndarray:
        return np.asarray(values, self.value_dtype).reshape((count,) + self.value_shape)

    def find(self, keys, default) -> np.ndarray:
        keys = np.asarray(keys)
        with self.lock:
            if not self.initialized:
                raise FailedPreconditionError(None, None, "Table not initialized.")
            default = np.broadcast_to(np.asarray(default, self.value_dtype), self.value_shape)
            rows = [self.data.get(k, default) for k in self._keys(keys)]
        out = np.empty((len(rows),) + self.value_shape, self.value_dtype)
        for i, row in enumerate(rows):
            out[i] = row
        return out.reshape(keys.shape + self.value_shape)

    def insert(self, keys, values, check_duplicates: bool = False) -> None:
        keys = self._keys(keys)
        rows = self._rows(values, len(keys))
        with self.lock:
            for key, row in zip(keys, rows):
                old = self.data.get(key)
                if check_duplicates and old is not None and not np.array_equal(old, row):
                    raise FailedPreconditionError(
                        None,
                        None,
                        f"HashTable has different value for same key. Key {key!r} "
                        f"has {old} and trying to add value {row}",
                    )
                self.data[key] = np.array(row, self.value_dtype)
            self.initialized = True

    def replace(self, keys, values) -> None:
        with self.lock:
            self.data.clear()
        self.insert(keys, values)

    def remove(self, keys) -> None:
        with self.lock:
            for key in self._keys(keys):
                self.data.pop(key, None)

    def size(self) -> np.int64:
        with self.lock:
            return np.int64(len(self.data))

    def export(self) -> tuple[np.ndarray, np.ndarray]:
        with self.lock:
            items = list(self.data.items())
        keys = np.array([k for k, _ in items], dtype=self.key_dtype)
        values = np.empty((len(items),) + self.value_shape, self.value_dtype)
        for i, (_, row) in enumerate(items):
            values[i] = row
        return keys, values


class DenseTable(Table):
    """A mutable table that reserves two keys (empty and deleted), as TF's open-addressing
    `MutableDenseHashTable` does: inserting or looking up either is an error."""

    type_name = "MutableDenseHashTable"

    def __init__(self, key_dtype, value_dtype, value_shape, empty_key, deleted_key):
        super().__init__(key_dtype, value_dtype, value_shape, mutable=True)
        self.reserved = {"empty_key": self._keys(empty_key), "deleted_key": self._keys(deleted_key)}
        if self.reserved["empty_key"] == self.reserved["deleted_key"]:
            raise InvalidArgumentError(None, None, "Empty and deleted keys cannot be equal")

    def _keys(self, keys) -> list:
        keys = super()._keys(keys)
        for what, reserved in getattr(self, "reserved", {}).items():
            if any(k in reserved for k in keys):
                raise InvalidArgumentError(
                    None, None, f"Using the {what.replace('_', ' ')} as a table key is not allowed"
                )
        return keys


def _handle_shape(specs, attrs, static_values):
    return [Spec((), _OBJECT)]


def _no_outputs(specs, attrs, static_values):
    return []


@register("HashTableV2", kind=HOST, effects=MAKES_RESOURCE, shape=_handle_shape)
def hash_table_v2(
    name, *, key_dtype, value_dtype, container="", shared_name="", use_node_name_sharing=False
):
    return Table(key_dtype, value_dtype)


@register("MutableHashTableV2", kind=HOST, effects=MAKES_RESOURCE, shape=_handle_shape)
def mutable_hash_table_v2(
    name, *, key_dtype, value_dtype, container="", shared_name="", use_node_name_sharing=False
):
    return Table(key_dtype, value_dtype, mutable=True)


@register("MutableHashTableOfTensorsV2", kind=HOST, effects=MAKES_RESOURCE, shape=_handle_shape)
def mutable_hash_table_of_tensors_v2(
    name,
    *,
    key_dtype,
    value_dtype,
    value_shape=(),
    container="",
    shared_name="",
    use_node_name_sharing=False,
):
    return Table(key_dtype, value_dtype, value_shape, mutable=True)


@register("MutableDenseHashTableV2", kind=HOST, effects=MAKES_RESOURCE, shape=_handle_shape)
def mutable_dense_hash_table_v2(
    name,
    empty_key,
    deleted_key,
    *,
    key_dtype,
    value_dtype,
    value_shape=(),
    initial_num_buckets=131072,
    max_load_factor=0.8,
    container="",
    shared_name="",
    use_node_name_sharing=False,
):
    return DenseTable(key_dtype, value_dtype, value_shape, empty_key, deleted_key)


def _check_sizes(keys, values, value_shape) -> None:
    keys, values = np.asarray(keys), np.asarray(values)
    if values.shape != keys.shape + tuple(value_shape):
        raise InvalidArgumentError(
            None,
            None,
            f"Expected shape {list(keys.shape + tuple(value_shape))} for value, "
            f"got {list(values.shape)}",
        )


@register("LookupTableImportV2", kind=HOST, effects=_USES_TABLE, shape=_no_outputs)
def lookup_table_import_v2(table_handle, keys, values, *, Tin=None, Tout=None):
    _check_sizes(keys, values, table_handle.value_shape)
    table_handle.replace(keys, values)
    return ()


@register("InitializeTableV2", kind=HOST, effects=_USES_TABLE, shape=_no_outputs)
def initialize_table_v2(table_handle, keys, values, *, Tkey=None, Tval=None):
    if table_handle.initialized:
        raise FailedPreconditionError(None, None, "Table already initialized.")
    _check_sizes(keys, values, table_handle.value_shape)
    table_handle.insert(keys, values, check_duplicates=True)
    return ()


def _column(fields: list[str], line: str, index: int, number: int, dtype, where: str):
    if index == WHOLE_LINE:
        text = line
    elif index == LINE_NUMBER:
        return number
    elif index >= len(fields):
        raise InvalidArgumentError(
            None,
            None,
            f"Invalid number of columns in {where}: expected at least "
            f"{index + 1}, got {len(fields)}",
        )
    else:
        text = fields[index]
    if np.dtype(dtype).kind == "O":
        return text.encode()
    try:
        return np.dtype(dtype).type(text)
    except ValueError:
        raise InvalidArgumentError(
            None, None, f"Field {text} in {where} is not a valid {np.dtype(dtype).name}"
        ) from None


def read_text_file(
    filename: str,
    key_index,
    value_index,
    key_dtype,
    value_dtype,
    vocab_size=-1,
    delimiter="\t",
    offset=0,
) -> tuple[list, list]:
    """The keys and values of a vocabulary file: one entry per line, a column (split at
    `delimiter`), the whole line or the line number each."""
    try:
        with open(filename, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise NotFoundError(None, None, f"{filename}; {e.strerror}") from None
    if vocab_size != -1:
        if len(lines) < vocab_size:
            raise InvalidArgumentError(
                None,
                None,
                f"Invalid vocab_size in {filename}: expected {vocab_size} but got {len(lines)}",
            )
        lines = lines[:vocab_size]
    keys, values = [], []
    for number, line in enumerate(lines):
        where = f"{filename} line {number}"
        fields = line.split(delimiter) if delimiter else line.split()
        keys.append(_column(fields, line, key_index, number + offset, key_dtype, where))
        values.append(_column(fields, line, value_index, number + offset, value_dtype, where))
    return keys, values


@register("InitializeTableFromTextFileV2", kind=HOST, effects=_USES_TABLE, shape=_no_outputs)
def initialize_table_from_text_file_v2(
    table_handle, filename, *, key_index, value_index, vocab_size=-1, delimiter="\t", offset=0
):
    name = np.asarray(filename).item()
    name = name.decode() if isinstance(name, bytes) else str(name)
    table = table_handle
    keys, values = read_text_file(
        name,
        key_index,
        value_index,
        table.key_dtype,
        table.value_dtype,
        vocab_size,
        delimiter,
        offset,
    )
    table_handle.insert(np.array(keys, table_handle.key_dtype), values, check_duplicates=True)
    return ()


def _find_shape(specs, attrs, static_values):
    keys, default = specs[1].shape, specs[2].shape
    shape = None if keys is None or default is None else keys + default
    return [Spec(shape, np.dtype(attrs["Tout"]))]


@register("LookupTableFindV2", kind=HOST, effects=_USES_TABLE, shape=_find_shape)
def lookup_table_find_v2(table_handle, keys, default_value, *, Tin=None, Tout=None):
    return table_handle.find(keys, default_value)


@register("LookupTableInsertV2", kind=HOST, effects=_USES_TABLE, shape=_no_outputs)
def lookup_table_insert_v2(table_handle, keys, values, *, Tin=None, Tout=None):
    if not table_handle.mutable:
        raise InvalidArgumentError(None, None, "This table does not support inserts")
    _check_sizes(keys, values, table_handle.value_shape)
    table_handle.insert(keys, values)
    return ()


@register("LookupTableRemoveV2", kind=HOST, effects=_USES_TABLE, shape=_no_outputs)
def lookup_table_remove_v2(table_handle, keys, *, Tin=None):
    if not table_handle.mutable:
        raise InvalidArgumentError(None, None, "This table does not support removals")
    table_handle.remove(keys)
    return ()


@register(
    "LookupTableSizeV2",
    kind=HOST,
    effects=_USES_TABLE,
    shape=lambda specs, attrs, static_values: [Spec((), np.dtype(np.int64))],
)
def lookup_table_size_v2(table_handle):
    return table_handle.size()


def _export_shape(specs, attrs, static_values):
    return [Spec((None,), np.dtype(attrs["Tkeys"])), Spec(None, np.dtype(attrs["Tvalues"]))]


@register("LookupTableExportV2", kind=HOST, effects=_USES_TABLE, shape=_export_shape)
def lookup_table_export_v2(table_handle, *, Tkeys, Tvalues):
    return table_handle.export()
