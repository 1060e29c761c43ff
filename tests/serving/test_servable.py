"""A servable: a SavedModel version in its own Graph and Session; closing it frees it."""

import gc

import jax
import numpy as np
import pytest

from flowgraph.serving import status
from flowgraph.serving.servable import Servable
from tests.serving.server_process import export_mlp, mlp_outputs

SCALE = 1.75  # weights no other test's arrays hold


def _weight_buffers():
    gc.collect()
    w = (np.arange(8, dtype=np.float32).reshape(4, 2) - 3.5) * SCALE
    return [a for a in jax.live_arrays() if a.shape == (4, 2) and np.array_equal(a, w)]


def test_two_versions_run_side_by_side_and_closing_frees_the_variables(tmp_path):
    before = len(_weight_buffers())
    one = Servable("mlp", 1, str(export_mlp(tmp_path / "1", scale=SCALE)))
    two = Servable("mlp", 2, str(export_mlp(tmp_path / "2", scale=2.0)))
    x = np.ones((3, 4), np.float32)
    np.testing.assert_allclose(one.run("serving_default", {"x": x}, ["y"])["y"],
                               mlp_outputs(x, SCALE), rtol=1e-5)  # fmt: skip
    np.testing.assert_allclose(two.run("serving_default", {"x": x}, ["y"])["y"],
                               mlp_outputs(x, 2.0), rtol=1e-5)  # fmt: skip
    assert one.graph is not two.graph
    assert len(_weight_buffers()) > before
    one.close()
    assert len(_weight_buffers()) == before
    with pytest.raises(RuntimeError):
        one.session.run("x:0", {"x:0": x})
    two.close()


def test_a_failing_run_is_a_serving_error_with_tfs_code(tmp_path):
    servable = Servable("mlp", 1, str(export_mlp(tmp_path / "1")))
    try:
        with pytest.raises(status.ServingError) as info:
            servable.run("serving_default", {"x": np.ones((2, 5), np.float32)}, ["y"])
        assert info.value.code.name == "INVALID_ARGUMENT"
        assert info.value.message == (
            "Matrix size-incompatible: In[0]: [2,5], In[1]: [4,2]\n\t [[{{node MatMul}}]]"
        )
    finally:
        servable.close()


def test_the_servable_feeds_as_tfs_cpp_session_and_python_run_keeps_its_check(tmp_path):
    import flowgraph as tf

    path = str(export_mlp(tmp_path / "1"))
    servable = Servable("mlp", 1, path)
    try:  # x is (?, 4): a (4,) vector runs until MatMul rejects it, as in TF's C++ runtime
        with pytest.raises(status.ServingError) as info:
            servable.run("serving_default", {"x": np.ones(4, np.float32)}, ["y"])
        assert info.value.code.name == "INVALID_ARGUMENT"
        assert "{{node MatMul}}" in info.value.message
    finally:
        servable.close()
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.saved_model.loader.load(sess, ["serve"], path)
        with pytest.raises(ValueError, match=r"Cannot feed value of shape \(4,\) for Tensor x:0"):
            sess.run("Tanh:0", {"x:0": np.ones(4, np.float32)})
