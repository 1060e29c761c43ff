"""Summary ops against TF1: op names, tags, collections, and the protos their kernels build."""

from __future__ import annotations

import io
import sys
import wave

import numpy as np
import pytest
from PIL import Image
from tensorboard.util.tensor_util import make_ndarray

import flowgraph as tf

OP_TYPES_TESTED = {
    "ScalarSummary",
    "HistogramSummary",
    "ImageSummary",
    "AudioSummaryV2",
    "TensorSummaryV2",
    "MergeSummary",
}
NOT_DIFFERENTIABLE = {
    op: "a serialized Summary proto (string output; TF: NotDifferentiable)"
    for op in OP_TYPES_TESTED
}

InvalidArgumentError = tf.errors.InvalidArgumentError


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


def _values(serialized: bytes):
    return list(tf.Summary.FromString(serialized).value)


# -- TF's histogram layout, from tensorflow/core/lib/histogram/histogram.cc ---------------------


def tf_bucket_limits() -> np.ndarray:
    positive, v = [], 1.0e-12
    while v < 1.0e20:
        positive.append(v)
        v *= 1.1
    positive.append(sys.float_info.max)
    return np.array([-p for p in positive[::-1]] + [0.0] + positive)


def tf_histogram(values: np.ndarray) -> tuple[list, list]:
    """(bucket_limit, bucket) as `Histogram::EncodeToProto(proto, false)` writes them."""
    limits = tf_bucket_limits()
    counts = np.zeros(limits.size)
    for v in values.astype(np.float64).reshape(-1):
        counts[np.digitize(v, limits)] += 1  # limits[i-1] <= v < limits[i]
    out_limits, out_counts, i = [], [], 0
    while i < counts.size:
        end, count = limits[i], counts[i]
        i += 1
        if count <= 0:
            while i < counts.size and counts[i] <= 0:
                end, count = limits[i], counts[i]
                i += 1
        out_limits.append(end)
        out_counts.append(count)
    return out_limits, out_counts


# -- names, tags and collections ----------------------------------------------------------------


def test_scalar_op_name_tag_and_collection(graph):
    x = tf.constant(2.5)
    s = tf.summary.scalar("loss", x)
    s2 = tf.summary.scalar("loss", x)
    assert (s.op.type, s.op.name, s.dtype, s.shape.as_list()) == (
        "ScalarSummary",
        "loss",
        tf.string,
        [],
    )
    assert s2.op.name == "loss_1"
    assert tf.get_collection(tf.GraphKeys.SUMMARIES) == [s, s2]
    assert s.op.inputs[0].op.name == "loss/tags" and s.op.get_attr("T") == tf.float32
    v, v2 = _run([s, s2])
    assert [(w.tag, w.simple_value) for w in _values(v)] == [("loss", 2.5)]
    assert [w.tag for w in _values(v2)] == ["loss_1"]


def test_name_scopes_family_collections_and_tag_cleaning(graph):
    x = tf.constant([1.0, 2.0])
    with tf.name_scope("layer"):
        h = tf.summary.histogram("w hist", x, family="fam")
        s = tf.summary.scalar("avg", tf.reduce_mean(x), collections=["mine"])
    t = tf.summary.scalar("/lead", 1.0, family="f")
    assert h.op.name == "layer/fam/w_hist"  # TF1 names the op by its scope
    assert s.op.name == "layer/avg"
    assert tf.get_collection("mine") == [s]
    assert tf.get_collection(tf.GraphKeys.SUMMARIES) == [h, t]
    tags = [_values(v)[0].tag for v in _run([h, s, t])]
    assert tags == ["fam/layer/fam/w_hist", "layer/avg", "f/f/lead"]


def test_merge_and_merge_all(graph):
    a = tf.summary.scalar("a", 1.0)
    b = tf.summary.scalar("b", 2.0, collections=["other"])
    c = tf.summary.histogram("c", [1.0])
    merged = tf.summary.merge([a, b])
    assert merged.op.type == "MergeSummary" and merged.op.name == "Merge/MergeSummary"
    named = tf.summary.merge([a], name="m")
    assert named.op.name == "m/m"
    all_ = tf.summary.merge_all()
    assert [t.name for t in all_.op.inputs] == [a.name, c.name]
    assert tf.summary.merge_all("empty") is None
    only_other = tf.summary.merge_all("other")
    out = _run([merged, all_, only_other])
    assert [(v.tag, v.simple_value) for v in _values(out[0])] == [("a", 1.0), ("b", 2.0)]
    assert [v.tag for v in _values(out[1])] == ["a", "c"]
    assert [v.tag for v in _values(out[2])] == ["b"]


def test_merge_rejects_duplicate_tags_and_garbage(graph):
    a = tf.summary.scalar("a", 1.0)
    dup = tf.summary.merge([a, a])
    with pytest.raises(InvalidArgumentError, match="Duplicate tag a found in summary inputs"):
        _run(dup)
    bad = tf.summary.merge([tf.constant(b"\xff\xff not a proto")])
    with pytest.raises(InvalidArgumentError, match="Could not parse one of the summary inputs"):
        _run(bad)


def test_scalar_rejects_non_scalar_value_and_bad_dtype(graph):
    s = tf.summary.scalar("v", tf.placeholder(tf.float32, [None]))
    with pytest.raises(InvalidArgumentError, match=r"not the same shape: \[\] != \[2\]"):
        _run(s, {s.op.inputs[1]: [1.0, 2.0]})
    with pytest.raises(TypeError, match="ScalarSummary"):
        tf.summary.scalar("s", tf.constant("text"))


# -- histograms ---------------------------------------------------------------------------------


def test_histogram_matches_tf_reference_output(graph):
    # The proto TF 2.21's HistogramSummary kernel returned for these values.
    h = tf.summary.histogram("h", tf.constant([1.0, 2.0, 0.0, -3.0, 1e-13], tf.float32))
    (v,) = _values(_run(h))
    histo = v.histo
    assert (histo.min, histo.max, histo.num, histo.sum_squares) == (-3.0, 2.0, 5, 14.0)
    assert histo.sum == 9.9999998245167e-14
    assert list(histo.bucket_limit) == [
        -3.1665833053880363,
        -2.8787120958073054,
        0.0,
        1e-12,
        0.917246389039776,
        1.0089710279437536,
        1.9661990955585713,
        2.1628190051144287,
        1.7976931348623157e308,
    ]
    assert list(histo.bucket) == [0, 1, 0, 2, 0, 1, 0, 1, 0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_histogram_buckets_match_numpy_layout(graph, dtype):
    rng = np.random.default_rng(0)
    if np.issubdtype(dtype, np.integer):
        values = rng.integers(-(10**6), 10**6, 500).astype(dtype)
    else:  # magnitudes across the whole bucket range
        values = (rng.standard_normal(500) * 10.0 ** rng.integers(-14, 22, 500)).astype(dtype)
    h = tf.summary.histogram("h", tf.constant(values))
    (v,) = _values(_run(h))
    limits, counts = tf_histogram(values)
    assert list(v.histo.bucket_limit) == limits and list(v.histo.bucket) == counts
    as_double = values.astype(np.float64)
    assert v.histo.num == values.size and v.histo.min == as_double.min()
    assert v.histo.max == as_double.max()
    np.testing.assert_allclose(v.histo.sum, as_double.sum(), rtol=1e-9)
    np.testing.assert_allclose(v.histo.sum_squares, (as_double**2).sum(), rtol=1e-9)


def test_histogram_of_empty_tensor_has_one_empty_bucket(graph):
    (v,) = _values(_run(tf.summary.histogram("e", tf.zeros([0]))))
    assert (v.histo.num, list(v.histo.bucket_limit), list(v.histo.bucket)) == (
        0,
        [sys.float_info.max],
        [0.0],
    )


@pytest.mark.parametrize("bad, word", [(np.nan, "Nan"), (np.inf, "Infinity")])
def test_histogram_rejects_non_finite_values(graph, bad, word):
    h = tf.summary.histogram("hist", tf.constant([1.0, bad]))
    with pytest.raises(InvalidArgumentError, match=f"{word} in summary histogram for: hist"):
        _run(h)


# -- images -------------------------------------------------------------------------------------


def _pixels(value) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(value.image.encoded_image_string)))


def test_float_images_scaled_as_tf(graph):
    # Pixel values TF 2.21 produced for these images (non-negative: max -> 255; with a
    # negative value: 0 -> 128, largest magnitude -> 127 away; NaN -> bad_color).
    images = np.array(
        [[[[0.2], [0.9]], [[np.nan], [0.5]]], [[[-0.5], [1.0]], [[0.0], [0.25]]]], np.float32
    )
    s = tf.summary.image("im", tf.constant(images), max_outputs=5)
    assert s.op.type == "ImageSummary" and s.op.get_attr("max_images") == 5
    values = _values(_run(s))
    assert [v.tag for v in values] == ["im/image/0", "im/image/1"]
    assert [(v.image.height, v.image.width, v.image.colorspace) for v in values] == [(2, 2, 1)] * 2
    assert _pixels(values[0]).tolist() == [[56, 255], [255, 141]]
    assert _pixels(values[1]).tolist() == [[64, 255], [128, 159]]


def test_rgb_image_bad_pixel_and_single_output_tag(graph):
    image = np.array([[[[0.2, 0.1, 0.0], [np.inf, 0.0, 0.5]]]], np.float32)
    (v,) = _values(_run(tf.summary.image("rgb", image, max_outputs=1)))
    assert v.tag == "rgb/image"
    assert _pixels(v).tolist() == [[[255, 127, 0], [255, 0, 0]]]


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_uint8_images_kept_and_max_outputs(graph, channels):
    images = np.random.default_rng(1).integers(0, 256, (5, 3, 4, channels), dtype=np.uint8)
    values = _values(_run(tf.summary.image("u", images, max_outputs=3)))
    assert [v.tag for v in values] == ["u/image/0", "u/image/1", "u/image/2"]
    for i, v in enumerate(values):
        assert (v.image.height, v.image.width, v.image.colorspace) == (3, 4, channels)
        np.testing.assert_array_equal(_pixels(v).reshape(3, 4, channels), images[i])


def test_image_rejects_bad_shape_and_dtype(graph):
    s = tf.summary.image("bad", tf.zeros([2, 3, 3, 2]))
    with pytest.raises(
        InvalidArgumentError, match=r"4-D with last dim 1, 3, or 4, not \[2,3,3,2\]"
    ):
        _run(s)
    with pytest.raises(TypeError, match="ImageSummary"):
        tf.summary.image("bad", tf.zeros([1, 2, 2, 1], tf.int32))


# -- audio --------------------------------------------------------------------------------------


def _wav(value):
    with wave.open(io.BytesIO(value.audio.encoded_audio_string)) as w:
        samples = np.frombuffer(w.readframes(w.getnframes()), "<i2")
        return w.getframerate(), w.getnchannels(), w.getsampwidth(), samples


def test_audio_mono_pcm_matches_tf(graph):
    # TF 2.21 wrote these int16 samples: x * 32768 rounded half away from zero, clipped.
    clip = [[0.5, -1.0, 1.0, 0.25, -0.3, 2.0, 1 / 65536, 3 / 65536]]
    s = tf.summary.audio("au", tf.constant(clip, tf.float32), 8000.5, max_outputs=1)
    assert s.op.type == "AudioSummaryV2" and s.op.inputs[2].op.name == "au/sample_rate"
    (v,) = _values(_run(s))
    assert v.tag == "au/audio" and v.audio.content_type == "audio/wav"
    assert (v.audio.sample_rate, v.audio.num_channels, v.audio.length_frames) == (8000.5, 1, 8)
    rate, channels, width, samples = _wav(v)
    assert (rate, channels, width) == (8000, 1, 2)
    assert samples.tolist() == [16384, -32768, 32767, 8192, -9830, 32767, 1, 2]


def test_audio_stereo_batch_and_max_outputs(graph):
    clips = np.random.default_rng(2).uniform(-1, 1, (4, 50, 2)).astype(np.float32)
    values = _values(_run(tf.summary.audio("st", clips, 16000, max_outputs=2)))
    assert [v.tag for v in values] == ["st/audio/0", "st/audio/1"]
    for i, v in enumerate(values):
        rate, channels, _, samples = _wav(v)
        assert (rate, channels, v.audio.length_frames) == (16000, 2, 50)
        scaled = clips[i].astype(np.float64) * 32768.0
        rounded = np.trunc(scaled + np.copysign(0.5, scaled))  # C's roundf: ties away from 0
        expected = np.clip(rounded, -32768, 32767).reshape(-1)
        np.testing.assert_array_equal(samples, expected)


def test_audio_rejects_bad_rank_and_dtype(graph):
    s = tf.summary.audio("a", tf.zeros([5]), 100)
    with pytest.raises(InvalidArgumentError, match=r"3-D or 2-D, got: \[5\]"):
        _run(s)
    with pytest.raises(TypeError, match="AudioSummaryV2"):
        tf.summary.audio("a", tf.zeros([1, 5], tf.float64), 100)


# -- text and tensors ---------------------------------------------------------------------------


def test_text_summary_has_text_plugin_metadata(graph):
    t = tf.summary.text("notes", tf.constant([["a", "b"], ["c", "**d**"]]))
    assert t.op.type == "TensorSummaryV2"
    (v,) = _values(_run(t))
    assert v.tag == "notes" and v.metadata.plugin_data.plugin_name == "text"
    assert make_ndarray(v.tensor).tolist() == [[b"a", b"b"], [b"c", b"**d**"]]
    with pytest.raises(ValueError, match="to have dtype string"):
        tf.summary.text("n", tf.constant(1.0))


def test_tensor_summary_keeps_value_and_metadata(graph):
    value = np.arange(6, dtype=np.int32).reshape(2, 3)
    t = tf.summary.tensor_summary("ts", value, summary_description="desc", display_name="TS")
    (v,) = _values(_run(t))
    assert v.tag == "ts" and v.metadata.summary_description == "desc"
    assert v.metadata.display_name == "TS"
    np.testing.assert_array_equal(make_ndarray(v.tensor), value)
    assert v.tensor.tensor_content == value.tobytes()  # numbers travel as tensor_content
