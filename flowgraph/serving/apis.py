"""TensorFlow Serving's messages and services (`tensorflow_serving/apis/*.proto`), built here.

The messages are written below in proto syntax with TF Serving's field numbers, read by a
small parser into a `FileDescriptorProto`, and added to protobuf's default pool (no protoc,
no generated code). Tensors and signatures are tensorboard's copies of TF's `TensorProto`
and `SignatureDef`, so `tf.make_tensor_proto` results go straight into a request. The
package is `flowgraph.serving` (a process may also import `tensorflow_serving`); only field
numbers reach the wire, so the bytes are those of the `tensorflow-serving-api` stubs.
"""

from __future__ import annotations

import re

from google.protobuf import (
    any_pb2,
    descriptor_pb2,
    descriptor_pool,
    message_factory,
    wrappers_pb2,
)
from tensorboard.compat.proto import meta_graph_pb2, tensor_pb2

PACKAGE = "flowgraph.serving"
_FILE = "flowgraph/serving/tensorflow_serving_apis.proto"

# Field numbers from tensorflow_serving/apis/{model,predict,classification,regression,
# inference,input,get_model_metadata,get_model_status,model_management,status,logging,
# prediction_log}.proto, config/{model_server_config,file_system_storage_path_source}.proto,
# servables/tensorflow/session_bundle_config.proto (BatchingParameters) and
# tensorflow/core/example/{feature,example}.proto. Fields a server never reads are left out
# (protobuf keeps them as unknown fields).
_PROTO = """
enum ErrorCode {
  OK = 0; CANCELLED = 1; UNKNOWN = 2; INVALID_ARGUMENT = 3; DEADLINE_EXCEEDED = 4;
  NOT_FOUND = 5; ALREADY_EXISTS = 6; PERMISSION_DENIED = 7; RESOURCE_EXHAUSTED = 8;
  FAILED_PRECONDITION = 9; ABORTED = 10; OUT_OF_RANGE = 11; UNIMPLEMENTED = 12;
  INTERNAL = 13; UNAVAILABLE = 14; DATA_LOSS = 15; UNAUTHENTICATED = 16;
}
message BytesList { repeated bytes value = 1; }
message FloatList { repeated float value = 1 [packed = true]; }
message Int64List { repeated int64 value = 1 [packed = true]; }
message Feature {
  oneof kind { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; }
}
message Features { map<string, Feature> feature = 1; }
message Example { Features features = 1; }
message ModelSpec {
  string name = 1;
  oneof version_choice { .google.protobuf.Int64Value version = 2; string version_label = 4; }
  string signature_name = 3;
}
message PredictRequest {
  ModelSpec model_spec = 1;
  map<string, .tensorboard.TensorProto> inputs = 2;
  repeated string output_filter = 3;
}
message PredictResponse {
  ModelSpec model_spec = 2;
  map<string, .tensorboard.TensorProto> outputs = 1;
}
message ExampleList { repeated Example examples = 1; }
message ExampleListWithContext { repeated Example examples = 1; Example context = 2; }
message Input {
  oneof kind { ExampleList example_list = 1; ExampleListWithContext example_list_with_context = 2; }
}
message Class { string label = 1; float score = 2; }
message Classifications { repeated Class classes = 1; }
message ClassificationResult { repeated Classifications classifications = 1; }
message ClassificationRequest { ModelSpec model_spec = 1; Input input = 2; }
message ClassificationResponse { ModelSpec model_spec = 2; ClassificationResult result = 1; }
message Regression { float value = 1; }
message RegressionResult { repeated Regression regressions = 1; }
message RegressionRequest { ModelSpec model_spec = 1; Input input = 2; }
message RegressionResponse { ModelSpec model_spec = 2; RegressionResult result = 1; }
message InferenceTask { ModelSpec model_spec = 1; string method_name = 2; }
message InferenceResult {
  ModelSpec model_spec = 1;
  oneof result {
    ClassificationResult classification_result = 2;
    RegressionResult regression_result = 3;
  }
}
message MultiInferenceRequest { repeated InferenceTask tasks = 1; Input input = 2; }
message MultiInferenceResponse { repeated InferenceResult results = 1; }
message SignatureDefMap { map<string, .tensorboard.SignatureDef> signature_def = 1; }
message GetModelMetadataRequest { ModelSpec model_spec = 1; repeated string metadata_field = 2; }
message GetModelMetadataResponse {
  ModelSpec model_spec = 1;
  map<string, .google.protobuf.Any> metadata = 2;
}
message StatusProto { ErrorCode error_code = 1; string error_message = 2; }
message GetModelStatusRequest { ModelSpec model_spec = 1; }
message ModelVersionStatus {
  enum State {
    UNKNOWN = 0; START = 10; LOADING = 20; AVAILABLE = 30; UNLOADING = 40; END = 50;
  }
  int64 version = 1;
  State state = 2;
  StatusProto status = 3;
}
message GetModelStatusResponse { repeated ModelVersionStatus model_version_status = 1; }
message FileSystemStoragePathSourceConfig {
  message ServableVersionPolicy {
    message Latest { uint32 num_versions = 1; }
    message All { }
    message Specific { repeated int64 versions = 1; }
    oneof policy_choice { Latest latest = 100; All all = 101; Specific specific = 102; }
  }
}
message ModelConfig {
  string name = 1;
  string base_path = 2;
  string model_platform = 4;
  FileSystemStoragePathSourceConfig.ServableVersionPolicy model_version_policy = 7;
  map<string, int64> version_labels = 8;
}
message ModelConfigList { repeated ModelConfig config = 1; }
message ModelServerConfig {
  oneof config {
    ModelConfigList model_config_list = 1;
    .google.protobuf.Any custom_model_config = 2;
  }
}
message ReloadConfigRequest { ModelServerConfig config = 1; repeated string metric_names = 2; }
message Metric { string name = 1; oneof value_increase { int64 int64_value_increase = 2; } }
message ReloadConfigResponse { StatusProto status = 1; repeated Metric metric = 2; }
message LogMetadata {
  ModelSpec model_spec = 1;
  repeated string saved_model_tags = 3;
  int64 timestamp_secs = 4;
}
message ClassifyLog { ClassificationRequest request = 1; ClassificationResponse response = 2; }
message RegressLog { RegressionRequest request = 1; RegressionResponse response = 2; }
message PredictLog { PredictRequest request = 1; PredictResponse response = 2; }
message MultiInferenceLog {
  MultiInferenceRequest request = 1;
  MultiInferenceResponse response = 2;
}
message PredictionLog {
  LogMetadata log_metadata = 1;
  oneof log_type {
    ClassifyLog classify_log = 2;
    RegressLog regress_log = 3;
    PredictLog predict_log = 6;
    MultiInferenceLog multi_inference_log = 4;
  }
}
message BatchingParameters {
  .google.protobuf.Int64Value max_batch_size = 1;
  .google.protobuf.Int64Value batch_timeout_micros = 2;
  .google.protobuf.Int64Value max_enqueued_batches = 3;
  .google.protobuf.Int64Value num_batch_threads = 4;
  .google.protobuf.StringValue thread_pool_name = 5;
  repeated int64 allowed_batch_sizes = 6;
  bool pad_variable_length_inputs = 7;
}
"""

_F = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
    "double": _F.TYPE_DOUBLE, "float": _F.TYPE_FLOAT, "int64": _F.TYPE_INT64,
    "uint64": _F.TYPE_UINT64, "int32": _F.TYPE_INT32, "bool": _F.TYPE_BOOL,
    "string": _F.TYPE_STRING, "bytes": _F.TYPE_BYTES, "uint32": _F.TYPE_UINT32,
}  # fmt: skip
_TOKEN = re.compile(r"map<\s*\w+\s*,\s*[\w.]+\s*>|[\w.]+|[{}=;\[\]]")

# Each service's methods: name → (request class name, response class name).
SERVICES = {
    "tensorflow.serving.PredictionService": {
        "Classify": ("ClassificationRequest", "ClassificationResponse"),
        "Regress": ("RegressionRequest", "RegressionResponse"),
        "Predict": ("PredictRequest", "PredictResponse"),
        "MultiInference": ("MultiInferenceRequest", "MultiInferenceResponse"),
        "GetModelMetadata": ("GetModelMetadataRequest", "GetModelMetadataResponse"),
    },
    "tensorflow.serving.ModelService": {
        "GetModelStatus": ("GetModelStatusRequest", "GetModelStatusResponse"),
        "HandleReloadConfigRequest": ("ReloadConfigRequest", "ReloadConfigResponse"),
    },
}
SIGNATURE_DEF_MAP_TYPE_URL = "type.googleapis.com/tensorflow.serving.SignatureDefMap"


class _Parser:
    """Reads the proto subset above (messages, nested messages, enums, maps, oneofs)."""

    def __init__(self, text):
        self._tokens = _TOKEN.findall(re.sub(r"//[^\n]*", "", text))
        self._pos = 0
        self._messages, self._enums, self._pending = set(), set(), []

    def _next(self):
        self._pos += 1
        return self._tokens[self._pos - 1]

    def _peek(self):
        return self._tokens[self._pos]

    def file(self):
        proto = descriptor_pb2.FileDescriptorProto(
            name=_FILE, package=PACKAGE, syntax="proto3",
            dependency=[tensor_pb2.DESCRIPTOR.name, meta_graph_pb2.DESCRIPTOR.name,
                        wrappers_pb2.DESCRIPTOR.name, any_pb2.DESCRIPTOR.name],
        )  # fmt: skip
        while self._pos < len(self._tokens):
            kind = self._next()
            target = proto.enum_type.add() if kind == "enum" else proto.message_type.add()
            (self._enum if kind == "enum" else self._message)(target, PACKAGE)
        for field, type_, scope in self._pending:
            self._resolve(field, type_, scope)
        return proto

    def _enum(self, enum, scope):
        enum.name = self._next()
        self._enums.add(f"{scope}.{enum.name}")
        self._next()  # {
        while self._peek() != "}":
            name, _, number, _ = (self._next() for _ in range(4))
            enum.value.add(name=name, number=int(number))
        self._next()

    def _message(self, message, scope):
        message.name = self._next()
        scope = f"{scope}.{message.name}"
        self._messages.add(scope)
        self._next()  # {
        self._fields(message, scope)

    def _fields(self, message, scope, oneof=None):
        while (token := self._next()) != "}":
            if token == "message":
                self._message(message.nested_type.add(), scope)
            elif token == "enum":
                self._enum(message.enum_type.add(), scope)
            elif token == "oneof":
                message.oneof_decl.add(name=self._next())
                self._next()  # {
                self._fields(message, scope, oneof=len(message.oneof_decl) - 1)
            else:
                self._field(message, scope, token, oneof)

    def _field(self, message, scope, token, oneof):
        label = _F.LABEL_REPEATED if token == "repeated" else _F.LABEL_OPTIONAL
        type_ = self._next() if token == "repeated" else token
        name, _, number = self._next(), self._next(), int(self._next())
        field = message.field.add(name=name, number=number, label=label)
        if type_.startswith("map<"):
            self._map_entry(message, scope, field, type_)
        else:
            self._set_type(field, type_, scope)
        if oneof is not None:
            field.oneof_index = oneof
        if self._next() == "[":  # [packed = true];
            field.options.packed = True
            self._pos += 5  # packed = true ] ;

    def _map_entry(self, message, scope, field, type_):
        # `map<K, V> name = N;` is `repeated NameEntry name = N;`, NameEntry {K key = 1;
        # V value = 2;} nested and marked map_entry.
        key, value = re.findall(r"[\w.]+", type_[4:])
        entry_name = "".join(p.title() for p in field.name.split("_")) + "Entry"
        entry = message.nested_type.add(name=entry_name)
        entry.options.map_entry = True
        for number, (name, kind) in enumerate((("key", key), ("value", value)), start=1):
            item = entry.field.add(name=name, number=number, label=_F.LABEL_OPTIONAL)
            self._set_type(item, kind, scope)
        field.label, field.type = _F.LABEL_REPEATED, _F.TYPE_MESSAGE
        field.type_name = f".{scope}.{entry_name}"

    def _set_type(self, field, type_, scope):
        if type_ in _SCALARS:
            field.type = _SCALARS[type_]
            return
        if type_.startswith("."):
            field.type, field.type_name = _F.TYPE_MESSAGE, type_
        else:
            self._pending.append((field, type_, scope))

    def _resolve(self, field, type_, scope):
        # Protobuf's scoping: the innermost enclosing scope that defines the name wins.
        while f"{scope}.{type_}" not in self._messages | self._enums:
            scope = scope.rsplit(".", 1)[0]
        name = f"{scope}.{type_}"
        field.type = _F.TYPE_ENUM if name in self._enums else _F.TYPE_MESSAGE
        field.type_name = "." + name


def _build():
    pool = descriptor_pool.Default()
    try:
        pool.FindFileByName(_FILE)
    except KeyError:
        pool.Add(_Parser(_PROTO).file())
    return pool


_POOL = _build()


def message_class(name):
    """The message class `name` of the `flowgraph.serving` package (e.g. `PredictRequest`)."""
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"{PACKAGE}.{name}"))


_NAMES = re.findall(r"^message (\w+)", _PROTO, re.M)
globals().update({name: message_class(name) for name in _NAMES})
ModelVersionStatus = message_class("ModelVersionStatus")
ServableVersionPolicy = message_class("FileSystemStoragePathSourceConfig.ServableVersionPolicy")


class _Stub:
    def __init__(self, channel, service):
        for method, (request, response) in SERVICES[service].items():
            setattr(self, method, channel.unary_unary(
                f"/{service}/{method}",
                request_serializer=message_class(request).SerializeToString,
                response_deserializer=message_class(response).FromString,
            ))  # fmt: skip


class PredictionServiceStub(_Stub):
    """A gRPC client of `tensorflow.serving.PredictionService` (as `prediction_service_pb2_grpc`'s).

    Example:
      >>> channel = grpc.insecure_channel("127.0.0.1:8500")
      >>> response = PredictionServiceStub(channel).Predict(request, timeout=10)
    """

    def __init__(self, channel):
        super().__init__(channel, "tensorflow.serving.PredictionService")


class ModelServiceStub(_Stub):
    """A gRPC client of `tensorflow.serving.ModelService` (`GetModelStatus`, reloads)."""

    def __init__(self, channel):
        super().__init__(channel, "tensorflow.serving.ModelService")
