"""tf.data.Dataset: every transformation against TensorFlow's elements (fixtures), shuffle
as a buffered permutation, structures and build-time errors."""

import json
import pathlib

import numpy as np
import pytest

import flowgraph as tf
from tests.data.fixtures import cases

EXPECTED = json.loads((pathlib.Path(cases.__file__).parent / "tf_data.json").read_text())

OP_TYPES_TESTED = [
    "TensorSliceDataset",
    "TensorDataset",
    "RangeDataset",
    "ZipDataset",
    "ConcatenateDataset",
    "BatchDatasetV2",
    "PaddedBatchDatasetV2",
    "FilterDataset",
    "FlatMapDataset",
    "InterleaveDataset",
    "ParallelInterleaveDatasetV4",
    "RepeatDataset",
    "TakeDataset",
    "SkipDataset",
    "ShardDataset",
    "UnbatchDataset",
    "WindowDataset",
    "MapDataset",
    "ParallelMapDatasetV2",
    "MapAndBatchDataset",
    "CacheDataset",
    "PrefetchDataset",
    "ReduceDataset",
    "ShuffleDataset",
    "ShuffleAndRepeatDataset",
    "PyGeneratorDataset",
]
NOT_DIFFERENTIABLE = {t: "a dataset op: variant output" for t in OP_TYPES_TESTED}


def _values(dataset):
    with tf.Session() as sess:
        return cases.elements(tf, sess, dataset)


def _close(got, want):
    if isinstance(want, dict):
        assert sorted(got) == sorted(want)
        for k in want:
            _close(got[k], want[k])
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), (got, want)
        for g, w in zip(got, want):
            _close(g, w)
    elif isinstance(want, float):
        assert got == pytest.approx(want, rel=1e-6)
    else:
        assert got == want


@pytest.mark.parametrize("name", sorted(cases.CASES))
def test_elements_match_tensorflow(name):
    with tf.Graph().as_default():
        _close(_values(cases.CASES[name](tf)), EXPECTED[name])


@pytest.mark.parametrize("name", sorted(cases.REDUCE_CASES))
def test_reduce_matches_tensorflow(name):
    with tf.Graph().as_default(), tf.Session() as sess:
        _close(cases.to_python(sess.run(cases.REDUCE_CASES[name](tf))), EXPECTED[name])


def test_shuffle_is_a_permutation_drawn_from_its_buffer():
    with tf.Graph().as_default():
        got = [_values(tf.data.Dataset.range(100).shuffle(10, seed=s)) for s in (1, 2)]
    for order in got:
        assert sorted(order) == list(range(100))
        for i, x in enumerate(order):  # the i-th output was among the first i + 10 inputs
            assert x < i + 10
    assert got[0] != got[1]


def test_shuffle_seeded_repeats_across_sessions_and_reshuffles_each_epoch():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(20).shuffle(20, seed=7).repeat(2)
        first, second = _values(ds), _values(ds)
        fixed = _values(
            tf.data.Dataset.range(20).shuffle(20, seed=7, reshuffle_each_iteration=False).repeat(2)
        )
    assert first == second
    assert first[:20] != first[20:] and sorted(first[:20]) == sorted(first[20:])
    assert fixed[:20] == fixed[20:]


def test_shuffle_and_repeat():
    with tf.Graph().as_default():
        got = _values(
            tf.data.Dataset.range(8).apply(
                tf.data.experimental.shuffle_and_repeat(8, count=3, seed=3)
            )
        )
    assert len(got) == 24 and all(sorted(got[i : i + 8]) == list(range(8)) for i in (0, 8, 16))


def test_output_structure_properties():
    with tf.Graph().as_default():
        st = tf.SparseTensor([[0, 0]], [1.0], [2, 3])
        ds = tf.data.Dataset.from_tensors({"a": (1, [2.0, 3.0]), "s": st})
        assert ds.output_types == {"a": (tf.int32, tf.float32), "s": tf.float32}
        assert ds.output_shapes["a"][1].as_list() == [2]
        assert ds.output_classes["s"] is tf.SparseTensor
        assert tf.data.get_output_shapes(ds.batch(3))["a"][0].as_list() == [None]
        assert ds.batch(3, drop_remainder=True).output_shapes["a"][0].as_list() == [3]


def test_map_that_returns_a_list_gets_a_tuple_and_unpacks_tuples():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(3).map(lambda x: [x, x * 2]).map(lambda a, b: a + b)
        assert _values(ds) == [0, 3, 6]


def test_map_function_is_traced_once_into_a_graph():
    calls = []

    def double(x):
        calls.append(x)  # Python runs once, at graph building, on a symbolic tensor
        return x * 2

    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(5).map(double).repeat(2)
        assert len(calls) == 1 and isinstance(calls[0], tf.Tensor)
        assert _values(ds) == [0, 2, 4, 6, 8] * 2
    assert len(calls) == 1


def test_map_with_random_ops_draws_per_element():
    with tf.Graph().as_default():
        got = _values(tf.data.Dataset.range(50).map(lambda x: tf.random_uniform([])))
    assert len(set(got)) == 50 and all(0 <= v < 1 for v in got)


def test_from_generator():
    def gen():
        for i in range(3):
            yield i, [float(i)] * i

    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_generator(gen, (tf.int64, tf.float32), ([], [None]))
        assert _values(ds) == [[0, []], [1, [1.0]], [2, [2.0, 2.0]]]
        bad = tf.data.Dataset.from_generator(lambda: iter([[1, 2]]), tf.int64, [])
        with pytest.raises(tf.errors.InvalidArgumentError, match="shape"):
            _values(bad)


def test_file_cache_replays_without_reading_the_source(tmp_path):
    calls = []

    def gen():
        calls.append(1)
        yield from range(3)

    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_generator(gen, tf.int64, []).cache(str(tmp_path / "c"))
        assert _values(ds.repeat(2)) == [0, 1, 2, 0, 1, 2]
        assert _values(ds) == [0, 1, 2]
    assert len(calls) == 1


def test_flat_map_must_return_a_dataset():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="must return a `Dataset`"):
            tf.data.Dataset.range(3).flat_map(lambda x: x)


def test_concatenate_of_different_types_fails_at_build():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="different types"):
            tf.data.Dataset.range(3).concatenate(tf.data.Dataset.from_tensors(1.0))


def test_reduce_state_structure_must_not_change():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="new state must match"):
            tf.data.Dataset.range(3).reduce(np.int64(0), lambda s, x: (s, x))


def test_filter_predicate_must_be_a_scalar_bool():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="scalar boolean"):
            tf.data.Dataset.range(3).filter(lambda x: x)


def test_batch_of_differently_shaped_elements_fails_at_run():
    with tf.Graph().as_default():
        ds = (
            tf.data.Dataset.range(1, 4)
            .map(lambda x: tf.fill(tf.cast(tf.expand_dims(x, 0), tf.int32), x))
            .batch(3)
        )
        with pytest.raises(tf.errors.InvalidArgumentError, match="BatchDatasetV2|batch"):
            _values(ds)


def test_padding_to_a_smaller_size_is_data_loss_as_in_tf():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(3).map(lambda x: tf.fill([x], x)).padded_batch(2, [1])
        nxt = ds.make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            assert sess.run(nxt).tolist() == [[0], [1]]  # TF's first batch
            with pytest.raises(
                tf.errors.DataLossError,
                match="Attempted to pad to a smaller size than the input element.",
            ):
                sess.run(nxt)


def test_unbatch_of_scalar_components_fails_at_build():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Cannot unbatch an input with scalar components."):
            tf.data.Dataset.range(3).unbatch()


def test_ignore_errors_skips_failing_elements():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_tensor_slices([1.0, 0.0, 2.0]).map(
            lambda x: tf.check_numerics(1.0 / x, "inf")
        )
        with pytest.raises(tf.errors.InvalidArgumentError):
            _values(ds)
        assert _values(ds.apply(tf.data.experimental.ignore_errors())) == [1.0, 0.5]
