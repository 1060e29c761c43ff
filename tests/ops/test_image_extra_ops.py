"""More tf.image ops against TF's values (tests/fixtures/image_extra_tf.npz, written by
tests/fixtures/image_extra_tf.py) and Pillow; gradients."""

from __future__ import annotations

import io
import pathlib

import numpy as np
import pytest
from PIL import Image

import flowgraph as tf
from flowgraph.ops import image_extra_ops as im
from tests.gradient_checker import check_gradients

OP_TYPES_TESTED = {
    "CropAndResize",
    "DecodeBmp",
    "DecodeGif",
    "ExtractJpegShape",
    "SampleDistortedBoundingBoxV2",
}
GRADIENT_CHECKED = {"CropAndResize"}
NOT_DIFFERENTIABLE = {
    t: "decodes bytes (TF: NotDifferentiable)"
    for t in ("DecodeBmp", "DecodeGif", "ExtractJpegShape")
}
NOT_DIFFERENTIABLE["SampleDistortedBoundingBoxV2"] = "a random draw (TF: NotDifferentiable)"

TF = np.load(pathlib.Path(__file__).parent.parent / "fixtures" / "image_extra_tf.npz")

CASES = {
    "yiq": lambda: im.rgb_to_yiq(TF["rgb"]),
    "yuv": lambda: im.rgb_to_yuv(TF["rgb"]),
    "yiq_back": lambda: im.yiq_to_rgb(TF["rgb"]),
    "yuv_back": lambda: im.yuv_to_rgb(TF["rgb"]),
    "psnr": lambda: im.psnr(TF["big1"], TF["big2"], 1.0),
    "psnr_uint8": lambda: im.psnr(TF["u8"], TF["u8"] // 2, 255),
    "ssim": lambda: im.ssim(TF["big1"], TF["big2"], 1.0),
    "ssim_uint8": lambda: im.ssim(TF["u8"], TF["u8"] // 2 + 20, 255, filter_size=5),
    "sobel": lambda: im.sobel_edges(TF["rgb"]),
    "crop_bilinear": lambda: im.crop_and_resize(
        TF["rgb"], TF["boxes"], [0, 1, 1], [3, 4], extrapolation_value=-1.0
    ),
    "crop_nearest": lambda: im.crop_and_resize(
        TF["rgb"], TF["boxes"], [1, 0, 1], [2, 3], method="nearest"
    ),
    "resize_with_pad": lambda: im.resize_image_with_pad(TF["rgb"], 8, 3),
    "resize_with_pad_single": lambda: im.resize_image_with_pad(TF["rgb"][0], 4, 9),
    "crop_single": lambda: im.crop_and_resize(
        TF["rgb"], TF["boxes"], box_indices=[0, 0, 0], crop_size=[1, 1]
    ),
}


@pytest.fixture(scope="module")
def results():
    with tf.Graph().as_default():
        built = {k: fn() for k, fn in CASES.items()}
        with tf.Session() as sess:
            return sess.run(built)


@pytest.mark.parametrize("key", sorted(CASES))
def test_matches_tf(results, key):
    got, expected = results[key], TF[key]
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_color_round_trips_and_transpose():
    with tf.Graph().as_default():
        rgb = tf.constant(TF["rgb"])
        outs = [
            im.yiq_to_rgb(im.rgb_to_yiq(rgb)),
            im.yuv_to_rgb(im.rgb_to_yuv(rgb)),
            tf.image.transpose(rgb),
            tf.image.transpose(rgb[0]),
        ]
        with tf.Session() as sess:
            got = sess.run(outs)
    np.testing.assert_allclose(got[0], TF["rgb"], atol=1e-4)  # TF's matrices are 1e-4 inverses
    np.testing.assert_allclose(got[1], TF["rgb"], atol=1e-4)
    np.testing.assert_array_equal(got[2], TF["rgb"].transpose(0, 2, 1, 3))
    np.testing.assert_array_equal(got[3], TF["rgb"][0].transpose(1, 0, 2))


def _encoded(array, fmt, **kwargs):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def test_decode_bmp_gif_and_jpeg_shape():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (5, 7, 3)).astype(np.uint8)
    frames = [np.full((4, 6), v, np.uint8) for v in (10, 200)]
    palette = [Image.fromarray(f).convert("P") for f in frames]
    gif = io.BytesIO()
    palette[0].save(gif, "GIF", save_all=True, append_images=palette[1:])
    with tf.Graph().as_default():
        outs = [
            im.decode_bmp(_encoded(rgb, "BMP")),
            im.decode_gif(gif.getvalue()),
            im.extract_jpeg_shape(_encoded(rgb, "JPEG")),
            im.is_jpeg([_encoded(rgb, "JPEG"), _encoded(rgb, "PNG")]),
        ]
        bad = im.decode_bmp(_encoded(rgb, "PNG"))
        with tf.Session() as sess:
            got = sess.run(outs)
            with pytest.raises(tf.errors.InvalidArgumentError, match="not a BMP"):
                sess.run(bad)
    np.testing.assert_array_equal(got[0], rgb)
    assert got[1].shape == (2, 4, 6, 3)
    np.testing.assert_array_equal(got[1][:, 0, 0, 0], [10, 200])
    assert got[2].tolist() == [5, 7, 3] and got[3].tolist() == [True, False]


def test_gradients():
    image = np.random.default_rng(1).uniform(0, 1, (1, 4, 5, 2))
    check_gradients(
        lambda x: [
            im.crop_and_resize(x, [[0.1, 0.1, 0.7, 0.9]], [0], [3, 3]),
            im.rgb_to_yuv(x[..., :1] * tf.ones([1, 1, 1, 3], x.dtype)),
            im.sobel_edges(x),
        ],
        image,
    )


def test_sample_distorted_bounding_box_meets_its_constraints():
    box = [[[0.2, 0.3, 0.6, 0.9]]]
    with tf.Graph().as_default():
        begin, size, bboxes = im.sample_distorted_bounding_box(
            [60, 80, 3],
            box,
            seed=1,
            seed2=2,
            min_object_covered=0.5,
            aspect_ratio_range=(0.5, 2.0),
            area_range=(0.1, 0.9),
        )
        assert begin.op.type == "SampleDistortedBoundingBoxV2" and bboxes.shape.as_list() == [
            1,
            1,
            4,
        ]
        no_boxes = im.sample_distorted_bounding_box([4, 4, 1], tf.zeros([1, 0, 4]))[0]
        whole = im.sample_distorted_bounding_box(
            [4, 5, 1],
            tf.zeros([1, 0, 4]),
            seed=3,
            min_object_covered=1.0,
            area_range=(1.0, 1.0),
            use_image_if_no_bounding_boxes=True,
        )
        with tf.Session() as sess:
            draws = [sess.run([begin, size, bboxes]) for _ in range(20)]
            got_whole = sess.run(whole)
            with pytest.raises(
                tf.errors.InvalidArgumentError, match="use_image_if_no_bounding_boxes"
            ):
                sess.run(no_boxes)
    target = np.array(box[0][0]) * [60, 80, 60, 80]
    for (y, x, _), (h, w, c), corners in draws:
        assert c == -1 and 0 <= y and y + h <= 60 and 0 <= x and x + w <= 80
        assert 0.1 * 4800 <= h * w <= 0.9 * 4800
        inter = max(0, min(y + h, target[2]) - max(y, target[0])) * max(
            0, min(x + w, target[3]) - max(x, target[1])
        )
        assert inter >= 0.5 * (target[2] - target[0]) * (target[3] - target[1])
        np.testing.assert_allclose(
            corners[0, 0], [y / 60, x / 80, (y + h) / 60, (x + w) / 80], rtol=1e-6
        )
    assert len({tuple(d[0]) + tuple(d[1]) for d in draws}) > 5  # the crops vary run to run
    assert got_whole[0].tolist() == [0, 0, 0] and got_whole[1].tolist() == [4, 5, -1]
