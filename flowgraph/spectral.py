"""`tf.spectral`: fast Fourier transforms under their TF1 `tf.spectral` names."""

from flowgraph.ops.spectral_ops import (
    fft as fft,
    fft2d as fft2d,
    fft3d as fft3d,
    ifft as ifft,
    ifft2d as ifft2d,
    ifft3d as ifft3d,
    irfft as irfft,
    rfft as rfft,
)
