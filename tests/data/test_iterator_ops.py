"""tf.data iterators: one-shot, initializable (fed parameters), reinitializable, feedable
string handles, their errors, and a TFRecord pipeline feeding MonitoredTrainingSession."""

import threading

import numpy as np
import pytest

import flowgraph as tf

OP_TYPES_TESTED = [
    "IteratorV2",
    "OneShotIterator",
    "MakeIterator",
    "IteratorGetNext",
    "IteratorToStringHandle",
    "IteratorFromStringHandleV2",
]
NOT_DIFFERENTIABLE = {t: "an iterator op: resource or host values" for t in OP_TYPES_TESTED}


def test_one_shot_iterator_ends_with_out_of_range_error():
    with tf.Graph().as_default():
        nxt = tf.data.Dataset.range(2).make_one_shot_iterator().get_next(name="next_element")
        with tf.Session() as sess:
            assert [sess.run(nxt), sess.run(nxt)] == [0, 1]
            with pytest.raises(tf.errors.OutOfRangeError, match="End of sequence") as e:
                sess.run(nxt)
            assert "next_element" in str(e.value)
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(nxt)


def test_one_shot_iterator_restarts_in_each_session():
    with tf.Graph().as_default():
        nxt = tf.data.Dataset.range(3).make_one_shot_iterator().get_next()
        for _ in range(2):
            with tf.Session() as sess:
                assert sess.run(nxt) == 0


def test_one_shot_iterator_refuses_placeholders():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.int64, [None])
        with pytest.raises(ValueError, match="Cannot capture a placeholder"):
            tf.data.Dataset.from_tensor_slices(x).make_one_shot_iterator()


def test_initializable_iterator_with_fed_parameters():
    with tf.Graph().as_default():
        limit = tf.placeholder(tf.int64, [])
        it = tf.data.Dataset.range(limit).map(lambda x: x * 10).make_initializable_iterator()
        nxt = it.get_next()
        with tf.Session() as sess:
            sess.run(it.initializer, {limit: 2})
            assert [sess.run(nxt), sess.run(nxt)] == [0, 10]
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(nxt)
            sess.run(it.initializer, {limit: 3})
            assert [sess.run(nxt) for _ in range(3)] == [0, 10, 20]


def test_module_level_iterator_and_structure_functions_with_autotune():
    assert tf.data.experimental.AUTOTUNE == tf.compat.v1.data.experimental.AUTOTUNE == -1
    with tf.Graph().as_default():
        autotuned = (
            tf.data.Dataset.range(6)
            .map(lambda x: x * 3, num_parallel_calls=tf.data.experimental.AUTOTUNE)
            .prefetch(tf.data.experimental.AUTOTUNE)
        )
        limit = tf.placeholder(tf.int64, [])
        pairs = tf.data.Dataset.range(limit).map(
            lambda x: (x, {"s": tf.SparseTensor([[0]], [x], [2])})
        )
        data = tf.compat.v1.data
        assert data.get_output_types(pairs) == (tf.int64, {"s": tf.int64})
        assert data.get_output_classes(pairs) == (tf.Tensor, {"s": tf.SparseTensor})
        assert data.get_output_shapes(pairs)[1]["s"].as_list() == [2]
        one_shot = data.make_one_shot_iterator(autotuned).get_next()
        it = data.make_initializable_iterator(pairs)
        nxt = it.get_next()
        with tf.Session() as sess:
            assert [sess.run(one_shot) for _ in range(6)] == [0, 3, 6, 9, 12, 15]
            sess.run(it.initializer, {limit: 2})
            assert sess.run(nxt)[0] == 0
            assert sess.run(nxt)[1]["s"].values.tolist() == [1]
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(nxt)


def test_a_get_next_waiting_for_input_does_not_hold_up_training_steps():
    # The input is read outside the session's state lock: steps run while get_next waits.
    release, reading = threading.Event(), threading.Event()

    def slow_source():
        reading.set()
        assert release.wait(30)
        yield from range(3)

    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_generator(slow_source, tf.int64, []).map(lambda x: x * 2)
        nxt = ds.prefetch(1).make_one_shot_iterator().get_next()
        v = tf.Variable(0.0)
        step = v.assign_add(1.0)
        with tf.Session() as sess:
            sess.run(v.initializer)
            got = []
            reader = threading.Thread(target=lambda: got.append(sess.run(nxt)))
            reader.start()
            assert reading.wait(30)
            assert [sess.run(step) for _ in range(3)] == [1.0, 2.0, 3.0]
            assert reader.is_alive()  # still waiting for its element
            release.set()
            reader.join(30)
    assert not reader.is_alive() and got == [0]


def test_uninitialized_iterator_is_a_failed_precondition_naming_it():
    with tf.Graph().as_default():
        it = tf.data.Dataset.range(2).make_initializable_iterator()
        nxt = it.get_next()
        with tf.Session() as sess:
            with pytest.raises(
                tf.errors.FailedPreconditionError, match="not been initialized.*iterator .Iterator"
            ):
                sess.run(nxt)


def test_reinitializable_iterator_from_structure():
    with tf.Graph().as_default():
        train = tf.data.Dataset.range(5).map(lambda x: (x, tf.cast(x, tf.float32)))
        valid = tf.data.Dataset.range(100, 102).map(lambda x: (x, -1.0))
        it = tf.data.Iterator.from_structure(train.output_types, train.output_shapes)
        a, b = it.get_next()
        init_train, init_valid = it.make_initializer(train), it.make_initializer(valid)
        with tf.Session() as sess:
            sess.run(init_train)
            assert sess.run([a, b]) == [0, 0.0]
            sess.run(init_valid)
            assert sess.run([a, b]) == [100, -1.0]
        with pytest.raises(TypeError, match="Expected output types"):
            it.make_initializer(tf.data.Dataset.range(3))
        with pytest.raises(ValueError, match="does not have an initializer"):
            it.initializer  # noqa: B018


def test_feedable_iterator_switches_between_train_and_validation():
    with tf.Graph().as_default():
        train = tf.data.Dataset.range(100).repeat()
        valid = tf.data.Dataset.range(1000, 1003)
        handle = tf.placeholder(tf.string, shape=[])
        it = tf.data.Iterator.from_string_handle(handle, train.output_types, train.output_shapes)
        nxt = it.get_next()
        train_it = train.make_one_shot_iterator()
        valid_it = valid.make_initializable_iterator()
        with tf.Session() as sess:
            th, vh = sess.run([train_it.string_handle(), valid_it.string_handle()])
            assert [sess.run(nxt, {handle: th}) for _ in range(3)] == [0, 1, 2]
            sess.run(valid_it.initializer)
            assert [sess.run(nxt, {handle: vh}) for _ in range(3)] == [1000, 1001, 1002]
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(nxt, {handle: vh})
            assert sess.run(nxt, {handle: th}) == 3  # training resumes where it was


def test_sparse_and_dict_elements_through_an_iterator():
    with tf.Graph().as_default():
        st = tf.SparseTensor([[0, 1]], [5], [2, 3])
        ds = tf.data.Dataset.from_tensors({"s": st, "d": tf.constant([1, 2])})
        nxt = ds.make_one_shot_iterator().get_next()
        assert isinstance(nxt["s"], tf.SparseTensor)
        with tf.Session() as sess:
            got = sess.run(nxt)
        assert got["s"].indices.tolist() == [[0, 1]] and got["s"].values.tolist() == [5]
        assert got["s"].dense_shape.tolist() == [2, 3] and got["d"].tolist() == [1, 2]


def _write_examples(path, n):
    with tf.python_io.TFRecordWriter(path) as writer:
        for i in range(n):
            feature = {
                "x": tf.train.Feature(float_list=tf.train.FloatList(value=[i, 2.0 * i])),
                "y": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(2 * i >= n)])),
            }
            example = tf.train.Example(features=tf.train.Features(feature=feature))
            writer.write(example.SerializeToString())


def test_tfrecord_pipeline_trains_until_out_of_range_in_monitored_training_session(tmp_path):
    paths = [str(tmp_path / f"part-{i}.tfrecord") for i in range(2)]
    for p in paths:
        _write_examples(p, 40)
    features = {"x": tf.FixedLenFeature([2], tf.float32), "y": tf.FixedLenFeature([], tf.int64)}
    with tf.Graph().as_default():
        ds = (
            tf.data.TFRecordDataset(paths)
            .map(lambda r: tf.parse_single_example(r, features))
            .map(lambda d: (d["x"] / 40.0, tf.cast(d["y"], tf.float32)))
            .shuffle(16, seed=1)
            .batch(8)
            .repeat(2)
            .prefetch(2)
        )
        x, y = ds.make_one_shot_iterator().get_next()
        w = tf.Variable(tf.zeros([2, 1]))
        logits = tf.squeeze(tf.matmul(x, w), 1)
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))
        step = tf.train.get_or_create_global_step()
        train = tf.train.GradientDescentOptimizer(0.5).minimize(loss, global_step=step)
        steps, losses = 0, []
        with tf.train.MonitoredTrainingSession(checkpoint_dir=None) as sess:
            while not sess.should_stop():
                losses.append(sess.run([train, loss])[1])  # the 21st run ends the input
                steps += 1
        assert steps == 2 * 80 // 8 and sess.should_stop()
        assert np.mean(losses[-5:]) < np.mean(losses[:5]) - 0.01


def test_map_after_batch_sees_whole_batches():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(10).batch(5).map(lambda b: (tf.reduce_sum(b), tf.size(b)))
        nxt = ds.make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            assert [sess.run(nxt), sess.run(nxt)] == [(10, 5), (35, 5)]


def test_pipeline_survives_a_graph_def_round_trip():
    with tf.Graph().as_default() as g:
        ds = tf.data.Dataset.range(5).map(lambda x: x * 2).filter(lambda x: tf.greater(x, 2))
        ds.batch(2).make_one_shot_iterator().get_next(name="next_batch")
        graph_def = g.as_graph_def()
    assert {"OneShotIterator", "IteratorGetNext"} <= {n.op for n in graph_def.node}
    with tf.Graph().as_default() as g2:
        tf.import_graph_def(graph_def, name="")
        nxt = g2.get_tensor_by_name("next_batch:0")
        with tf.Session() as sess:
            assert [sess.run(nxt).tolist(), sess.run(nxt).tolist()] == [[4, 6], [8]]
