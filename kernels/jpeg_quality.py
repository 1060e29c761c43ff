"""EncodeJpegVariableQuality: JPEG encoding at a quality given as a tensor."""

from __future__ import annotations

import numpy as np

from kernels.image import encode_jpeg
from kernels.registry import HOST, Spec, register


@register(
    "EncodeJpegVariableQuality",
    kind=HOST,
    shape=lambda specs, attrs, static_values: [Spec((), np.dtype(object))],
)
def encode_jpeg_variable_quality(images, quality):
    quality = int(quality)
    if not 0 <= quality <= 100:
        raise ValueError(f"EncodeJpegVariableQuality: quality must be in [0, 100], got {quality}")
    return encode_jpeg(images, quality=quality)
