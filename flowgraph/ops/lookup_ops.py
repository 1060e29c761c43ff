"""Lookup tables (`tf.lookup`, TF1's `tf.contrib.lookup` helpers): hash tables held by each
session as resources, their initializers, vocabulary tables with out-of-vocabulary
buckets, mutable and dense hash tables, and `tf.tables_initializer`."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import GraphKeys, Tensor, apply_op, get_default_graph
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, control_flow_ops, math_ops, string_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.data_flow_ops import _handle
from flowgraph.ops.gradients import no_gradient
from kernels import lookup_table

_TABLE_OPS = (
    "HashTableV2",
    "MutableHashTableV2",
    "MutableHashTableOfTensorsV2",
    "MutableDenseHashTableV2",
    "LookupTableImportV2",
    "InitializeTableV2",
    "InitializeTableFromTextFileV2",
    "LookupTableFindV2",
    "LookupTableInsertV2",
    "LookupTableRemoveV2",
    "LookupTableSizeV2",
    "LookupTableExportV2",
)
for _op_type in _TABLE_OPS:
    no_gradient(_op_type)  # TF: NotDifferentiable (tables hold no trainable state)
del _op_type


class TextFileIndex:
    """Which part of a line of a vocabulary file is a key or value."""

    WHOLE_LINE = lookup_table.WHOLE_LINE
    LINE_NUMBER = lookup_table.LINE_NUMBER


def _np(dtype) -> np.dtype:
    return dtypes.as_dtype(dtype).numpy_dtype


def _check_key_dtype(keys: Tensor, expected, table_name: str) -> None:
    if keys.dtype.base_dtype != expected:
        raise TypeError(
            f"Signature mismatch. Keys must be dtype {expected.name}, got "
            f"{keys.dtype.base_dtype.name} (table {table_name!r})."
        )


class LookupInterface:
    """The interface of every lookup table: key and value dtypes, `lookup` and `size`."""

    def __init__(self, key_dtype, value_dtype):
        self._key_dtype = dtypes.as_dtype(key_dtype)
        self._value_dtype = dtypes.as_dtype(value_dtype)

    @property
    def key_dtype(self):
        """The table's key dtype."""
        return self._key_dtype

    @property
    def value_dtype(self):
        """The table's value dtype."""
        return self._value_dtype

    @property
    def name(self) -> str:
        """The name of the table."""
        return self._name

    @property
    def resource_handle(self) -> Tensor:
        """The table's handle (a resource tensor)."""
        return self._resource_handle

    def _size(self, name, scope: str) -> Tensor:
        with name_scope(name, f"{self.name}_{scope}", [self.resource_handle]):
            return apply_op("LookupTableSizeV2", [self.resource_handle])

    def size(self, name=None) -> Tensor:
        """The number of elements in the table (int64)."""
        return self._size(name, "Size")

    def _find(self, keys, name, default: Tensor) -> Tensor:
        keys = convert_to_tensor(keys, dtype=self._key_dtype, name="keys")
        _check_key_dtype(keys, self._key_dtype, self.name)
        with name_scope(name, f"{self.name}_Lookup", [self.resource_handle, keys]):
            return apply_op(
                "LookupTableFindV2",
                [self.resource_handle, keys, default],
                Tin=keys.dtype.base_dtype.numpy_dtype,
                Tout=self._value_dtype.numpy_dtype,
            )


# -- static tables --------------------------------------------------------------------------


class TableInitializerBase:
    """Initializes a static table from keys and values of the given dtypes."""

    def __init__(self, key_dtype, value_dtype):
        self._key_dtype = dtypes.as_dtype(key_dtype)
        self._value_dtype = dtypes.as_dtype(value_dtype)

    @property
    def key_dtype(self):
        return self._key_dtype

    @property
    def value_dtype(self):
        return self._value_dtype

    def _check_table_dtypes(self, table) -> None:
        if table.key_dtype != self._key_dtype or table.value_dtype != self._value_dtype:
            raise TypeError(
                f"Invalid table dtypes: the initializer has {self._key_dtype.name} -> "
                f"{self._value_dtype.name}, the table {table.key_dtype.name} -> "
                f"{table.value_dtype.name}"
            )


class KeyValueTensorInitializer(TableInitializerBase):
    """Initializes a table from a tensor of keys and a tensor of values.

    Example:
      >>> init = tf.lookup.KeyValueTensorInitializer(["a", "b"], [1, 2], value_dtype=tf.int64)
      >>> table = tf.lookup.StaticHashTable(init, default_value=-1)
    """

    def __init__(self, keys, values, key_dtype=None, value_dtype=None, name=None):
        with name_scope(name, "key_value_init", [keys, values]) as scope:
            self._keys = convert_to_tensor(keys, dtype=key_dtype, name="keys")
            self._values = convert_to_tensor(values, dtype=value_dtype, name="values")
            self._name = scope
        super().__init__(self._keys.dtype.base_dtype, self._values.dtype.base_dtype)

    def initialize(self, table):
        """The op that fills `table` with the keys and values (replacing its contents)."""
        self._check_table_dtypes(table)
        with name_scope(self._name, values=[table.resource_handle]):
            op = apply_op(
                "LookupTableImportV2",
                [table.resource_handle, self._keys, self._values],
                Tin=self._keys.dtype.base_dtype.numpy_dtype,
                Tout=self._values.dtype.base_dtype.numpy_dtype,
            )
        get_default_graph().add_to_collection(GraphKeys.TABLE_INITIALIZERS, op)
        return op


class TextFileInitializer(TableInitializerBase):
    """Initializes a table from a text file: one entry per line, the key and the value each
    a column (split at `delimiter`), the whole line (`TextFileIndex.WHOLE_LINE`) or the line
    number (`TextFileIndex.LINE_NUMBER`).

    Example:
      >>> init = tf.lookup.TextFileInitializer(
      ...     "vocab.txt", tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
      ...     tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER)
    """

    def __init__(
        self,
        filename,
        key_dtype,
        key_index,
        value_dtype,
        value_index,
        vocab_size=None,
        delimiter="\t",
        name=None,
        value_index_offset=0,
    ):
        _check_index("key", key_index, key_dtype, ())
        _check_index("value", value_index, value_dtype, (key_index,))
        if vocab_size is not None and vocab_size <= 0:
            raise ValueError(f"Invalid vocab_size {vocab_size}.")
        self._filename_arg, self._name = filename, name
        self._key_index, self._value_index = key_index, value_index
        self._vocab_size, self._delimiter = vocab_size, delimiter
        self._offset = value_index_offset
        super().__init__(key_dtype, value_dtype)

    def initialize(self, table):
        """The op that fills `table` from the file (failing on conflicting duplicates)."""
        self._check_table_dtypes(table)
        with name_scope(self._name, "text_file_init", [table.resource_handle]):
            filename = convert_to_tensor(self._filename_arg, dtypes.string, name="asset_filepath")
            op = apply_op(
                "InitializeTableFromTextFileV2",
                [table.resource_handle, filename],
                key_index=self._key_index,
                value_index=self._value_index,
                vocab_size=-1 if self._vocab_size is None else self._vocab_size,
                delimiter=self._delimiter,
                offset=self._offset,
            )
        get_default_graph().add_to_collection(GraphKeys.TABLE_INITIALIZERS, op)
        if isinstance(self._filename_arg, Tensor) or not isinstance(self._filename_arg, str):
            return op
        get_default_graph().add_to_collection(GraphKeys.ASSET_FILEPATHS, filename)
        return op


def _check_index(what: str, index: int, dtype, others) -> None:
    dtype = dtypes.as_dtype(dtype)
    if index < TextFileIndex.WHOLE_LINE:
        raise ValueError(f"Invalid {what} index {index}.")
    if index == TextFileIndex.LINE_NUMBER and dtype != dtypes.int64:
        raise ValueError(f"Signature mismatch. Keys must be dtype int64, got {dtype.name}.")
    if index == TextFileIndex.WHOLE_LINE and not dtype.is_integer and dtype != dtypes.string:
        raise ValueError(f"Signature mismatch. Keys must be integer or string, got {dtype.name}.")


class TextFileStringTableInitializer(TextFileInitializer):
    """A text file initializer for string keys from `key_column_index` (the whole line by
    default) to int64 ids from `value_column_index` (the line number by default)."""

    def __init__(
        self,
        filename,
        key_column_index=TextFileIndex.WHOLE_LINE,
        value_column_index=TextFileIndex.LINE_NUMBER,
        vocab_size=None,
        delimiter="\t",
        name="text_file_string_table_init",
    ):
        super().__init__(
            filename,
            dtypes.string,
            key_column_index,
            dtypes.int64,
            value_column_index,
            vocab_size,
            delimiter,
            name,
        )


class TextFileIdTableInitializer(TextFileInitializer):
    """A text file initializer for int64 ids from `key_column_index` (the line number by
    default) to strings from `value_column_index` (the whole line by default)."""

    def __init__(
        self,
        filename,
        key_column_index=TextFileIndex.LINE_NUMBER,
        value_column_index=TextFileIndex.WHOLE_LINE,
        vocab_size=None,
        delimiter="\t",
        name="text_file_id_table_init",
        key_dtype=dtypes.int64,
    ):
        super().__init__(
            filename,
            key_dtype,
            key_column_index,
            dtypes.string,
            value_column_index,
            vocab_size,
            delimiter,
            name,
        )


class InitializableLookupTableBase(LookupInterface):
    """A table filled once by an initializer (an op in `TABLE_INITIALIZERS`)."""

    def __init__(self, default_value, initializer):
        super().__init__(initializer.key_dtype, initializer.value_dtype)
        self._default_value = convert_to_tensor(default_value, dtype=self._value_dtype)
        self._initializer = initializer
        self._init_op = initializer.initialize(self)

    @property
    def default_value(self) -> Tensor:
        """The value a missing key maps to."""
        return self._default_value

    @property
    def initializer(self):
        """The op that initializes the table."""
        return self._init_op

    init = initializer

    def lookup(self, keys, name=None) -> Tensor:
        """The values of `keys` (the default value for missing ones), shaped like `keys`.

        Running it before the table's initializer fails with `FailedPreconditionError`.
        """
        return self._find(keys, name, self._default_value)


class StaticHashTable(InitializableLookupTableBase):
    """A hash table whose contents are fixed by its initializer.

    Example:
      >>> table = tf.lookup.StaticHashTable(
      ...     tf.lookup.KeyValueTensorInitializer(["a", "b"], [1, 2], value_dtype=tf.int64), -1)
      >>> out = table.lookup(tf.constant(["a", "c"]))
      >>> sess.run(tf.tables_initializer()); sess.run(out)   # [1, -1]
    """

    def __init__(self, initializer, default_value, name=None):
        self._name = name or "hash_table"
        key_dtype, value_dtype = initializer.key_dtype, initializer.value_dtype
        self._resource_handle = _handle(
            "HashTableV2",
            self._name,
            key_dtype=_np(key_dtype),
            value_dtype=_np(value_dtype),
            shared_name="",
            use_node_name_sharing=False,
        )
        self._name = self._resource_handle.op.name.split("/")[-1]
        super().__init__(default_value, initializer)


HashTable = StaticHashTable


# -- vocabulary tables with out-of-vocabulary buckets ------------------------------------------


def _hash_buckets(keys: Tensor, num_buckets: int) -> Tensor:
    """TF's `FastHashSpec`: Fingerprint64 of the key (as a string) modulo `num_buckets`."""
    strings = keys if keys.dtype.base_dtype == dtypes.string else string_ops.as_string(keys)
    return string_ops.string_to_hash_bucket_fast(strings, num_buckets, name="hash_bucket")


class StaticVocabularyTable(LookupInterface):
    """A vocabulary table whose missing keys go to one of `num_oov_buckets` hash buckets.

    A key in the vocabulary maps to its id; any other to `vocab size + hash(key) %
    num_oov_buckets`, with TF's Fingerprint64 hash (so ids match TF's).
    """

    def __init__(self, initializer, num_oov_buckets, lookup_key_dtype=None, name=None):
        if num_oov_buckets <= 0:
            raise ValueError("oov_buckets must be > 0.")
        if initializer.value_dtype != dtypes.int64:
            raise TypeError(
                f"Invalid value dtype, expected int64 but got {initializer.value_dtype}."
            )
        self._table = StaticHashTable(initializer, -1, name=name)
        self._num_oov_buckets = num_oov_buckets
        self._name, self._resource_handle = self._table.name, self._table.resource_handle
        key_dtype = lookup_key_dtype or initializer.key_dtype
        super().__init__(key_dtype, dtypes.int64)

    @property
    def initializer(self):
        return self._table.initializer

    def size(self, name=None) -> Tensor:
        """The vocabulary size plus the number of out-of-vocabulary buckets."""
        with name_scope(name, f"{self.name}_Size"):
            return self._table.size() + self._num_oov_buckets

    def lookup(self, keys, name=None) -> Tensor:
        """The ids of `keys`: vocabulary ids, or a bucket id past them for other keys."""
        keys = convert_to_tensor(keys, dtype=self._key_dtype, name="keys")
        _check_key_dtype(keys, self._key_dtype, self.name)
        with name_scope(name, f"{self.name}_Lookup", [keys]):
            buckets = _hash_buckets(keys, self._num_oov_buckets)
            table_keys = keys
            if keys.dtype.base_dtype != self._table.key_dtype:
                table_keys = math_ops.cast(keys, self._table.key_dtype)
            ids = self._table.lookup(table_keys)
            return array_ops.where(math_ops.not_equal(ids, -1), ids, buckets + self._table.size())


class IdTableWithHashBuckets(LookupInterface):
    """TF1's contrib table: `table`'s ids, and hash buckets past them for missing keys (or
    `table`'s default when there are no buckets)."""

    def __init__(self, table, num_oov_buckets, hasher_spec=None, name=None, key_dtype=None):
        self._table, self._num_oov_buckets = table, num_oov_buckets
        self._name = name or (table.name if table is not None else "hash_bucket")
        self._resource_handle = table.resource_handle if table is not None else None
        super().__init__(key_dtype or (table.key_dtype if table else dtypes.string), dtypes.int64)

    @property
    def initializer(self):
        return self._table.initializer if self._table is not None else control_flow_ops.no_op()

    init = initializer

    def size(self, name=None) -> Tensor:
        """The table's size plus the number of buckets."""
        with name_scope(name, f"{self.name}_Size"):
            base = self._table.size() if self._table is not None else 0
            return base + self._num_oov_buckets

    def lookup(self, keys, name=None) -> Tensor:
        """The ids of `keys`, with hash buckets for keys the table lacks."""
        keys = convert_to_tensor(keys, dtype=self._key_dtype, name="keys")
        with name_scope(name, f"{self.name}_Lookup", [keys]):
            if self._table is None:
                return _hash_buckets(keys, self._num_oov_buckets)
            table_keys = keys
            if keys.dtype.base_dtype != self._table.key_dtype:
                table_keys = math_ops.cast(keys, self._table.key_dtype)
            ids = self._table.lookup(table_keys)
            if not self._num_oov_buckets:
                return ids
            buckets = _hash_buckets(keys, self._num_oov_buckets) + self._table.size()
            return array_ops.where(math_ops.not_equal(ids, self._table.default_value), ids, buckets)


def _integer_keys(dtype) -> bool:
    return dtypes.as_dtype(dtype).is_integer


def index_table_from_tensor(
    vocabulary_list,
    num_oov_buckets=0,
    default_value=-1,
    hasher_spec=None,
    dtype=dtypes.string,
    name=None,
):
    """A table from the strings (or integers) of `vocabulary_list` to their int64 positions.

    Missing keys give `default_value`, or with `num_oov_buckets` > 0 a hash bucket id past
    the vocabulary. Run `tf.tables_initializer()` before looking up.
    """
    if vocabulary_list is None:
        raise ValueError("vocabulary_list must be specified.")
    if num_oov_buckets < 0:
        raise ValueError(f"num_oov_buckets must be greater or equal than 0, got {num_oov_buckets}.")
    with name_scope(name, "string_to_index"):
        keys = convert_to_tensor(
            vocabulary_list,
            dtype=None
            if dtype == dtypes.string
            else dtypes.int64
            if _integer_keys(dtype)
            else dtype,
        )
        ids = array_ops.range(array_ops.size(keys, out_type=dtypes.int64), dtype=dtypes.int64)
        init = KeyValueTensorInitializer(keys, ids, name="table_init")
        table = StaticHashTable(init, default_value, name="hash_table")
        if not num_oov_buckets:
            return table
        return IdTableWithHashBuckets(table, num_oov_buckets, hasher_spec, key_dtype=dtype)


def index_table_from_file(
    vocabulary_file=None,
    num_oov_buckets=0,
    vocab_size=None,
    default_value=-1,
    hasher_spec=None,
    key_dtype=dtypes.string,
    name=None,
    key_column_index=TextFileIndex.WHOLE_LINE,
    value_column_index=TextFileIndex.LINE_NUMBER,
    delimiter="\t",
):
    """A table from the keys of a vocabulary file (one per line) to their int64 ids."""
    if vocabulary_file is None or (isinstance(vocabulary_file, str) and not vocabulary_file):
        raise ValueError("vocabulary_file must be specified and must not be empty.")
    if num_oov_buckets < 0:
        raise ValueError(f"num_oov_buckets must be greater or equal than 0, got {num_oov_buckets}.")
    with name_scope(name, "string_to_index"):
        table_key_dtype = dtypes.int64 if _integer_keys(key_dtype) else key_dtype
        init = TextFileInitializer(
            vocabulary_file,
            table_key_dtype,
            key_column_index,
            dtypes.int64,
            value_column_index,
            vocab_size,
            delimiter,
            name="table_init",
        )
        table = StaticHashTable(init, default_value, name="hash_table")
        if not num_oov_buckets and table_key_dtype == key_dtype:
            return table
        return IdTableWithHashBuckets(table, num_oov_buckets, hasher_spec, key_dtype=key_dtype)


def index_to_string_table_from_tensor(vocabulary_list, default_value="UNK", name=None):
    """A table from int64 positions in `vocabulary_list` to its strings (`default_value`
    for other ids)."""
    if vocabulary_list is None:
        raise ValueError("vocabulary_list must be specified.")
    with name_scope(name, "index_to_string"):
        values = convert_to_tensor(vocabulary_list, dtypes.string)
        keys = array_ops.range(array_ops.size(values, out_type=dtypes.int64), dtype=dtypes.int64)
        init = KeyValueTensorInitializer(
            keys, values, dtypes.int64, dtypes.string, name="table_init"
        )
        return StaticHashTable(init, default_value, name="hash_table")


def index_to_string_table_from_file(
    vocabulary_file,
    vocab_size=None,
    default_value="UNK",
    name=None,
    key_column_index=TextFileIndex.LINE_NUMBER,
    value_column_index=TextFileIndex.WHOLE_LINE,
    delimiter="\t",
):
    """A table from int64 line numbers of a vocabulary file to its lines."""
    if vocabulary_file is None or (isinstance(vocabulary_file, str) and not vocabulary_file):
        raise ValueError("vocabulary_file must be specified and must not be empty.")
    with name_scope(name, "index_to_string"):
        init = TextFileInitializer(
            vocabulary_file,
            dtypes.int64,
            key_column_index,
            dtypes.string,
            value_column_index,
            vocab_size,
            delimiter,
            name="table_init",
        )
        return StaticHashTable(init, default_value, name="hash_table")


def index_to_string(tensor, mapping, default_value="UNK", name=None) -> Tensor:
    """The strings of `mapping` at the int64 ids in `tensor` (`default_value` outside it)."""
    table = index_to_string_table_from_tensor(mapping, default_value, name=name)
    return table.lookup(tensor)


# -- mutable tables ---------------------------------------------------------------------------


class MutableHashTable(LookupInterface):
    """A hash table that takes inserts and removals after it is built (empty at first).

    Values may be scalars or tensors of one shape (that of `default_value`).

    Example:
      >>> table = tf.lookup.experimental.MutableHashTable(tf.string, tf.int64, -1)
      >>> sess.run(table.insert(["a"], [7])); sess.run(table.lookup(["a", "b"]))  # [7, -1]
    """

    def __init__(
        self, key_dtype, value_dtype, default_value, name="MutableHashTable", checkpoint=True
    ):
        super().__init__(key_dtype, value_dtype)
        self._default_value = convert_to_tensor(default_value, dtype=self._value_dtype)
        self._value_shape = tuple(self._default_value.shape.as_list())
        attrs = dict(
            key_dtype=_np(key_dtype),
            value_dtype=_np(value_dtype),
            shared_name="",
            use_node_name_sharing=False,
        )
        if self._value_shape:
            self._resource_handle = _handle(
                "MutableHashTableOfTensorsV2", name, value_shape=self._value_shape, **attrs
            )
        else:
            self._resource_handle = _handle("MutableHashTableV2", name, **attrs)
        self._name = self._resource_handle.op.name.split("/")[-1]
        if checkpoint:
            _add_saveable(self)

    def lookup(self, keys, name=None) -> Tensor:
        """The values of `keys` (the default value for missing ones)."""
        return self._find(keys, name, self._default_value)

    def _update(self, op_type: str, scope: str, name, keys, *values):
        keys = convert_to_tensor(keys, dtype=self._key_dtype, name="keys")
        _check_key_dtype(keys, self._key_dtype, self.name)
        values = [convert_to_tensor(v, dtype=self._value_dtype, name="values") for v in values]
        attrs = {"Tin": keys.dtype.base_dtype.numpy_dtype}
        if values:
            attrs["Tout"] = self._value_dtype.numpy_dtype
        with name_scope(name, f"{self.name}_{scope}", [self.resource_handle, keys]):
            return apply_op(op_type, [self.resource_handle, keys, *values], **attrs)

    def insert(self, keys, values, name=None):
        """The op that sets `table[keys[i]] = values[i]` (replacing existing values)."""
        return self._update("LookupTableInsertV2", "lookup_table_insert", name, keys, values)

    def remove(self, keys, name=None):
        """The op that removes `keys` from the table (missing keys are ignored)."""
        return self._update("LookupTableRemoveV2", "lookup_table_remove", name, keys)

    def export(self, name=None):
        """All keys and values in the table, as two tensors (in no particular order)."""
        with name_scope(name, f"{self.name}_lookup_table_export_values", [self.resource_handle]):
            return apply_op(
                "LookupTableExportV2",
                [self.resource_handle],
                Tkeys=self._key_dtype.numpy_dtype,
                Tvalues=self._value_dtype.numpy_dtype,
            )


class DenseHashTable(MutableHashTable):
    """A mutable hash table with open addressing (TF's `MutableDenseHashTable`): two keys,
    `empty_key` and `deleted_key`, are reserved and may be neither inserted nor looked up."""

    def __init__(
        self,
        key_dtype,
        value_dtype,
        default_value,
        empty_key,
        deleted_key,
        initial_num_buckets=None,
        name="MutableDenseHashTable",
        checkpoint=True,
    ):
        LookupInterface.__init__(self, key_dtype, value_dtype)
        self._default_value = convert_to_tensor(default_value, dtype=self._value_dtype)
        self._value_shape = tuple(self._default_value.shape.as_list())
        empty = convert_to_tensor(empty_key, dtype=self._key_dtype, name="empty_key")
        deleted = convert_to_tensor(deleted_key, dtype=self._key_dtype, name="deleted_key")
        with name_scope(None):
            self._resource_handle = _handle_with_inputs(
                "MutableDenseHashTableV2",
                name,
                [empty, deleted],
                key_dtype=_np(key_dtype),
                value_dtype=_np(value_dtype),
                value_shape=self._value_shape,
                initial_num_buckets=initial_num_buckets or 131072,
                max_load_factor=0.8,
                shared_name="",
                use_node_name_sharing=False,
            )
        self._name = self._resource_handle.op.name.split("/")[-1]
        if checkpoint:
            _add_saveable(self)


def _add_saveable(table: MutableHashTable) -> None:
    """Puts `table` in SAVEABLE_OBJECTS, as TF does: a Saver writes its exported keys and
    values as `<name>-keys` and `<name>-values` and restores them with an import.

    Tables with string keys or values are left out for now: flowgraph's checkpoint writer
    cannot store string tensors yet (TF's bundle format, a later issue).
    """
    from flowgraph.train.saver import BaseSaverBuilder  # the saver builds on these ops

    if dtypes.string in (table.key_dtype, table.value_dtype):
        return

    class _Saveable(BaseSaverBuilder.SaveableObject):
        def restore(self, restored_tensors, restored_shapes):
            keys, values = restored_tensors
            return apply_op(
                "LookupTableImportV2",
                [table.resource_handle, keys, values],
                Tin=table.key_dtype.numpy_dtype,
                Tout=table.value_dtype.numpy_dtype,
            )

    keys, values = table.export()
    name = table.resource_handle.op.name
    specs = [
        BaseSaverBuilder.SaveSpec(keys, "", name + "-keys"),
        BaseSaverBuilder.SaveSpec(values, "", name + "-values"),
    ]
    saveable = _Saveable(table.resource_handle, specs, name)
    get_default_graph().add_to_collection(GraphKeys.SAVEABLE_OBJECTS, saveable)


def _handle_with_inputs(op_type: str, name: str, inputs: list, **attrs) -> Tensor:
    ref = apply_op(op_type, inputs, name=name, **attrs)
    ref._dtype = dtypes.resource
    return ref


# -- initializers of all tables ---------------------------------------------------------------


def tables_initializer(name="init_all_tables"):
    """The op that runs every table initializer in the graph (`TABLE_INITIALIZERS`)."""
    initializers = get_default_graph().get_collection(GraphKeys.TABLE_INITIALIZERS)
    if initializers:
        return control_flow_ops.group(*initializers, name=name)
    return control_flow_ops.no_op(name=name)


initialize_all_tables = tables_initializer
