"""RandomGamma (`tf.random_gamma`) draws TensorFlow's numbers for the same seeds: TF's Philox
stream, a window of 256 outputs a sample, Marsaglia and Tsang's rejection loop in double.

The expected samples are TF 2.21's (`tests/fixtures/random_gamma_tf.py`): each case ran its
op three times in one session, so the stream's advance between runs is checked too.
"""

import json
import os

import numpy as np
import pytest

import flowgraph as tf
from tests.kernels.gamma_cases import cases
from tests.kernels.seeded_runs import seeded_runs

with open(os.path.join(os.path.dirname(__file__), "..", "fixtures", "random_gamma_tf.json")) as f:
    TF_SAMPLES = json.load(f)

CASES = cases(tf)


@pytest.mark.parametrize("name", sorted(CASES))
def test_three_runs_draw_tensorflows_samples(name):
    build, graph_seed = CASES[name]
    runs = seeded_runs(tf, build, graph_seed)
    expected = TF_SAMPLES[name]
    assert all(r.dtype == np.dtype(expected["dtype"]) for r in runs)
    # double math (log, pow, sin) may differ from TF's libm in an ulp; the samples are cast
    expected_runs = np.array(expected["runs"])
    np.testing.assert_allclose(np.stack(runs).astype(np.float64), expected_runs, rtol=1e-13)
