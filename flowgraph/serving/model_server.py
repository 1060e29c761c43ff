"""The model server: a `ServerCore` polled in the background, behind gRPC and REST."""

from __future__ import annotations

import logging
import threading

from google.protobuf import text_format

from flowgraph.serving import apis, grpc_server, manager, rest_api

_LOG = logging.getLogger("flowgraph.serving")


def single_model_config(name, base_path):
    """The `ModelServerConfig` of `--model_name` and `--model_base_path`."""
    config = apis.ModelServerConfig()
    config.model_config_list.config.add(name=name, base_path=base_path,
                                        model_platform="tensorflow")  # fmt: skip
    return config


def read_config_file(path):
    """The text-format `ModelServerConfig` in `path`."""
    with open(path) as f:
        return text_format.Parse(f.read(), apis.ModelServerConfig())


class ModelServer:
    """Serves the models of a `ModelServerConfig` over gRPC (and REST).

    Example:
      >>> server = ModelServer(single_model_config("mlp", "/models/mlp"), port=8500)
      >>> server.start()
      >>> ...
      >>> server.stop()

    Args:
      config: the `ModelServerConfig` to serve first.
      host: the address to bind (default 127.0.0.1).
      port: the gRPC port (0: any free port).
      rest_api_port: the REST port, or 0 for no REST API.
      file_system_poll_wait_seconds: how often base paths are polled for versions.
      batching: `BatchingParameters` to batch requests, or None.
      max_num_load_retries: retries of a failed version load.
      config_file: a model config file to poll, with `config_file_poll_wait_seconds` > 0.
    """

    def __init__(self, config, host="127.0.0.1", port=8500, rest_api_port=0,
                 file_system_poll_wait_seconds=1, batching=None, max_num_load_retries=5,
                 config_file=None, config_file_poll_wait_seconds=0):  # fmt: skip
        self._config, self._host = config, host
        self._ports = (port, rest_api_port)
        self._poll_seconds = file_system_poll_wait_seconds
        self._config_file = (config_file, config_file_poll_wait_seconds)
        self.core = manager.ServerCore(batching, max_num_load_retries)
        self._stopped = threading.Event()
        self._reload_lock = threading.Lock()
        self._threads, self._grpc, self._rest = [], None, None
        self.port = self.rest_api_port = None

    def start(self):
        """Loads the config's models, then starts polling and the gRPC and REST servers."""
        self.reload(self._config)
        self._background(manager.poll_forever, self.core, self._poll_seconds, self._stopped)
        path, seconds = self._config_file
        if path and seconds > 0:
            self._background(self._poll_config_file, path, seconds)
        handlers = grpc_server.Handlers(self.core, self.reload)
        self._grpc, self.port = grpc_server.make_server(handlers, f"{self._host}:{self._ports[0]}")
        _LOG.info("Running gRPC ModelServer at %s:%d ...", self._host, self.port)
        if self._ports[1]:
            self._rest, self.rest_api_port = rest_api.make_server(
                self.core, self._host, self._ports[1]
            )
            _LOG.info("Exporting HTTP/REST API at:%s:%d ...", self._host, self.rest_api_port)

    def _background(self, target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def reload(self, config):
        """Serves `config`'s models from now on (`HandleReloadConfigRequest`)."""
        with self._reload_lock:
            self.core.reload_config(config)
            self._config = config

    def _poll_config_file(self, path, seconds):
        # Reloads when the file changes (a config sent by RPC stays until the file changes).
        last = self._config
        while not self._stopped.wait(seconds):
            try:
                config = read_config_file(path)
                if config != last:
                    last = config
                    _LOG.info("Reloading the model config file %s", path)
                    self.reload(config)
            except Exception:  # noqa: BLE001  (a bad edit must not stop the server)
                _LOG.exception("Reading the model config file %s failed", path)

    def stop(self, grace=10):
        """Stops accepting requests, lets those in flight finish, then unloads every model."""
        self._stopped.set()
        if self._grpc is not None:
            self._grpc.stop(grace).wait()
        if self._rest is not None:
            self._rest.shutdown()
            self._rest.server_close()
        for thread in self._threads:
            thread.join()
        self.core.stop()
        _LOG.info("Server stopped")
