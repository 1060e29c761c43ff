"""`tf.estimator.inputs`: input functions feeding numpy arrays or a pandas DataFrame.

Each returned `input_fn` slices the arrays with `tf.data` (shuffled, repeated
`num_epochs` times, batched, the last batch possibly smaller when `num_epochs` is set),
so an Estimator's input ends with `OutOfRangeError` as TF's queue-fed version did.
"""

from __future__ import annotations

import collections

import numpy as np

from flowgraph.data.dataset_ops import Dataset

try:
    import pandas as pd
except ImportError:
    pd = None

_TARGET_KEY = "__target_key__"
_SHUFFLE_MESSAGE = (
    "shuffle must be provided and explicitly set as boolean (it is recommended to set it "
    "as True for training); got {}"
)


def numpy_input_fn(
    x, y=None, batch_size=128, num_epochs=1, shuffle=None, queue_capacity=1000, num_threads=1
):
    """Returns input function that would feed dict of numpy arrays into the model.

    This returns a function outputting `features` and `targets` based on the dict of
    numpy arrays. The dict `features` has the same keys as the `x`. The dict `targets`
    has the same keys as the `y` if `y` is a dict.

    Example:
      >>> age = np.arange(4) * 1.0
      >>> height = np.arange(32, 36)
      >>> x = {"age": age, "height": height}
      >>> y = np.arange(-32, -28)
      >>> with tf.Session() as session:
      ...     input_fn = tf.estimator.inputs.numpy_input_fn(
      ...         x, y, batch_size=2, shuffle=False, num_epochs=1)

    Args:
      x: numpy array object or dict of numpy array objects. If an array, the array will
        be treated as a single feature.
      y: numpy array object or dict of numpy array object. `None` if absent.
      batch_size: Integer, size of batches to return.
      num_epochs: Integer, number of epochs to iterate over data. If `None` will run
        forever.
      shuffle: Boolean, if True shuffles the queue. Avoid shuffle at prediction time.
      queue_capacity: Integer, size of queue to accumulate (the shuffle buffer).
      num_threads: Integer, number of threads used for reading and enqueueing (unused:
        tf.data reads in order).

    Returns:
      Function, that has signature of ()->(dict of `features`, `targets`)

    Raises:
      ValueError: if the shape of `y` mismatches the shape of values in `x` (i.e.,
        values in `x` have same shape), or if duplicate keys are found in both `x` and
        `y`, or if x or y is an empty dict, or if `shuffle` is not provided or a bool.
      TypeError: `x` is not a dict or array.
    """
    if not isinstance(shuffle, bool):
        raise ValueError(_SHUFFLE_MESSAGE.format(shuffle))

    def input_fn():
        data = _validate_and_convert_features(x)
        feature_keys = list(data)
        target_keys = _add_targets(data, y)
        _check_lengths(data, feature_keys, target_keys, y)
        batch = _batched(data, batch_size, num_epochs, shuffle, queue_capacity)
        features = (
            batch[feature_keys[0]]
            if isinstance(x, np.ndarray)
            else {key: batch[key] for key in feature_keys}
        )
        if target_keys is None:
            return features
        if isinstance(target_keys, str):
            return features, batch[target_keys]
        return features, {key: batch[key] for key in target_keys}

    return input_fn


def _validate_and_convert_features(x):
    if isinstance(x, dict):
        if not x:
            raise ValueError("x cannot be an empty dict")
        return collections.OrderedDict(sorted(x.items(), key=lambda t: t[0]))
    if isinstance(x, np.ndarray):
        if x.size == 0:
            raise ValueError("x cannot be an empty array")
        return collections.OrderedDict({"__direct_np_input__": x})
    raise TypeError(f"x must be a dict or array; got {type(x).__name__}")


def _add_targets(data, y):
    """Adds `y` to `data`; returns its key (a string) or keys (a list), or None."""
    if y is None:
        return None
    if not isinstance(y, dict):
        key = _TARGET_KEY
        while key in data:
            key += "_n"
        data[key] = y
        return key
    if not y:
        raise ValueError("y cannot be empty dict, use None instead.")
    duplicate_keys = set(data).intersection(y)
    if duplicate_keys:
        raise ValueError(
            f"{len(duplicate_keys)} duplicate keys are found in both x and y: {duplicate_keys}"
        )
    ordered = collections.OrderedDict(sorted(y.items(), key=lambda t: t[0]))
    data.update(ordered)
    return list(ordered)


def _check_lengths(data, feature_keys, target_keys, y):
    if len({np.shape(v)[0] for v in data.values()}) == 1:
        return
    shapes_x = {k: np.shape(data[k]) for k in feature_keys}
    if target_keys is None:
        shape_y = None
    elif isinstance(target_keys, str):
        shape_y = np.shape(y)
    else:
        shape_y = {k: np.shape(data[k]) for k in target_keys}
    raise ValueError(
        "Length of tensors in x and y is mismatched. All elements in x and y must have the "
        f"same length.\nShapes in x: {shapes_x}\nShapes in y: {shape_y}\n"
    )


def _batched(data, batch_size, num_epochs, shuffle, buffer_size):
    """One batch (a dict of tensors) from the next element of the sliced `data`."""
    dataset = Dataset.from_tensor_slices({k: np.asarray(v) for k, v in data.items()})
    if shuffle:
        dataset = dataset.shuffle(buffer_size)
    dataset = dataset.repeat(num_epochs).batch(batch_size)
    return dataset.make_one_shot_iterator().get_next()


def pandas_input_fn(
    x,
    y=None,
    batch_size=128,
    num_epochs=1,
    shuffle=None,
    queue_capacity=1000,
    num_threads=1,
    target_column="target",
):
    """Returns input function that would feed Pandas DataFrame into the model.

    Note: `y`'s index must match `x`'s index. Needs pandas installed (flowgraph does not
    depend on it).

    Args:
      x: pandas `DataFrame` object.
      y: pandas `Series` object or `DataFrame`. `None` if absent.
      batch_size: int, size of batches to return.
      num_epochs: int, number of epochs to iterate over data. If not `None`, read
        attempts that would exceed this value will raise `OutOfRangeError`.
      shuffle: bool, whether to read the records in random order.
      queue_capacity: int, size of the read queue (the shuffle buffer).
      num_threads: Integer, number of threads used for reading and enqueueing (unused).
      target_column: str, name to give the target column `y`.

    Returns:
      Function, that has signature of ()->(dict of `features`, `target`)

    Raises:
      TypeError: pandas is not installed, or `target_column` is not a string.
      ValueError: if `x` already contains a column with the same name as `y`, or if
        the indexes of `x` and `y` don't match, or if `shuffle` is not a bool.
    """
    if pd is None:
        raise TypeError("pandas_input_fn should not be called without pandas installed")
    if not isinstance(shuffle, bool):
        raise ValueError(_SHUFFLE_MESSAGE.format(shuffle))
    if not isinstance(target_column, str):
        raise TypeError("target_column must be a string type")
    features = {column: x[column].values for column in x.columns}
    if y is None:
        return numpy_input_fn(features, None, batch_size, num_epochs, shuffle, queue_capacity)
    if target_column in x:
        raise ValueError(
            f"Cannot use name {target_column} for target column: DataFrame already has a "
            f"column with that name: {x.columns}"
        )
    if not np.array_equal(x.index, y.index):
        raise ValueError(
            f"Index for x and y are mismatched.\nIndex for x: {x.index}\nIndex for y: {y.index}\n"
        )
    target = {c: y[c].values for c in y.columns} if isinstance(y, pd.DataFrame) else y.values
    return numpy_input_fn(features, target, batch_size, num_epochs, shuffle, queue_capacity)
