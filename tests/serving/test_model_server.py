"""`ModelServer` as a library, in this process: start on any free port, serve, stop."""

import grpc
import numpy as np

import flowgraph as tf
from flowgraph.serving import ModelServer, PredictionServiceStub, single_model_config
from tests.serving.server_process import export_mlp, mlp_outputs, predict_request


def test_start_serve_and_stop_in_process(tmp_path):
    export_mlp(tmp_path / "mlp" / "4")
    server = ModelServer(single_model_config("mlp", str(tmp_path / "mlp")), port=0)
    server.start()
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
        x = np.ones((2, 4), np.float32)
        response = PredictionServiceStub(channel).Predict(predict_request("mlp", x), timeout=60)
        assert response.model_spec.version.value == 4
        np.testing.assert_allclose(tf.make_ndarray(response.outputs["y"]), mlp_outputs(x, 1.0),
                                   rtol=1e-5)  # fmt: skip
        channel.close()
    finally:
        server.stop()
    assert (
        server.core.model_status(predict_request("mlp", x).model_spec).model_version_status[0].state
        == 50
    )  # END
