"""Image ops against numpy and Pillow: coding, dtype conversion, resizing, color, boxes."""

from __future__ import annotations

import colorsys
import io

import numpy as np
import pytest
from PIL import Image

import flowgraph as tf
from tests.gradient_checker import check_gradients

OP_TYPES_TESTED = {
    "DecodePng", "EncodePng", "DecodeJpeg", "EncodeJpeg", "DecodeImage", "ResizeBilinear",
    "ResizeNearestNeighbor", "ResizeBicubic", "ResizeArea", "RGBToHSV", "HSVToRGB", "AdjustHue",
    "AdjustSaturation", "AdjustContrastv2", "ExtractImagePatches", "DrawBoundingBoxes",
    "NonMaxSuppressionV3",
}
GRADIENT_CHECKED = {
    "ResizeBilinear", "ResizeBicubic", "ResizeArea", "RGBToHSV", "HSVToRGB", "AdjustHue",
    "AdjustSaturation", "AdjustContrastv2", "ExtractImagePatches", "ResizeNearestNeighbor",
}
NOT_DIFFERENTIABLE = {
    "DecodePng": "string input", "EncodePng": "string output", "DecodeJpeg": "string input",
    "EncodeJpeg": "string output", "DecodeImage": "string input",
    "DrawBoundingBoxes": "host op; TF1 registers no gradient",
    "NonMaxSuppressionV3": "integer output",
}

RAMP = np.array([[0.0, 1.0], [2.0, 3.0]], np.float32)[None, :, :, None]


@pytest.fixture(scope="module")
def sess():
    with tf.Session(graph=tf.Graph()) as session:
        yield session


def _run(sess, build):
    with sess.graph.as_default():
        out = build()
    return sess.run(out)


def _png(array, mode=None) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, format="PNG")
    return buffer.getvalue()


def test_png_round_trips_and_channels(sess):
    rgba = np.random.default_rng(0).integers(0, 256, (3, 5, 4), dtype=np.uint8)
    gray16 = np.arange(15, dtype=np.uint16).reshape(3, 5, 1) * 4000
    with sess.graph.as_default():
        image = tf.placeholder(tf.uint8, [None, None, 4])
        encoded = tf.image.encode_png(image)
        outs = [tf.image.decode_png(encoded), tf.image.decode_png(encoded, channels=3),
                tf.image.decode_png(encoded, channels=1),
                tf.image.decode_png(tf.image.encode_png(tf.constant(gray16)), dtype=tf.uint16),
                tf.image.decode_png(_png(rgba[..., :3]), dtype=tf.uint16),
                tf.image.decode_image(encoded), tf.image.decode_image(encoded, dtype=tf.float32)]
        assert outs[1].shape.as_list() == [None, None, 3] and outs[3].dtype == tf.uint16
        assert encoded.dtype == tf.string and encoded.shape.ndims == 0
    got = sess.run(outs, {image: rgba})
    np.testing.assert_array_equal(got[0], rgba)
    np.testing.assert_array_equal(got[1], rgba[..., :3])
    pil_gray = np.asarray(Image.fromarray(rgba[..., :3]).convert("L"))
    np.testing.assert_array_equal(got[2][..., 0], pil_gray)
    np.testing.assert_array_equal(got[3], gray16)
    np.testing.assert_array_equal(got[4], rgba[..., :3].astype(np.uint16) * 257)
    np.testing.assert_array_equal(got[5], rgba)
    np.testing.assert_allclose(got[6], rgba / 255, rtol=1e-6)


def test_jpeg_round_trip_against_pillow(sess):
    ramp = np.arange(8, dtype=np.uint8) * 30
    rgb = np.stack([ramp[:, None] + 0 * ramp, ramp + 0 * ramp[:, None], 100 + 0 * ramp[:, None]
                    + 0 * ramp], -1).astype(np.uint8)
    with sess.graph.as_default():
        encoded = tf.image.encode_jpeg(tf.constant(rgb), quality=90)
        outs = [tf.image.decode_jpeg(encoded), tf.image.decode_jpeg(encoded, channels=1),
                tf.image.decode_jpeg(encoded, ratio=2), tf.image.decode_image(encoded),
                encoded]
    got = sess.run(outs)
    reference = np.asarray(Image.open(io.BytesIO(got[4])).convert("RGB"))
    np.testing.assert_array_equal(got[0], reference)
    assert got[1].shape == (8, 8, 1) and got[2].shape == (4, 4, 3)
    np.testing.assert_array_equal(got[3], reference)
    assert np.abs(got[0].astype(int) - rgb).mean() < 8


def test_decode_errors(sess):
    with sess.graph.as_default():
        bad = tf.image.decode_png(b"not an image")
        with pytest.raises(ValueError, match="channels"):
            tf.image.decode_png(b"", channels=2)
        with pytest.raises(TypeError, match="uint8 or uint16"):
            tf.image.decode_png(b"", dtype=tf.float32)
        with pytest.raises(TypeError, match="EncodePng"):
            tf.image.encode_png(tf.zeros([2, 2, 3]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="DecodePng"):
        sess.run(bad)


def test_convert_image_dtype(sess):
    u8 = np.array([0, 1, 127, 128, 255], np.uint8)
    with sess.graph.as_default():
        x = tf.constant(u8)
        outs = [tf.image.convert_image_dtype(x, tf.float32),
                tf.image.convert_image_dtype(x, tf.int32),
                tf.image.convert_image_dtype(tf.constant(u8.astype(np.int32) << 23), tf.uint8),
                tf.image.convert_image_dtype(tf.constant([0.0, 0.5, 0.999, 1.2]), tf.uint8),
                tf.image.convert_image_dtype(tf.constant([-0.1, 1.2]), tf.uint8, saturate=True),
                tf.image.convert_image_dtype(x, tf.uint8)]
    got = sess.run(outs)
    np.testing.assert_allclose(got[0], u8 / 255, rtol=1e-6)
    np.testing.assert_array_equal(got[1], u8.astype(np.int64) * (2 ** 31 // 256))
    np.testing.assert_array_equal(got[2], u8)
    assert got[3].tolist()[:3] == [0, 127, 255]  # x * 255.5 truncated; 1.2 wraps in TF too
    assert got[4].tolist() == [0, 255]
    assert outs[5].op.type == "Identity"


def test_resize_bilinear_coordinates(sess):
    def expect(axis):
        return 2 * np.array(axis)[:, None] + np.array(axis)[None, :]

    got = _run(sess, lambda: [
        tf.image.resize_bilinear(RAMP, [4, 4]),
        tf.image.resize_bilinear(RAMP, [4, 4], align_corners=True),
        tf.image.resize_bilinear(RAMP, [4, 4], half_pixel_centers=True),
        tf.image.resize_images(RAMP[0].astype(np.uint8), [4, 4])])
    np.testing.assert_allclose(got[0][0, ..., 0], expect([0, 0.5, 1, 1]))
    np.testing.assert_allclose(got[1][0, ..., 0], expect([0, 1 / 3, 2 / 3, 1]), rtol=1e-6)
    np.testing.assert_allclose(got[2][0, ..., 0], expect([0, 0.25, 0.75, 1]))
    assert got[3].dtype == np.float32 and got[3].shape == (4, 4, 1)


def test_resize_nearest_area_bicubic(sess):
    row3 = np.array([[0, 1, 2]], np.int32)[None, :, :, None]
    ramp4 = np.arange(4, dtype=np.float32)[None, None, :, None]
    got = _run(sess, lambda: [
        tf.image.resize_nearest_neighbor(row3, [1, 2]),
        tf.image.resize_nearest_neighbor(row3, [1, 2], half_pixel_centers=True),
        tf.image.resize_nearest_neighbor(RAMP, [3, 3], align_corners=True),
        tf.image.resize_area(ramp4, [1, 2]),
        tf.image.resize_area(ramp4, [1, 3]),
        tf.image.resize_bicubic(ramp4, [1, 2], half_pixel_centers=True),
        tf.image.resize_bicubic(ramp4, [1, 8]),
        tf.image.resize_images(row3[0], [1, 2], tf.image.ResizeMethod.NEAREST_NEIGHBOR)])
    assert got[0].ravel().tolist() == [0, 1] and got[0].dtype == np.int32
    assert got[1].ravel().tolist() == [0, 2]
    assert got[2][0, ..., 0].tolist() == [[0, 1, 1], [2, 3, 3], [2, 3, 3]]
    np.testing.assert_allclose(got[3].ravel(), [0.5, 2.5])
    # 4 -> 3: windows [0, 4/3), [4/3, 8/3), [8/3, 4)
    np.testing.assert_allclose(got[4].ravel(), [0.25, 1.5, 2.75], rtol=1e-6)
    np.testing.assert_allclose(got[5].ravel(), [0.4649 / 1.0625 * 0 + 0.4375 / 1.0625,
                                                2.75 / 1.0625], rtol=1e-5)
    assert abs(got[6].ravel()[1] - 0.40625) < 1e-6
    assert got[7].dtype == np.int32


def test_resize_shapes_and_errors(sess):
    with sess.graph.as_default():
        x = tf.placeholder(tf.float32, [None, 5, 6, 3])
        assert tf.image.resize_images(x, [2, 3]).shape.as_list() == [None, 2, 3, 3]
        assert tf.image.resize_images(x, [5, 6]) is x
        assert tf.image.resize_images(x, [10, 10], preserve_aspect_ratio=True).shape.as_list() \
            == [None, 8, 10, 3]
        with pytest.raises(ValueError, match="align_corners must be False"):
            tf.image.resize_bilinear(x, [2, 2], align_corners=True, half_pixel_centers=True)
        with pytest.raises(ValueError, match="3 or 4 dimensions"):
            tf.image.resize_images(tf.zeros([2, 2]), [1, 1])
        with pytest.raises(ValueError, match="ResizeBilinear"):
            tf.image.resize_bilinear(tf.zeros([2, 2, 1]), [1, 1])


def test_geometry(sess):
    image = np.arange(24, dtype=np.float32).reshape(2, 4, 3)
    batch = np.stack([image, image + 100])
    got = _run(sess, lambda: [
        tf.image.flip_left_right(image), tf.image.flip_up_down(batch),
        tf.image.rot90(image), tf.image.rot90(batch, 3), tf.image.transpose_image(image),
        tf.image.crop_to_bounding_box(batch, 1, 1, 1, 2),
        tf.image.pad_to_bounding_box(image, 1, 2, 4, 7),
        tf.image.resize_image_with_crop_or_pad(image, 4, 2),
        tf.image.central_crop(image, 0.5)])
    np.testing.assert_array_equal(got[0], image[:, ::-1])
    np.testing.assert_array_equal(got[1], batch[:, ::-1])
    np.testing.assert_array_equal(got[2], np.rot90(image))
    np.testing.assert_array_equal(got[3], np.rot90(batch, 3, axes=(1, 2)))
    np.testing.assert_array_equal(got[4], image.transpose(1, 0, 2))
    np.testing.assert_array_equal(got[5], batch[:, 1:2, 1:3])
    np.testing.assert_array_equal(got[6], np.pad(image, [[1, 1], [2, 1], [0, 0]]))
    np.testing.assert_array_equal(got[7], np.pad(image[:, 1:3], [[1, 1], [0, 0], [0, 0]]))
    np.testing.assert_array_equal(got[8], image[0:2, 1:3])
    with sess.graph.as_default():
        with pytest.raises(ValueError, match="target \\+ offset"):
            tf.image.crop_to_bounding_box(image, 1, 0, 2, 2)
        with pytest.raises(ValueError, match="central_fraction"):
            tf.image.central_crop(image, 0.0)


def test_random_flip_and_crop_are_seeded():
    image = np.arange(60, dtype=np.int32).reshape(5, 4, 3)
    results = []
    for _ in range(2):
        with tf.Graph().as_default(), tf.Session() as s:
            tf.set_random_seed(3)
            ops = [tf.image.random_crop(image, [2, 3, 3], seed=1),
                   tf.image.random_flip_left_right(image, seed=2)]
            results.append([s.run(ops) for _ in range(4)])
    for (crop, flip), (crop2, flip2) in zip(*results):
        np.testing.assert_array_equal(crop, crop2)
        np.testing.assert_array_equal(flip, flip2)
        assert any(np.array_equal(crop, image[i:i + 2, j:j + 3]) for i in range(4)
                   for j in range(2))
        assert np.array_equal(flip, image) or np.array_equal(flip, image[:, ::-1])


def test_hsv_against_colorsys(sess):
    rgb = np.random.default_rng(2).uniform(0, 1, (4, 5, 3)).astype(np.float32)
    rgb[0, 0] = [0.3, 0.3, 0.3]
    got = _run(sess, lambda: [tf.image.rgb_to_hsv(rgb),
                              tf.image.hsv_to_rgb(tf.image.rgb_to_hsv(rgb))])
    expected = np.apply_along_axis(lambda p: colorsys.rgb_to_hsv(*p), -1, rgb)
    np.testing.assert_allclose(got[0], expected, atol=1e-6)
    np.testing.assert_allclose(got[1], rgb, atol=1e-6)


def test_hue_wraps_around_and_saturation_clips(sess):
    pixels = np.array([[[1.0, 0, 0], [0, 1, 1]]], np.float32)
    got = _run(sess, lambda: [tf.image.adjust_hue(pixels, -0.25),
                              tf.image.adjust_hue(pixels, 0.9),
                              tf.image.adjust_saturation(np.array([[[0.5, 0.25, 0.25]]]), 3.0),
                              tf.image.adjust_hue(np.uint8(pixels * 255), 0.5)])
    np.testing.assert_allclose(got[0][0, 0], [0.5, 0, 1], atol=1e-6)
    np.testing.assert_allclose(got[1][0, 1], [0, 1, 0.4], atol=1e-6)
    np.testing.assert_allclose(got[2][0, 0], [0.5, 0, 0], atol=1e-6)
    assert got[3].dtype == np.uint8 and got[3][0, 0].tolist() == [0, 255, 255]


def test_brightness_contrast_gamma_on_uint8(sess):
    u8 = np.array([[[0, 64, 128], [200, 250, 255]]], np.uint8)
    f = u8.astype(np.float32) / 255
    got = _run(sess, lambda: [tf.image.adjust_gamma(u8, 2.0), tf.image.adjust_gamma(f, 0.5, 2),
                              tf.image.adjust_brightness(u8, 0.1),
                              tf.image.adjust_contrast(f, 2.0),
                              tf.image.adjust_contrast(u8, 2.0)])
    assert got[0].dtype == np.uint8
    np.testing.assert_array_equal(got[0], (f.astype(np.float32) ** 2 * 255.5).astype(np.uint8))
    np.testing.assert_allclose(got[1], 2 * np.sqrt(f), rtol=1e-6)
    np.testing.assert_array_equal(got[2], np.clip((f + 0.1) * 255.5, 0, 255).astype(np.uint8))
    mean = f.mean(axis=(0, 1))
    np.testing.assert_allclose(got[3], (f - mean) * 2 + mean, rtol=1e-5, atol=1e-6)
    expected = np.clip(((f - mean) * 2 + mean) * 255.5, 0, 255).astype(np.uint8)
    assert np.abs(got[4].astype(int) - expected).max() <= 1


def test_grayscale_standardization_and_variation(sess):
    rgb = np.random.default_rng(3).uniform(0, 1, (2, 3, 4, 3)).astype(np.float32)
    constant = np.full((2, 2, 1), 7, np.uint8)
    got = _run(sess, lambda: [tf.image.rgb_to_grayscale(rgb), tf.image.grayscale_to_rgb(
        rgb[..., :1]), tf.image.per_image_standardization(rgb[0]),
        tf.image.per_image_standardization(constant), tf.image.total_variation(rgb),
        tf.image.image_gradients(rgb), tf.image.random_brightness(rgb, 0.2, seed=1),
        tf.image.random_contrast(rgb, 0.5, 1.5, seed=1)])
    np.testing.assert_allclose(got[0], rgb @ np.array([[0.2989], [0.587], [0.114]]), rtol=1e-5)
    np.testing.assert_array_equal(got[1], np.repeat(rgb[..., :1], 3, -1))
    np.testing.assert_allclose(got[2], (rgb[0] - rgb[0].mean()) / rgb[0].std(), rtol=1e-4,
                               atol=1e-5)
    assert got[3].tolist() == np.zeros((2, 2, 1)).tolist()
    tv = (np.abs(np.diff(rgb, axis=1)).sum((1, 2, 3)) + np.abs(np.diff(rgb, axis=2)).sum((1, 2, 3)))
    np.testing.assert_allclose(got[4], tv, rtol=1e-5)
    dy, dx = got[5]
    np.testing.assert_allclose(dy[:, :-1], np.diff(rgb, axis=1))
    assert not dy[:, -1].any() and not dx[:, :, -1].any()
    assert np.ptp(got[6] - rgb) < 1e-5 and got[7].shape == rgb.shape


def test_extract_image_patches_against_numpy(sess):
    x = np.arange(2 * 5 * 5 * 2, dtype=np.float32).reshape(2, 5, 5, 2)
    got = _run(sess, lambda: [
        tf.extract_image_patches(x, [1, 2, 3, 1], [1, 2, 1, 1], [1, 1, 1, 1], "VALID"),
        tf.image.extract_image_patches(x, [1, 2, 2, 1], [1, 3, 3, 1], [1, 2, 1, 1], "SAME")])
    expected = np.stack([np.stack([x[:, i:i + 2, j:j + 3].reshape(2, -1) for j in range(3)], 1)
                         for i in range(0, 4, 2)], 1)
    np.testing.assert_array_equal(got[0], expected)
    assert got[1].shape == (2, 2, 2, 8)
    # SAME: a dilated 3x2 window, rows padded 0 above and 1 below
    np.testing.assert_array_equal(got[1][:, 0, 0], x[:, 0:3:2, 0:2].reshape(2, -1))
    np.testing.assert_array_equal(got[1][:, 1, 1, 4:], np.zeros((2, 4)))


def test_draw_bounding_boxes(sess):
    images = np.zeros((1, 5, 5, 3), np.float32)
    got = _run(sess, lambda: tf.image.draw_bounding_boxes(
        images, [[[0.25, 0.25, 0.75, 1.0], [0.0, 0.0, 0.0, 0.0], [0.9, 0.9, 0.1, 0.1]]]))
    expected = images.copy()
    box = expected[0, 1:4, 1:5]
    box[0], box[-1], box[:, 0], box[:, -1] = [1, 1, 0], [1, 1, 0], [1, 1, 0], [1, 1, 0]
    expected[0, 0, 0] = [0, 0, 1]
    np.testing.assert_array_equal(got, expected)


def test_non_max_suppression(sess):
    boxes = np.array([[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, -0.1, 1, 0.9], [0, 10, 1, 11],
                      [0, 10.1, 1, 11.1], [0, 100, 1, 101]], np.float32)
    scores = np.array([0.9, 0.75, 0.6, 0.95, 0.5, 0.3], np.float32)
    got = _run(sess, lambda: [tf.image.non_max_suppression(boxes, scores, 3),
                              tf.image.non_max_suppression(boxes, scores, 10, 0.5, 0.4),
                              tf.image.non_max_suppression(boxes[:, [2, 3, 0, 1]], scores, 2)])
    assert got[0].tolist() == [3, 0, 5] and got[0].dtype == np.int32
    assert got[1].tolist() == [3, 0]
    assert got[2].tolist() == [3, 0]


def test_gradients():
    rng = np.random.default_rng(4)
    x = rng.uniform(0.1, 0.9, (1, 3, 4, 2))
    check_gradients(lambda x: [tf.image.resize_bilinear(x, [5, 3], half_pixel_centers=True),
                               tf.image.resize_bicubic(x, [4, 6], align_corners=True),
                               tf.image.resize_area(x, [2, 3]),
                               tf.image.extract_image_patches(x, [1, 2, 2, 1], [1, 1, 2, 1],
                                                              [1, 1, 1, 1], "SAME")], x)
    rgb = np.array([[[0.8, 0.3, 0.2], [0.2, 0.7, 0.45]], [[0.3, 0.4, 0.9], [0.6, 0.45, 0.1]]])
    check_gradients(lambda x: [tf.image.rgb_to_hsv(x), tf.image.hsv_to_rgb(x)], rgb)
    check_gradients(lambda x: [tf.image.adjust_hue(x, 0.2), tf.image.adjust_saturation(x, 0.7),
                               tf.image.adjust_contrast(x, 1.5)], rgb.astype(np.float32),
                    atol=1e-2, rtol=1e-2)


def test_resize_nearest_neighbor_gradient_sums_into_the_chosen_pixels():
    # The generic gradient scatters each output's gradient back to its source pixel, which is
    # what TF's ResizeNearestNeighborGrad computes.
    image = np.arange(12.0).reshape(1, 3, 4, 1)
    check_gradients(lambda x: tf.image.resize_nearest_neighbor(x, [5, 2]) * 2.0, image)
    check_gradients(lambda x: tf.image.resize_nearest_neighbor(x, [6, 8], align_corners=True),
                    image)
