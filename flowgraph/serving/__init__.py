"""`flowgraph.serving`: a model server wire-compatible with TensorFlow Serving.

Run it as `flowgraph serve --port=8500 --rest_api_port=8501 --model_name=NAME
--model_base_path=DIR` (or `python -m flowgraph.serving ...`); use it as a library through
`ModelServer`; talk to it with `PredictionServiceStub` and the request messages of
`flowgraph.serving.apis` or with any TF Serving client.
"""

from flowgraph.serving.apis import ModelServiceStub, PredictionServiceStub
from flowgraph.serving.model_server import ModelServer, read_config_file, single_model_config

__all__ = [
    "ModelServer",
    "ModelServiceStub",
    "PredictionServiceStub",
    "read_config_file",
    "single_model_config",
]
