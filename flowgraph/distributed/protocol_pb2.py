"""TensorFlow's runtime protocol messages (master.proto, worker.proto, named_tensor.proto,
tensorflow_server.proto, device_attributes.proto), built here with TF's field numbers.

The wire format is TensorFlow's: a TF client or server reads these bytes as its own.
Fields the runtime does not use (debug options, localities, transport options) are left out;
protobuf skips them when a peer sends them.
"""

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from tensorboard.compat.proto import (
    cluster_pb2,
    config_pb2,
    graph_pb2,
    step_stats_pb2,
    tensor_pb2,
)

_FILE = "flowgraph/distributed/protocol.proto"
_OPTIONAL, _REPEATED = 1, 3
_TYPES = {"string": 9, "int64": 3, "int32": 5, "bool": 8, "fixed64": 6}

# message name -> [(field name, number, type, repeated)]; a type starting with "." is a message.
_MESSAGES = {
    "NamedTensorProto": [("name", 1, "string", 0), ("tensor", 2, ".tensorboard.TensorProto", 0)],
    "ServerDef": [
        ("cluster", 1, ".tensorboard.ClusterDef", 0),
        ("job_name", 2, "string", 0),
        ("task_index", 3, "int32", 0),
        ("default_session_config", 4, ".tensorboard.ConfigProto", 0),
        ("protocol", 5, "string", 0),
        ("port", 6, "int32", 0),
        ("replica", 8, "int32", 0),
    ],
    "DeviceAttributes": [
        ("name", 1, "string", 0),
        ("device_type", 2, "string", 0),
        ("memory_limit", 4, "int64", 0),
        ("incarnation", 6, "fixed64", 0),
        ("physical_device_desc", 7, "string", 0),
    ],
    # master.proto
    "CreateSessionRequest": [
        ("graph_def", 1, ".tensorboard.GraphDef", 0),
        ("config", 2, ".tensorboard.ConfigProto", 0),
        ("target", 3, "string", 0),
    ],
    "CreateSessionResponse": [("session_handle", 1, "string", 0), ("graph_version", 2, "int64", 0)],
    "ExtendSessionRequest": [
        ("session_handle", 1, "string", 0),
        ("graph_def", 2, ".tensorboard.GraphDef", 0),
        ("current_graph_version", 3, "int64", 0),
    ],
    "ExtendSessionResponse": [("new_graph_version", 4, "int64", 0)],
    "RunStepRequest": [
        ("session_handle", 1, "string", 0),
        ("feed", 2, ".tensorboard.NamedTensorProto", 1),
        ("fetch", 3, "string", 1),
        ("target", 4, "string", 1),
        ("options", 5, ".tensorboard.RunOptions", 0),
        ("partial_run_handle", 6, "string", 0),
        ("store_errors_in_response_body", 7, "bool", 0),
        ("request_id", 8, "int64", 0),
    ],
    "RunStepResponse": [
        ("tensor", 1, ".tensorboard.NamedTensorProto", 1),
        ("metadata", 2, ".tensorboard.RunMetadata", 0),
        ("status_code", 3, "int32", 0),
        ("status_error_message", 4, "string", 0),
    ],
    "CloseSessionRequest": [("session_handle", 1, "string", 0)],
    "CloseSessionResponse": [],
    "ResetRequest": [("container", 1, "string", 1), ("device_filters", 2, "string", 1)],
    "ResetResponse": [],
    "ListDevicesRequest": [("session_handle", 1, "string", 0)],
    "ListDevicesResponse": [
        ("local_device", 1, ".tensorboard.DeviceAttributes", 1),
        ("remote_device", 2, ".tensorboard.DeviceAttributes", 1),
    ],
    # worker.proto
    "GetStatusRequest": [],
    "GetStatusResponse": [("device_attributes", 1, ".tensorboard.DeviceAttributes", 1)],
    "CreateWorkerSessionRequest": [
        ("session_handle", 1, "string", 0),
        ("server_def", 2, ".tensorboard.ServerDef", 0),
        ("isolate_session_state", 3, "bool", 0),
        ("master_task", 5, "string", 0),
        ("master_incarnation", 6, "int64", 0),
    ],
    "CreateWorkerSessionResponse": [],
    "DeleteWorkerSessionRequest": [("session_handle", 1, "string", 0)],
    "DeleteWorkerSessionResponse": [],
    "RegisterGraphRequest": [
        ("session_handle", 1, "string", 0),
        ("graph_def", 2, ".tensorboard.GraphDef", 0),
        ("has_control_flow", 3, "bool", 0),
        ("graph_options", 4, ".tensorboard.GraphOptions", 0),
        ("create_worker_session_called", 6, "bool", 0),
        ("collective_graph_key", 7, "int64", 0),
        ("config_proto", 8, ".tensorboard.ConfigProto", 0),
    ],
    "RegisterGraphResponse": [("graph_handle", 1, "string", 0)],
    "DeregisterGraphRequest": [
        ("graph_handle", 1, "string", 0),
        ("session_handle", 2, "string", 0),
        ("create_worker_session_called", 3, "bool", 0),
    ],
    "DeregisterGraphResponse": [],
    "RunGraphRequest": [
        ("graph_handle", 1, "string", 0),
        ("step_id", 2, "int64", 0),
        ("send", 3, ".tensorboard.NamedTensorProto", 1),
        ("recv_key", 4, "string", 1),
        ("is_partial", 6, "bool", 0),
        ("is_last_partial_run", 7, "bool", 0),
        ("session_handle", 8, "string", 0),
        ("store_errors_in_response_body", 9, "bool", 0),
        ("create_worker_session_called", 10, "bool", 0),
        ("request_id", 11, "int64", 0),
    ],
    "RunGraphResponse": [
        ("recv", 1, ".tensorboard.NamedTensorProto", 1),
        ("step_stats", 2, ".tensorboard.StepStats", 0),
        ("partition_graph", 4, ".tensorboard.GraphDef", 1),
        ("status_code", 5, "int32", 0),
        ("status_error_message", 6, "string", 0),
    ],
    "CleanupGraphRequest": [("step_id", 1, "int64", 0)],
    "CleanupAllRequest": [("container", 1, "string", 1)],
    "CleanupAllResponse": [],
    "CleanupGraphResponse": [],
    "RecvTensorRequest": [
        ("step_id", 1, "int64", 0),
        ("rendezvous_key", 2, "string", 0),
        ("dma_ok", 3, "bool", 0),
        ("request_id", 7, "int64", 0),
    ],
    "RecvTensorResponse": [
        ("tensor", 1, ".tensorboard.TensorProto", 0),
        ("is_dead", 2, "bool", 0),
        ("send_start_micros", 3, "int64", 0),
        ("require_ack", 5, "bool", 0),
    ],
}


def _build() -> dict:
    pool = descriptor_pool.Default()
    try:
        pool.FindFileByName(_FILE)
    except KeyError:
        proto = descriptor_pb2.FileDescriptorProto(
            name=_FILE,
            package="tensorboard",
            syntax="proto3",
            dependency=[
                m.DESCRIPTOR.name
                for m in (cluster_pb2, config_pb2, graph_pb2, step_stats_pb2, tensor_pb2)
            ],
        )
        for name, fields in _MESSAGES.items():
            message = proto.message_type.add(name=name)
            for field, number, kind, repeated in fields:
                label = _REPEATED if repeated else _OPTIONAL
                if kind.startswith("."):
                    message.field.add(name=field, number=number, label=label, type=11,
                                      type_name=kind)  # fmt: skip
                else:
                    message.field.add(name=field, number=number, label=label, type=_TYPES[kind])
        pool.Add(proto)
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"tensorboard.{name}"))
        for name in _MESSAGES
    }


globals().update(_build())
