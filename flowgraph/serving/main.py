"""`flowgraph serve`: the model server's command line (`tensorflow_model_server`'s flags)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from flowgraph.serving import batching, model_server


def _bool(text):
    return str(text).lower() in ("1", "true", "yes", "")


def _parser():
    parser = argparse.ArgumentParser(prog="flowgraph serve", description=__doc__)
    add = parser.add_argument
    add("--port", type=int, default=8500, help="gRPC port (0: any free port)")
    add("--rest_api_port", type=int, default=0, help="REST port (0: no REST API)")
    add("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    add("--model_name", default="default", help="the model's name (without a config file)")
    add("--model_base_path", default="", help="directory of the model's version directories")
    add("--model_config_file", default="", help="a text-format ModelServerConfig")
    add("--model_config_file_poll_wait_seconds", type=int, default=0,
        help="seconds between reads of the model config file (0: read once)")  # fmt: skip
    add("--file_system_poll_wait_seconds", type=float, default=1,
        help="seconds between polls of the base paths for new versions")  # fmt: skip
    add("--enable_batching", type=_bool, nargs="?", const=True, default=False)
    add("--batching_parameters_file", default="", help="a text-format BatchingParameters")
    add("--max_num_load_retries", type=int, default=5)
    return parser


def serve(argv):
    """Runs the server until SIGTERM or SIGINT; returns the exit status."""
    flags = _parser().parse_args(argv)
    # The server's own log at INFO (loads, swaps, unloads); other libraries' only at WARNING.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="%(asctime)s: %(levelname).1s %(name)s] %(message)s")  # fmt: skip
    logging.getLogger("flowgraph.serving").setLevel(logging.INFO)
    if flags.model_config_file:
        config = model_server.read_config_file(flags.model_config_file)
    elif flags.model_base_path:
        config = model_server.single_model_config(
            flags.model_name, os.path.abspath(flags.model_base_path)
        )
    else:
        print("Both server config file and model base path are missing", file=sys.stderr)
        return 2
    batching_params = None
    if flags.enable_batching:
        batching_params = batching.read_batching_parameters(flags.batching_parameters_file)
    server = model_server.ModelServer(
        config, host=flags.host, port=flags.port, rest_api_port=flags.rest_api_port,
        file_system_poll_wait_seconds=flags.file_system_poll_wait_seconds,
        batching=batching_params, max_num_load_retries=flags.max_num_load_retries,
        config_file=flags.model_config_file or None,
        config_file_poll_wait_seconds=flags.model_config_file_poll_wait_seconds,
    )  # fmt: skip
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        server.start()
    except (RuntimeError, OSError) as e:  # a port in use: grpc's RuntimeError, http's OSError
        logging.getLogger("flowgraph.serving").error("Failed to start the server: %s", e)
        server.stop()
        return 1
    while not stop.wait(0.5):
        pass
    server.stop()
    return 0


def main(argv=None):
    """The `flowgraph` console script: `flowgraph serve [flags]`."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] != ["serve"]:
        print("usage: flowgraph serve [--port=8500] [--rest_api_port=8501] "
              "[--model_name=NAME --model_base_path=DIR | --model_config_file=FILE] ...",
              file=sys.stderr)  # fmt: skip
        return 2
    return serve(argv[1:])
