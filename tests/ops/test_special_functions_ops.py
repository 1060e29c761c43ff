"""tf.math.special against scipy.special; gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

import flowgraph as tf
from tests.gradient_checker import check_gradients

OP_TYPES_TESTED = {"Dawsn", "Expint", "FresnelCos", "FresnelSin", "Spence"}
GRADIENT_CHECKED = OP_TYPES_TESTED

X = np.array([0.3, 0.7, 1.5, 2.5])
CASES = [
    ("dawsn", scipy.special.dawsn),
    ("expint", scipy.special.expi),
    ("fresnel_cos", lambda x: scipy.special.fresnel(x)[1]),
    ("fresnel_sin", lambda x: scipy.special.fresnel(x)[0]),
    ("spence", scipy.special.spence),
    ("bessel_i0", scipy.special.i0),
    ("bessel_i1e", scipy.special.i1e),
]


@pytest.mark.parametrize("name, ref", CASES, ids=[c[0] for c in CASES])
def test_special_function(name, ref):
    fn = getattr(tf.math.special, name)
    with tf.Graph().as_default():
        got = tf.Session().run([fn(X), fn(X.astype(np.float32))])
    np.testing.assert_allclose(got[0], ref(X), rtol=1e-10)
    assert got[1].dtype == np.float32
    np.testing.assert_allclose(got[1], ref(X), rtol=1e-5)
    check_gradients(fn, X)
