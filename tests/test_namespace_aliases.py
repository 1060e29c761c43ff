"""Names exported in more namespaces, as TF1 does: each is the same object, and works."""

import numpy as np
import pytest
from absl import flags as absl_flags

import flowgraph as tf

ALIASES = [
    ("debugging.is_finite", "is_finite"),
    ("debugging.is_inf", "is_inf"),
    ("debugging.is_nan", "is_nan"),
    ("debugging.assert_all_finite", "verify_tensor_all_finite"),
    ("dtypes.as_string", "as_string"),
    ("dtypes.cast", "cast"),
    ("dtypes.complex", "complex"),
    ("dtypes.saturate_cast", "saturate_cast"),
    ("dtypes.QUANTIZED_DTYPES", "QUANTIZED_DTYPES"),
    ("io.PaddingFIFOQueue", "PaddingFIFOQueue"),
    ("io.PriorityQueue", "PriorityQueue"),
    ("io.QueueBase", "QueueBase"),
    ("io.RandomShuffleQueue", "RandomShuffleQueue"),
    ("io.decode_base64", "decode_base64"),
    ("io.encode_base64", "encode_base64"),
    ("io.decode_image", "image.decode_image"),
    ("io.decode_jpeg", "image.decode_jpeg"),
    ("io.decode_png", "image.decode_png"),
    ("io.encode_jpeg", "image.encode_jpeg"),
    ("io.encode_png", "image.encode_png"),
    ("io.match_filenames_once", "train.match_filenames_once"),
    ("io.write_graph", "train.write_graph"),
    ("graph_util.import_graph_def", "import_graph_def"),
    ("rnn_cell", "nn.rnn_cell"),
    ("image.transpose", "image.transpose_image"),
    ("linalg.global_norm", "global_norm"),
    ("linalg.l2_normalize", "nn.l2_normalize"),
    ("linalg.matrix_transpose", "linalg.transpose"),
    ("math.l2_normalize", "nn.l2_normalize"),
    ("math.in_top_k", "nn.in_top_k"),
    ("math.log_softmax", "nn.log_softmax"),
    ("math.softmax", "nn.softmax"),
    ("math.softplus", "nn.softplus"),
    ("math.softsign", "nn.softsign"),
    ("nn.depth_to_space", "depth_to_space"),
    ("nn.space_to_batch", "space_to_batch"),
    ("nn.space_to_depth", "space_to_depth"),
    ("random.log_uniform_candidate_sampler", "nn.log_uniform_candidate_sampler"),
    ("random.uniform_candidate_sampler", "nn.uniform_candidate_sampler"),
    ("sparse.SparseConditionalAccumulator", "SparseConditionalAccumulator"),
    ("sparse.matmul", "sparse_tensor_dense_matmul"),
    ("queue.FIFOQueue", "FIFOQueue"),
    ("queue.PaddingFIFOQueue", "PaddingFIFOQueue"),
    ("queue.PriorityQueue", "PriorityQueue"),
    ("queue.QueueBase", "QueueBase"),
    ("queue.RandomShuffleQueue", "RandomShuffleQueue"),
]


def _get(name):
    obj = tf
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("alias,original", ALIASES)
def test_alias_is_the_original(alias, original):
    assert _get(alias) is _get(original)


def test_aliases_work():
    with tf.Graph().as_default():
        x = tf.constant([1.0, np.inf, np.nan])
        flags = [tf.debugging.is_finite(x), tf.debugging.is_inf(x), tf.debugging.is_nan(x)]
        png = tf.io.encode_png(tf.constant(np.arange(12, dtype=np.uint8).reshape(2, 2, 3)))
        decoded = tf.io.decode_png(png)
        encoded = tf.io.decode_base64(tf.io.encode_base64(tf.constant(b"flowgraph")))
        cast = tf.dtypes.saturate_cast(tf.constant([300.0, -5.0]), tf.uint8)
        cell = tf.rnn_cell.BasicRNNCell(2)
        logits = tf.constant([[1.0, 2.0, 3.0]])
        soft = [tf.math.softmax(logits), tf.math.log_softmax(logits), tf.math.softplus(logits)]
        sparse_product = tf.sparse.matmul(
            tf.SparseTensor([[0, 1]], [2.0], [1, 2]), tf.constant([[1.0], [3.0]])
        )
        image_t = tf.image.transpose(tf.zeros([2, 3, 1]))
        with tf.Session() as sess:
            f, inf, nan = sess.run(flags)
            image, text, saturated = sess.run([decoded, encoded, cast])
            softmax, log_softmax, softplus, product = sess.run(soft + [sparse_product])
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(softmax[0], e / e.sum(), rtol=1e-6)
    np.testing.assert_allclose(log_softmax[0], np.log(e / e.sum()), rtol=1e-6)
    np.testing.assert_allclose(softplus[0], np.log1p(e), rtol=1e-6)
    assert product.tolist() == [[6.0]] and image_t.shape.as_list() == [3, 2, 1]
    np.testing.assert_array_equal([f, inf, nan], [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(image, np.arange(12).reshape(2, 2, 3))
    assert text == b"flowgraph" and saturated.tolist() == [255, 0]
    assert cell.output_size == 2
    assert tf.qint8 in tf.QUANTIZED_DTYPES and tf.float32 not in tf.QUANTIZED_DTYPES


def test_protos_round_trip():
    histogram = tf.HistogramProto(min=0.0, max=1.0, num=3, bucket=[1, 2])
    assert tf.HistogramProto.FromString(histogram.SerializeToString()) == histogram
    metadata = tf.SummaryMetadata(display_name="loss")
    assert tf.SummaryMetadata.FromString(metadata.SerializeToString()).display_name == "loss"
    assert tf.LogMessage(message="hi", level=tf.LogMessage.WARN).level == tf.LogMessage.WARN
    attrs = tf.NameAttrList(name="f")
    attrs.attr["T"].type = 1
    assert tf.NameAttrList.FromString(attrs.SerializeToString()).attr["T"].type == 1
    info = tf.TensorInfo(name="x:0")
    assert tf.TensorInfo.FromString(info.SerializeToString()).name == "x:0"


def test_absl_flag_names_are_absls_and_work():
    for name in ("ArgumentParser", "EnumClassParser", "FlagHolder", "text_wrap", "set_default"):
        assert getattr(tf.flags, name) is getattr(absl_flags, name)
    values = tf.flags.FlagValues()
    holder = tf.flags.DEFINE_multi(tf.flags.IntegerParser(), tf.flags.ArgumentSerializer(),
                                   "ids", [1], "ids", flag_values=values)  # fmt: skip
    values(["prog", "--ids=3", "--ids=4"])
    assert holder.value == [3, 4]
    assert list(tf.flags.flag_dict_to_args({"a": 1, "b": True})) == ["--a=1", "--b"]


def test_queue_namespace_and_graph_util_shape():
    with tf.Graph().as_default() as graph:
        queue = tf.queue.FIFOQueue(2, tf.float32)
        enqueue = queue.enqueue([1.5])
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        tf.identity(x, name="y")
        with tf.Session() as sess:
            sess.run(enqueue)
            assert sess.run(queue.dequeue()) == 1.5
        assert tf.graph_util.tensor_shape_from_node_def_name(graph, "y").as_list() == [None, 3]
        assert tf.graph_util.tensor_shape_from_node_def_name(graph, "x:0").as_list() == [None, 3]
