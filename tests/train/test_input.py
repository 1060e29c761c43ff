"""TF1 input pipelines: producers, readers, decoders and batchers feeding a training step.

Every pipeline ends as TF's do: the producer's epochs run out, OutOfRangeError reaches the
training loop, and the coordinator joins its threads cleanly.
"""

import os

import numpy as np
import pytest

import flowgraph as tf

LONG = tf.RunOptions(timeout_in_ms=20000)  # bounds each run; none should wait that long


@pytest.fixture(autouse=True)
def graph():
    with tf.Graph().as_default() as g:
        yield g


def _drain(sess, fetch, step=None) -> list:
    """Runs `fetch` (and `step`) until OutOfRangeError; joins the queue runner threads."""
    coord = tf.train.Coordinator()
    threads = tf.train.start_queue_runners(sess, coord=coord)
    out = []
    try:
        while not coord.should_stop():
            out.append(sess.run(fetch if step is None else [fetch, step], options=LONG))
    except tf.errors.OutOfRangeError:
        pass
    finally:
        coord.request_stop()
    coord.join(threads, stop_grace_period_secs=20)
    assert not any(t.is_alive() for t in threads)
    return out if step is None else [o[0] for o in out]


def _csv_files(tmp_path, n_files=3, rows=5) -> list[str]:
    names = []
    for f in range(n_files):
        path = os.path.join(tmp_path, f"part{f}.csv")
        with open(path, "w") as out:
            out.write("x,y\n")
            for i in range(rows):
                x = f * rows + i
                out.write(f"{x},{2 * x + 1}\n")
        names.append(path)
    return names


def test_text_pipeline_trains_for_two_epochs(tmp_path):
    filenames = tf.train.string_input_producer(_csv_files(tmp_path), num_epochs=2, seed=3)
    _, line = tf.TextLineReader(skip_header_lines=1).read(filenames)
    x, y = tf.decode_csv(line, record_defaults=[[0.0], [0.0]])
    xb, yb = tf.train.shuffle_batch(
        [x, y], 4, capacity=20, min_after_dequeue=5, seed=1, allow_smaller_final_batch=True
    )
    assert xb.shape.as_list() == [None]
    w, b = tf.Variable(0.0), tf.Variable(0.0)
    loss = tf.reduce_mean(tf.square(w * xb / 15.0 + b - yb / 15.0))
    train = tf.train.GradientDescentOptimizer(0.2).minimize(loss)
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
        seen = _drain(sess, xb, train)
        assert sorted(np.concatenate(seen).tolist()) == sorted(list(range(15)) * 2)
        assert len(seen) == 8  # 30 rows in batches of 4, the last one smaller
        assert sess.run(w) > 0.5  # trained towards y = 2x + 1


def test_tfrecord_pipeline_parses_examples_in_order(tmp_path):
    path = os.path.join(tmp_path, "data.tfrecord")
    with tf.python_io.TFRecordWriter(path) as writer:
        for i in range(5):
            example = tf.train.Example(
                features=tf.train.Features(
                    feature={"v": tf.train.Feature(int64_list=tf.train.Int64List(value=[i]))}
                )
            )
            writer.write(example.SerializeToString())
    filenames = tf.train.string_input_producer([path], num_epochs=1, shuffle=False)
    _, record = tf.TFRecordReader().read(filenames)
    features = tf.parse_single_example(record, {"v": tf.FixedLenFeature([], tf.int64)})
    batch = tf.train.batch(features, 2, allow_smaller_final_batch=True)
    assert set(batch) == {"v"}
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        got = _drain(sess, batch["v"])
        assert [g.tolist() for g in got] == [[0, 1], [2, 3], [4]]


def test_num_epochs_needs_local_variables_initialized():
    queue = tf.train.string_input_producer(["a", "b"], num_epochs=1, shuffle=False)
    (epochs,) = tf.local_variables()
    assert epochs.op.name == "input_producer/limit_epochs/epochs"
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="epochs"):
            sess.run(queue.queue_ref.consumers()[0])  # the enqueue op
        sess.run(tf.local_variables_initializer())
        assert _drain(sess, queue.dequeue()) == [b"a", b"b"]


def test_string_input_producer_rejects_empty_input():
    with pytest.raises(ValueError, match="non-null input tensor"):
        tf.train.string_input_producer([])


def test_range_and_slice_input_producers():
    index = tf.train.range_input_producer(4, num_epochs=2, shuffle=False).dequeue()
    values = tf.constant([10, 20, 30])
    names = tf.constant([b"a", b"b", b"c"])
    value, name = tf.train.slice_input_producer([values, names], num_epochs=1, seed=5)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        assert _drain(sess, index) == [0, 1, 2, 3, 0, 1, 2, 3]
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        pairs = _drain(sess, [value, name])
        assert sorted((int(v), n) for v, n in pairs) == [(10, b"a"), (20, b"b"), (30, b"c")]


def test_batch_enqueue_many_and_dynamic_pad():
    rows = tf.train.batch([tf.constant([[1, 2], [3, 4], [5, 6]])], 2, enqueue_many=True)
    assert rows.shape.as_list() == [2, 2]
    length = tf.train.range_input_producer(3, num_epochs=1, shuffle=False).dequeue() + 1
    padded = tf.train.batch(
        [tf.ones(tf.reshape(length, [1]), tf.int32)], 3, dynamic_pad=True, shapes=[[None]]
    )
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord=coord)
        assert sess.run(rows, options=LONG).tolist() == [[1, 2], [3, 4]]
        assert sess.run(padded, options=LONG).tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=20)


def test_maybe_batch_keeps_selected_elements():
    values = tf.constant([1, 2, 3, 4, 5, 6])
    keep = tf.equal(values % 2, 0)
    evens = tf.train.maybe_batch([values], keep, 3, enqueue_many=True)
    index = tf.train.range_input_producer(6, num_epochs=1, shuffle=False).dequeue()
    odd = tf.train.maybe_shuffle_batch(
        [index], 3, 10, 0, tf.equal(index % 2, 1), seed=1, allow_smaller_final_batch=True
    )
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord=coord)
        assert sess.run(evens, options=LONG).tolist() == [2, 4, 6]
        assert sorted(sess.run(odd, options=LONG).tolist()) == [1, 3, 5]
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=20)


def test_batch_join_mixes_several_inputs():
    a = tf.train.range_input_producer(3, num_epochs=1, shuffle=False).dequeue()
    b = tf.train.range_input_producer(3, num_epochs=1, shuffle=False).dequeue() + 100
    joined = tf.train.batch_join([[a], [b]], 2, allow_smaller_final_batch=True)
    shuffled = tf.train.shuffle_batch_join(
        [[tf.constant([7, 8])], [tf.constant([9, 10])]], 2, 8, 1, enqueue_many=True, seed=2
    )
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        values = np.concatenate(_drain(sess, joined)).tolist()
        assert sorted(values) == [0, 1, 2, 100, 101, 102]
    assert shuffled.shape.as_list() == [2]


def test_match_filenames_once(tmp_path):
    names = _csv_files(tmp_path, n_files=2)
    matched = tf.train.match_filenames_once(os.path.join(tmp_path, "*.csv"))
    assert matched in tf.local_variables()
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        assert sorted(sess.run(matched).tolist()) == sorted(n.encode() for n in names)
