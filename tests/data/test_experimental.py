"""tf.data.experimental: map_and_batch, parallel_interleave, CSV datasets, batched Example
features, device prefetching."""

import jax
import numpy as np
import pytest

import flowgraph as tf

OP_TYPES_TESTED = ["CSVDataset"]
NOT_DIFFERENTIABLE = {"CSVDataset": "a dataset op: variant output"}


def _all(dataset):
    nxt = dataset.make_one_shot_iterator().get_next()
    out = []
    with tf.Session() as sess:
        while True:
            try:
                out.append(sess.run(nxt))
            except tf.errors.OutOfRangeError:
                return out


def test_map_and_batch_vectorizes_a_compiled_function():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(10).apply(
            tf.data.experimental.map_and_batch(lambda x: tf.square(x) + 1, 4, num_parallel_calls=2)
        )
        got = _all(ds)
    assert [g.tolist() for g in got] == [[1, 2, 5, 10], [17, 26, 37, 50], [65, 82]]


def test_map_and_batch_arguments_are_exclusive():
    with pytest.raises(ValueError, match="mutually exclusive"):
        tf.data.experimental.map_and_batch(
            lambda x: x, 2, num_parallel_batches=1, num_parallel_calls=1
        )


def test_parallel_interleave_keeps_the_deterministic_order():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(1, 4).apply(
            tf.data.experimental.parallel_interleave(
                lambda x: tf.data.Dataset.from_tensors(x).repeat(2), cycle_length=2
            )
        )
        assert _all(ds) == [1, 2, 1, 2, 3, 3]


def test_csv_dataset(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text('a,b,c\n1,"x,y",2.5\n2,,3.5\n')
    with tf.Graph().as_default():
        ds = tf.data.experimental.CsvDataset(
            str(path), [tf.int32, tf.constant("dflt"), tf.float32], header=True
        )
        assert ds.output_types == (tf.int32, tf.string, tf.float32)
        got = _all(ds)
    assert [(int(a), b, float(c)) for a, b, c in got] == [(1, b"x,y", 2.5), (2, b"dflt", 3.5)]


def test_make_csv_dataset_infers_types_and_splits_the_label(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("n,score,name\n1,0.5,a\n2,1.5,b\n3,2.5,c\n")
    with tf.Graph().as_default():
        ds = tf.data.experimental.make_csv_dataset(
            str(path), batch_size=2, label_name="score", num_epochs=1, shuffle=False
        )
        features, label = ds.output_types
        assert features == {"n": tf.int32, "name": tf.string} and label == tf.float32
        got = _all(ds)
    assert got[0][0]["n"].tolist() == [1, 2] and got[0][1].tolist() == [0.5, 1.5]
    assert got[1][0]["name"].tolist() == [b"c"]


def _elements_and_errors(dataset, count):
    nxt = dataset.make_one_shot_iterator().get_next()
    out = []
    with tf.Session() as sess:
        for _ in range(count):
            try:
                out.append(tuple(v.item() for v in sess.run(nxt)))
            except tf.errors.InvalidArgumentError as e:
                out.append(e.message.split(": ", 1)[1].split(" (defined")[0])
            except tf.errors.OutOfRangeError:
                return out
    return out


def test_csv_dataset_bad_lines_fail_in_place_and_ignore_errors_drops_each(tmp_path):
    # What TF 2.21's CSVDataset gives for these lines, TF's texts included.
    path = tmp_path / "data.csv"
    path.write_text("x,y\n1,2.5\n3,oops\n5,6.5\n7\n9,1.5\n")
    with tf.Graph().as_default():
        rows = tf.data.experimental.CsvDataset(str(path), [0, 0.0], header=True)
        assert _elements_and_errors(rows, 7) == [
            (1, 2.5),
            "Field 1 in record is not a valid float: oops",
            (5, 6.5),
            "Expect 2 fields but have 1 in record",
            (9, 1.5),
        ]
        kept = rows.apply(tf.data.experimental.ignore_errors())
        assert _elements_and_errors(kept, 7) == [(1, 2.5), (5, 6.5), (9, 1.5)]


def test_make_csv_dataset_ignore_errors_drops_bad_rows(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("x,y\n1,2.5\n3,oops\n5,6.5\n")
    second.write_text("x,y\n7,8.5\n")
    with tf.Graph().as_default():
        ds = tf.data.experimental.make_csv_dataset(
            [str(first), str(second)], 1, column_defaults=[0, 0.0], shuffle=False,
            num_epochs=1, ignore_errors=True,
        )  # fmt: skip
        got = [(int(e["x"][0]), float(e["y"][0])) for e in _all(ds)]
    assert got == [(1, 2.5), (5, 6.5), (7, 8.5)]  # TF 2.21's rows


def test_make_batched_features_dataset(tmp_path):
    path = str(tmp_path / "ex.tfrecord")
    with tf.python_io.TFRecordWriter(path) as writer:
        for i in range(5):
            feature = {"v": tf.train.Feature(int64_list=tf.train.Int64List(value=[i, -i]))}
            writer.write(
                tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()
            )
    with tf.Graph().as_default():
        ds = tf.data.experimental.make_batched_features_dataset(
            path, 2, {"v": tf.FixedLenFeature([2], tf.int64)}, num_epochs=1, shuffle=False
        )
        got = _all(ds)
    assert [g["v"].tolist() for g in got] == [[[0, 0], [1, -1]], [[2, -2], [3, -3]], [[4, -4]]]


def test_prefetch_to_device_puts_elements_on_the_device():
    device = jax.devices()[-1]
    with tf.Graph().as_default():
        ds = (
            tf.data.Dataset.range(3)
            .map(lambda x: tf.cast(x, tf.float32))
            .apply(
                tf.data.experimental.prefetch_to_device(
                    f"/device:{device.platform.upper()}:{device.id}"
                )
            )
        )
        assert _all(ds) == [0.0, 1.0, 2.0]
        np.testing.assert_equal(
            _all(ds.apply(tf.data.experimental.copy_to_device("/cpu:0"))), [0.0, 1.0, 2.0]
        )
