"""tf.data.experimental: fused transformations, CSV and Example-file datasets, device
prefetching."""

from __future__ import annotations

import csv
import glob

import numpy as np

from flowgraph.data.dataset_ops import AUTOTUNE, Dataset, _batched, _bool, _int64, _trace
from flowgraph.data.readers import TFRecordDataset, _strings
from flowgraph.data.structure import Spec
from flowgraph.framework import dtypes, random_seed, tensor_shape
from flowgraph.framework.ops import Tensor
from flowgraph.framework.sparse_tensor import SparseTensor

AUTOTUNE = AUTOTUNE  # noqa: PLW0127  (re-exported)


def map_and_batch(
    map_func, batch_size, num_parallel_batches=None, drop_remainder=False, num_parallel_calls=None
):
    """`map(map_func)` then `batch(batch_size)` fused: a compiled `map_func` runs once per
    batch, vectorized over it."""
    if num_parallel_batches is not None and num_parallel_calls is not None:
        raise ValueError(
            "The `num_parallel_batches` and `num_parallel_calls` arguments are mutually exclusive."
        )
    parallel = num_parallel_calls
    if parallel is None:
        parallel = (num_parallel_batches or 1) * (batch_size if isinstance(batch_size, int) else 1)

    def apply(dataset):
        fn = _trace(map_func, dataset._specs, "map_and_batch()", vectorize=True)
        specs = _batched(fn.specs, batch_size if drop_remainder else None)
        return fn.dataset(
            dataset,
            "MapAndBatchDataset",
            specs=specs,
            extra=[_int64(batch_size), _int64(parallel), _bool(drop_remainder)],
            preserve_cardinality=True,
        )

    return apply


def parallel_interleave(
    map_func,
    cycle_length,
    block_length=1,
    sloppy=False,
    buffer_output_elements=None,
    prefetch_input_elements=None,
):
    """`interleave` whose `cycle_length` datasets are read ahead on background threads."""

    def apply(dataset):
        return dataset.interleave(
            map_func, cycle_length, block_length, num_parallel_calls=cycle_length
        )

    return apply


def shuffle_and_repeat(buffer_size, count=None, seed=None):
    """`shuffle(buffer_size, seed)` then `repeat(count)`, reshuffling each epoch."""

    def apply(dataset):
        seed1, seed2 = random_seed.get_seed(seed)
        return Dataset(
            dataset._specs,
            "ShuffleAndRepeatDataset",
            inputs=[dataset],
            tensors=[
                _int64(buffer_size),
                _int64(seed1 or 0),
                _int64(seed2 or 0),
                _int64(-1 if count is None else count),
            ],
            reshuffle_each_iteration=True,
        )

    return apply


def ignore_errors(log_warning=False):
    """Drops the elements whose computation raised an error (a corrupt record, a failing
    map function)."""

    def apply(dataset):
        return Dataset(
            dataset._specs, "IgnoreErrorsDataset", inputs=[dataset], log_warning=bool(log_warning)
        )

    return apply


def unbatch():
    """`Dataset.unbatch` as a transformation."""
    return lambda dataset: dataset.unbatch()


def dense_to_sparse_batch(batch_size, row_shape):
    """Batches `batch_size` dense elements of any shape up to `row_shape` into one
    SparseTensor of dense shape [n, *row_shape] (n: the batch's size) holding every entry.

    Example:
      >>> ds.apply(tf.data.experimental.dense_to_sparse_batch(2, [5]))
    """

    def apply(dataset):
        spec = dataset._specs
        if not isinstance(spec, Spec) or spec.cls is not Tensor:
            raise TypeError(
                "`dense_to_sparse_batch` requires an input dataset whose elements have a "
                "single component, but the given dataset has the following component types: "
                f"{dataset.output_types}."
            )
        dims = [int(d) for d in np.asarray(row_shape).reshape(-1)]
        for d in dims:
            if d < 0:
                raise ValueError(f"Dimension {d} must be >= 0")
        shape = tensor_shape.TensorShape([None, *dims])
        return Dataset(
            Spec(spec.dtype, shape, SparseTensor),
            "DenseToSparseBatchDataset",
            inputs=[dataset],
            tensors=[_int64(batch_size), _int64(np.array(dims, np.int64))],
        )

    return apply


def prefetch_to_device(device, buffer_size=None):
    """Prefetches elements onto `device` (a jax device is filled while the step runs)."""

    def apply(dataset):
        return Dataset(
            dataset._specs,
            "PrefetchDataset",
            inputs=[dataset],
            tensors=[_int64(1 if buffer_size is None else buffer_size)],
            _device=str(device),
        )

    return apply


def copy_to_device(target_device, source_device="/cpu:0"):
    """Puts each element on `target_device` as it is produced."""
    return prefetch_to_device(target_device, 1)


class CsvDataset(Dataset):
    """The records of CSV files, one element of `len(record_defaults)` columns per line.

    `record_defaults` gives each column's type (a dtype: required) or default value.
    """

    def __init__(
        self,
        filenames,
        record_defaults,
        compression_type=None,
        buffer_size=None,
        header=False,
        field_delim=",",
        use_quote_delim=True,
        na_value="",
        select_cols=None,
    ):
        from flowgraph.ops.constant_op import convert_to_tensor

        defaults = [_default(d) for d in record_defaults]
        specs = tuple(
            Spec(d.dtype.base_dtype, tensor_shape.TensorShape([]), Tensor) for d in defaults
        )
        tensors = [
            _strings(filenames, "filenames"),
            _strings(compression_type or "", "compression"),
            _int64(buffer_size or 4 * 1024 * 1024),
            _bool(header),
            convert_to_tensor(field_delim, dtype=dtypes.string),
            _bool(use_quote_delim),
            convert_to_tensor(na_value, dtype=dtypes.string),
            convert_to_tensor(np.array(select_cols or [], np.int64)),
            *defaults,
        ]
        super().__init__(specs, "CSVDataset", tensors=tensors, output_types=None)


def _default(value) -> Tensor:
    from flowgraph.ops.constant_op import convert_to_tensor

    if isinstance(value, dtypes.DType):
        return convert_to_tensor(np.zeros([0], value.numpy_dtype), dtype=value)
    return convert_to_tensor(value)


_ignore_errors = ignore_errors  # make_csv_dataset's argument of that name hides it


def make_csv_dataset(
    file_pattern,
    batch_size,
    column_names=None,
    column_defaults=None,
    label_name=None,
    select_columns=None,
    field_delim=",",
    use_quote_delim=True,
    na_value="",
    header=True,
    num_epochs=None,
    shuffle=True,
    shuffle_buffer_size=10000,
    shuffle_seed=None,
    prefetch_buffer_size=AUTOTUNE,
    num_parallel_reads=1,
    sloppy=False,
    num_rows_for_inference=100,
    compression_type=None,
    ignore_errors=False,
):
    """Batches of CSV rows as dicts of column name -> tensor (and a label), column types
    inferred from the first rows when not given; with `ignore_errors`, rows that fail to
    parse are dropped."""
    files = sorted(glob.glob(file_pattern)) if isinstance(file_pattern, str) else list(file_pattern)
    if not files:
        raise ValueError(f"No files match `file_pattern` {file_pattern}.")
    names = column_names or _header(files[0], field_delim)
    selected = (
        list(range(len(names)))
        if select_columns is None
        else [c if isinstance(c, int) else names.index(c) for c in select_columns]
    )
    names = [names[i] for i in selected]
    defaults = column_defaults or _inferred_defaults(files[0], selected, header, field_delim)
    rows = CsvDataset(
        files,
        defaults,
        compression_type,
        header=header,
        field_delim=field_delim,
        use_quote_delim=use_quote_delim,
        na_value=na_value,
        select_cols=selected,
    )

    def as_features(*columns):
        features = dict(zip(names, columns))
        if label_name is None:
            return features
        return features, features.pop(label_name)

    dataset = rows.apply(_ignore_errors()) if ignore_errors else rows
    if shuffle:
        dataset = dataset.shuffle(shuffle_buffer_size, shuffle_seed)
    dataset = dataset.repeat(num_epochs).batch(batch_size).map(as_features)
    return dataset.prefetch(prefetch_buffer_size)


def _header(path: str, delim: str) -> list[str]:
    with open(path, newline="") as f:
        return next(csv.reader(f, delimiter=delim))


def _inferred_defaults(path, selected, header, delim, rows=100) -> list:
    kinds = [np.int32] * len(selected)
    with open(path, newline="") as f:
        reader = csv.reader(f, delimiter=delim)
        if header:
            next(reader, None)
        for _, row in zip(range(rows), reader):
            for j, c in enumerate(selected):
                kinds[j] = _widen(kinds[j], row[c] if c < len(row) else "")
    return [dtypes.string if k is str else dtypes.as_dtype(k) for k in kinds]


def _widen(kind, text: str):
    for candidate in (np.int32, np.int64, np.float32):
        if (kind, candidate) in (
            (np.int64, np.int32),
            (np.float32, np.int32),
            (np.float32, np.int64),
        ):
            continue
        try:
            (int if candidate is not np.float32 else float)(text)
            if candidate is np.int32 and not -(2**31) <= int(text) < 2**31:
                continue
            return candidate
        except ValueError:
            continue
    return str if text else kind


def make_batched_features_dataset(
    file_pattern,
    batch_size,
    features,
    reader=None,
    label_key=None,
    reader_args=None,
    num_epochs=None,
    shuffle=True,
    shuffle_buffer_size=10000,
    shuffle_seed=None,
    prefetch_buffer_size=AUTOTUNE,
    reader_num_threads=1,
    parser_num_threads=2,
    sloppy_ordering=False,
    drop_final_batch=False,
):
    """Batches of parsed `tf.train.Example`s from files: records are batched first and
    parsed a whole batch at a time (`parse_example`)."""
    from flowgraph.ops import parsing_ops

    files = Dataset.list_files(file_pattern, shuffle=shuffle, seed=shuffle_seed)
    reader = reader or TFRecordDataset
    dataset = files.interleave(
        lambda f: reader(f, *(reader_args or [])), cycle_length=reader_num_threads, block_length=1
    )
    if shuffle:
        dataset = dataset.shuffle(shuffle_buffer_size, shuffle_seed)
    dataset = dataset.repeat(num_epochs).batch(batch_size, drop_remainder=drop_final_batch)

    def parse(serialized):
        parsed = parsing_ops.parse_example(serialized, features)
        if label_key is None:
            return parsed
        return parsed, parsed.pop(label_key)

    return dataset.map(parse, num_parallel_calls=parser_num_threads).prefetch(prefetch_buffer_size)
