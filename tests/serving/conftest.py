"""One model server shared by the gRPC and REST tests: model `mlp`, version 1 (scale 1)."""

import pytest

from tests.serving.server_process import ServerProcess, export_mlp


@pytest.fixture(scope="session")
def mlp_base(tmp_path_factory):
    base = tmp_path_factory.mktemp("mlp")
    export_mlp(base / "1", scale=1.0)
    return base


@pytest.fixture(scope="session")
def server(mlp_base):
    with ServerProcess("--model_name=mlp", f"--model_base_path={mlp_base}") as process:
        yield process
