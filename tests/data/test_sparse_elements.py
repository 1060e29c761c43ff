"""SparseTensors as tf.data elements: every case of sparse_cases.py against TensorFlow's
elements (indices order, dense_shape, dtypes), structures and errors (fixtures made by
fixtures/make_sparse_fixtures.py); shuffle of sparse elements as a permutation."""

import json
import pathlib

import numpy as np
import pytest

import flowgraph as tf
from tests.data.fixtures import sparse_cases

EXPECTED = json.loads(
    (pathlib.Path(sparse_cases.__file__).parent / "tf_sparse_data.json").read_text()
)

OP_TYPES_TESTED = [
    "SerializeSparseToVariant",
    "SerializeManySparseToVariant",
    "DeserializeSparse",
    "DenseToSparseBatchDataset",
    "SparseTensorSliceDataset",
]
NOT_DIFFERENTIABLE = {t: "SparseTensors as variant dataset components" for t in OP_TYPES_TESTED}


def _close(got, want, where="value"):
    if isinstance(want, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(want), (where, got, want)
        for k in want:
            _close(got[k], want[k], f"{where}[{k!r}]")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), (where, got, want)
        for i, (g, w) in enumerate(zip(got, want)):
            _close(g, w, f"{where}[{i}]")
    elif isinstance(want, float):
        assert got == pytest.approx(want, rel=1e-5, abs=1e-6), where
    else:
        assert got == want, (where, got, want)


@pytest.mark.parametrize("name", sorted(sparse_cases.CASES))
def test_elements_and_structure_match_tensorflow(name):
    _close(sparse_cases.run_case(tf, sparse_cases.CASES[name]), EXPECTED["cases"][name])


@pytest.mark.parametrize("name", sorted(sparse_cases.ERRORS))
def test_errors_match_tensorflow(name):
    got = sparse_cases.run_error(tf, sparse_cases.ERRORS[name])
    want = EXPECTED["errors"][name]
    assert got["error"] == want["error"]
    assert want["message"] in got["message"]


@pytest.mark.parametrize("name", sorted(sparse_cases.PROGRAMS))
def test_programs_match_tensorflow(name):
    _close(sparse_cases.run_program(tf, sparse_cases.PROGRAMS[name]), EXPECTED["programs"][name])


def test_get_next_is_a_sparse_tensor_and_runs_to_a_sparse_tensor_value():
    with tf.Graph().as_default():
        st = tf.SparseTensor([[0, 1], [2, 0]], [1.5, 2.5], [3, 4])
        nxt = tf.data.Dataset.from_tensor_slices(st).batch(2).make_one_shot_iterator().get_next()
        assert isinstance(nxt, tf.SparseTensor)
        assert nxt.indices.shape.as_list() == [None, 2]
        assert nxt.get_shape().as_list() == [None, 4]
        with tf.Session() as sess:
            value = sess.run(nxt)
    assert isinstance(value, tf.SparseTensorValue)
    assert value.indices.dtype == np.int64 and value.dense_shape.dtype == np.int64


def test_shuffle_of_sparse_elements_is_a_permutation():
    with tf.Graph().as_default():
        n = 20
        st = tf.SparseTensor(np.stack([np.arange(n), np.zeros(n, int)], 1), np.arange(n), [n, 2])
        ds = tf.data.Dataset.from_tensor_slices(st).shuffle(5, seed=1).repeat(2)
        nxt = ds.make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            got = [sess.run(nxt) for _ in range(2 * n)]
    for epoch in (got[:n], got[n:]):
        assert sorted(int(v.values[0]) for v in epoch) == list(range(n))
        assert all(v.indices.tolist() == [[0]] and v.dense_shape.tolist() == [2] for v in epoch)
    assert [v.values[0] for v in got[:n]] != list(range(n))


def test_file_cache_keeps_sparse_elements(tmp_path):
    with tf.Graph().as_default():
        st = tf.SparseTensor([[0, 1], [2, 0]], [1.5, 2.5], [3, 4])
        ds = tf.data.Dataset.from_tensor_slices(st).cache(str(tmp_path / "c")).repeat(2)
        nxt = ds.make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            got = [sess.run(tf.sparse.to_dense(nxt)).tolist() for _ in range(6)]
    assert got[:3] == got[3:] == [[0, 1.5, 0, 0], [0, 0, 0, 0], [2.5, 0, 0, 0]]


def test_prefetch_to_device_keeps_sparse_and_string_components_on_the_host():
    with tf.Graph().as_default():
        st = tf.SparseTensor([[0, 1], [2, 0]], [1.5, 2.5], [3, 4])
        ds = tf.data.Dataset.from_tensor_slices((st, ["a", "b", "c"], [1.0, 2.0, 3.0]))
        ds = ds.apply(tf.data.experimental.prefetch_to_device("/cpu:0", 2))
        s, name, x = ds.make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            got = [sess.run([tf.sparse.to_dense(s), name, x]) for _ in range(3)]
    assert [g[0].tolist() for g in got] == [[0, 1.5, 0, 0], [0, 0, 0, 0], [2.5, 0, 0, 0]]
    assert [g[1] for g in got] == [b"a", b"b", b"c"] and [g[2] for g in got] == [1, 2, 3]


def test_iterator_of_dense_classes_refuses_a_sparse_dataset():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_tensor_slices(tf.SparseTensor([[0, 1]], [1.5], [3, 4]))
        it = tf.data.Iterator.from_structure(ds.output_types, ds.output_shapes)
        with pytest.raises(TypeError, match="Expected output classes"):
            it.make_initializer(ds)


def test_deserialize_sparse_reads_string_rows_as_variant_rows():
    from kernels import dataset_sparse, sparse_serialize

    indices, values, shape = [[0, 1], [2, 0], [2, 3]], np.array([1.5, 2.5, 3.5], np.float32), [3, 4]
    as_strings = sparse_serialize.serialize_many_sparse(indices, values, shape)
    as_variants = dataset_sparse.sparse_rows(indices, values, shape)
    for rows in (as_strings, as_variants, as_variants[None]):
        got = dataset_sparse.deserialize(rows, np.float32)
        lead = [1] * (rows.ndim - 2)
        assert got[0].tolist() == [[*([0] * len(lead)), *i] for i in indices]
        assert got[1].tolist() == values.tolist() and got[2].tolist() == [*lead, 3, 4]
