"""Versions on a running server: hot swap without a failed request, version policies,
version labels, failed loads, and config reloads (by RPC and by the polled config file)."""

import json
import pathlib
import shutil
import threading
import time

import grpc
import numpy as np
import pytest
from google.protobuf import text_format

import flowgraph as tf
from flowgraph.saved_model.loader import read_saved_model
from flowgraph.serving import apis
from tests.serving.server_process import (
    ServerProcess,
    export_mlp,
    mlp_outputs,
    predict_request,
)

X = np.array([[1.0, -2.0, 0.5, 0.0]], np.float32)
TF_FIXTURE = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf_saved_model"
AVAILABLE, END = 30, 50


def _states(server, name):
    request = apis.GetModelStatusRequest()
    request.model_spec.name = name
    response = server.model_service.GetModelStatus(request, timeout=60)
    return {s.version: s.state for s in response.model_version_status}


def _version_answering(server, name, **spec):
    response = server.prediction.Predict(predict_request(name, X, **spec), timeout=60)
    return response.model_spec.version.value


def test_hot_swap_drops_no_request_and_switches_once(tmp_path):
    base, staging = tmp_path / "mlp", tmp_path / "staging"
    export_mlp(base / "1", scale=1.0)
    export_mlp(staging, scale=2.0)
    flags = ("--model_name=mlp", f"--model_base_path={base}", "--file_system_poll_wait_seconds=0.2")
    with ServerProcess(*flags, rest=False) as server:
        answers, failures, stop = [], [], threading.Event()

        def client():
            while not stop.is_set():
                try:
                    response = server.prediction.Predict(predict_request("mlp", X), timeout=60)
                    y = tf.make_ndarray(response.outputs["y"])
                    answers.append((response.model_spec.version.value, y))
                except grpc.RpcError as e:
                    failures.append(e)

        thread = threading.Thread(target=client)
        thread.start()
        try:
            # A half-copied version: the index is there, its data file is truncated.
            (base / "2" / "variables").mkdir(parents=True)
            shutil.copy(staging / "saved_model.pb", base / "2")
            shutil.copy(staging / "variables" / "variables.index", base / "2" / "variables")
            data = (staging / "variables" / "variables.data-00000-of-00001").read_bytes()
            (base / "2" / "variables" / "variables.data-00000-of-00001").write_bytes(data[:8])
            time.sleep(1.5)  # several polls
            assert {v for v, _ in answers} == {1} and 2 not in _states(server, "mlp")
            (base / "2" / "variables" / "variables.data-00000-of-00001").write_bytes(data)
            server.wait_for_log("Done unloading servable version {name: mlp version: 1}", 120)
            seen = len(answers)
            deadline = time.monotonic() + 60
            while len(answers) < seen + 20 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop.set()
            thread.join(60)
        assert not failures
        versions = [v for v, _ in answers]
        changes = [(a, b) for a, b in zip(versions, versions[1:]) if a != b]
        assert changes == [(1, 2)] and versions[-1] == 2
        for version, y in answers:
            np.testing.assert_allclose(y, mlp_outputs(X, float(version)), rtol=1e-5, atol=1e-6)
        assert _states(server, "mlp") == {1: END, 2: AVAILABLE}
        log = server.log()
        assert log.index("Successfully loaded servable version {name: mlp version: 2}") < log.index(
            "Quiescing servable version {name: mlp version: 1}"
        )


def _config_text(models):
    config = apis.ModelServerConfig()
    for name, base, policy, labels in models:
        model = config.model_config_list.config.add(name=name, base_path=str(base),
                                                    model_platform="tensorflow")  # fmt: skip
        text_format.Parse(policy, model.model_version_policy)
        model.version_labels.update(labels)
    return text_format.MessageToString(config)


@pytest.fixture(scope="module")
def policy_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("policies")
    base = root / "mlp"
    warmup = apis.PredictionLog()
    warmup.predict_log.request.CopyFrom(predict_request("mlp", X))
    for version in (1, 2, 3):
        export_mlp(base / str(version), scale=float(version),
                   warmup_requests=[warmup, warmup] if version == 3 else None)  # fmt: skip
    shutil.copytree(TF_FIXTURE, root / "tf_made" / "1")
    bad = export_mlp(root / "mlp_bad" / "1")  # complete, but no MetaGraph tagged "serve"
    saved_model = read_saved_model(bad)
    saved_model.meta_graphs[0].meta_info_def.tags[:] = ["train"]
    (bad / "saved_model.pb").write_bytes(saved_model.SerializeToString())
    export_mlp(root / "mlp_bad" / "2", scale=2.0)
    config = root / "models.config"
    models = [
        ("latest2", base, "latest { num_versions: 2 }", {}),
        ("all", base, "all {}", {}),
        ("specific", base, "specific { versions: 1 versions: 3 }", {"stable": 1, "canary": 3}),
        ("tf_made", root / "tf_made", "", {}),
    ]
    config.write_text(_config_text(models))
    flags = (f"--model_config_file={config}", "--model_config_file_poll_wait_seconds=1",
             "--file_system_poll_wait_seconds=0.5", "--max_num_load_retries=1")  # fmt: skip
    with ServerProcess(*flags, rest=False) as server:
        server.root, server.config_file, server.models = root, config, models
        yield server


def test_policies_latest_all_specific(policy_server):
    assert _states(policy_server, "latest2") == {2: AVAILABLE, 3: AVAILABLE}
    assert _states(policy_server, "all") == {1: AVAILABLE, 2: AVAILABLE, 3: AVAILABLE}
    assert _states(policy_server, "specific") == {1: AVAILABLE, 3: AVAILABLE}
    assert _version_answering(policy_server, "latest2") == 3
    assert _version_answering(policy_server, "all", version=1) == 1
    with pytest.raises(grpc.RpcError) as info:
        _version_answering(policy_server, "specific", version=2)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


def test_version_labels(policy_server):
    assert _version_answering(policy_server, "specific", label="stable") == 1
    assert _version_answering(policy_server, "specific", label="canary") == 3
    request = apis.GetModelStatusRequest()
    request.model_spec.name, request.model_spec.version_label = "specific", "canary"
    response = policy_server.model_service.GetModelStatus(request, timeout=60)
    assert [s.version for s in response.model_version_status] == [3]


def test_warmup_requests_run_before_the_version_serves(policy_server):
    log = policy_server.log()
    assert log.count("/3/assets.extra/tf_serving_warmup_requests. Number of warmup records "
                     "read: 2.") == 3  # loaded three times: latest2, all, specific  # fmt: skip
    assert log.index("Number of warmup records read: 2.") < log.index(
        "Successfully loaded servable version {name: latest2 version: 3}"
    )


def test_a_savedmodel_written_by_tensorflow_is_served(policy_server):
    expected = json.loads((TF_FIXTURE / "expected.json").read_text())
    request = apis.PredictRequest()
    request.model_spec.name = "tf_made"
    request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.array(expected["x"], np.float32)))
    response = policy_server.prediction.Predict(request, timeout=60)
    np.testing.assert_allclose(tf.make_ndarray(response.outputs["y"]), expected["y"])


def test_config_file_changes_are_picked_up_and_failed_loads_end_with_an_error(policy_server):
    root = policy_server.root
    models = [*policy_server.models, ("bad", root / "mlp_bad", "all {}", {})]
    policy_server.config_file.write_text(_config_text(models))
    policy_server.wait_for_log("Successfully loaded servable version {name: bad version: 2}", 120)
    policy_server.wait_for_log("giving up after 1 retries", 60)
    request = apis.GetModelStatusRequest()
    request.model_spec.name = "bad"
    statuses = policy_server.model_service.GetModelStatus(request, timeout=60)
    by_version = {s.version: s for s in statuses.model_version_status}
    assert by_version[2].state == AVAILABLE
    assert by_version[1].state == END and by_version[1].status.error_code == 2  # UNKNOWN
    assert "Loading servable: {name: bad version: 1} failed" in by_version[1].status.error_message


def test_reload_config_request_adds_changes_and_removes_models(policy_server):
    root = policy_server.root
    request = apis.ReloadConfigRequest()
    text_format.Parse(_config_text([
        ("latest2", root / "mlp", "specific { versions: 1 }", {}),
        ("renamed", root / "mlp", "", {"now": 3}),
    ]), request.config)  # fmt: skip
    response = policy_server.model_service.HandleReloadConfigRequest(request, timeout=120)
    assert response.status.error_code == 0
    assert _states(policy_server, "latest2") == {1: AVAILABLE, 2: END, 3: END}
    assert _version_answering(policy_server, "renamed", label="now") == 3
    with pytest.raises(grpc.RpcError) as info:
        _version_answering(policy_server, "all")
    assert info.value.details() == "Servable not found for request: Latest(all)"
    bad = apis.ReloadConfigRequest()
    text_format.Parse(_config_text([("latest2", root / "mlp", "", {"gone": 1})]), bad.config)
    with pytest.raises(grpc.RpcError) as info:
        policy_server.model_service.HandleReloadConfigRequest(bad, timeout=120)
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert _version_answering(policy_server, "latest2") == 3  # still serving
