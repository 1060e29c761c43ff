"""The REST API (`/v1/models/{name}[/versions/{v}|/labels/{l}][:predict|:classify|:regress]`,
`…/metadata`), answering JSON as TF Serving's `http_rest_api_handler` does."""

from __future__ import annotations

import json
import logging
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format

from flowgraph.serving import apis, inference, json_tensor, status

_LOG = logging.getLogger("flowgraph.serving")
_PATH = re.compile(
    r"^/v1/models/(?P<name>[^/:]+)"
    r"(?:/versions/(?P<version>-?\d+)|/labels/(?P<label>[^/:]+))?"
    r"(?::(?P<method>predict|classify|regress)|/(?P<sub>metadata))?/?$"
)


def _to_json(message):
    return json_format.MessageToDict(message, preserving_proto_field_name=True,
                                     always_print_fields_with_no_presence=True)  # fmt: skip


class RestApi:
    """Answers one REST request: `handle(method, path, body)` → (HTTP status, JSON object).

    Args:
      core: the `ServerCore`.
    """

    def __init__(self, core):
        self._core = core

    def handle(self, http_method, path, body):
        try:
            return 200, self._dispatch(http_method, path, body)
        except status.ServingError as e:
            return e.http_status, {"error": e.message}
        except Exception as e:  # noqa: BLE001  (the server keeps serving)
            _LOG.exception("REST request failed")
            return 500, {"error": f"{type(e).__name__}: {e}"}

    def _dispatch(self, http_method, path, body):
        match = _PATH.match(path.split("?")[0])
        malformed = status.invalid_argument(f"Malformed request: {http_method} {path}")
        if match is None:
            raise malformed
        spec = apis.ModelSpec(name=match["name"])
        if match["version"] is not None:
            spec.version.value = int(match["version"])
        elif match["label"] is not None:
            spec.version_label = match["label"]
        if http_method == "POST" and match["method"]:
            return getattr(self, "_" + match["method"])(spec, body)
        if http_method == "GET" and not match["method"]:
            return self._metadata(spec) if match["sub"] else self._status(spec)
        raise malformed

    def _predict(self, spec, body):
        doc = json_tensor.parse(body)
        with self._core.servable(spec) as servable:
            request = apis.PredictRequest(model_spec=spec)
            fmt = json_tensor.fill_predict_request(doc, servable.signatures, request)
            return json_tensor.predict_response(inference.predict(servable, request), fmt)

    def _classify(self, spec, body):
        request = self._examples_request(apis.ClassificationRequest, spec, body)
        with self._core.servable(spec) as servable:
            response = inference.classify(servable, request)
        return json_tensor.classification_response(response.result)

    def _regress(self, spec, body):
        request = self._examples_request(apis.RegressionRequest, spec, body)
        with self._core.servable(spec) as servable:
            response = inference.regress(servable, request)
        return json_tensor.regression_response(response.result)

    def _examples_request(self, request_class, spec, body):
        doc = json_tensor.parse(body)
        request = request_class(model_spec=spec)
        request.model_spec.signature_name = doc.get("signature_name", "")
        json_tensor.fill_examples_input(doc, request.input)
        return request

    def _status(self, spec):
        return _to_json(self._core.model_status(spec))

    def _metadata(self, spec):
        request = apis.GetModelMetadataRequest(model_spec=spec, metadata_field=["signature_def"])
        with self._core.servable(spec) as servable:
            response = inference.metadata(servable, request)
        signature_map = apis.SignatureDefMap.FromString(response.metadata["signature_def"].value)
        return {"model_spec": _to_json(response.model_spec),
                "metadata": {"signature_def": _to_json(signature_map)}}  # fmt: skip


def _handler_class(api):
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            code, doc = api.handle(method, self.path, body)
            data = json.dumps(doc, indent=4).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802  (http.server's names)
            self._answer("GET")

        def do_POST(self):  # noqa: N802
            self._answer("POST")

        def log_message(self, format, *args):  # noqa: A002
            _LOG.debug("REST " + format, *args)

    return Handler


def make_server(core, host, port):
    """A started REST server on (host, port) in a thread; returns (server, bound port).

    One request per connection (HTTP/1.0), so that `server_close()` after `shutdown()`
    returns once the requests in flight are answered.
    """
    server = ThreadingHTTPServer((host, port), _handler_class(RestApi(core)))
    server.daemon_threads = False
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]
