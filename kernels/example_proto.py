"""TensorFlow's Example protos (feature.proto, example.proto), built from their descriptors.

There is no protoc here and tensorboard's compat protos leave these two files out, so the
messages are described field by field, with TF's package, file names and field numbers (the
bytes interoperate with TF's), in a private descriptor pool that cannot clash with a real
TensorFlow loaded in the same process.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_F = descriptor_pb2.FieldDescriptorProto
_OPTIONAL, _REPEATED = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED


def _field(message, name, number, type_, label=_OPTIONAL, type_name=None, packed=False, oneof=None):
    field = message.field.add(name=name, number=number, type=type_, label=label)
    if type_name:
        field.type_name = type_name
    if packed:
        field.options.packed = True
    if oneof is not None:
        field.oneof_index = oneof
    return field


def _map_field(message, name, number, value_type_name):
    # A proto3 `map<string, V> name = number;`: a repeated nested XxxEntry message.
    entry = message.nested_type.add(name="".join(p.title() for p in name.split("_")) + "Entry")
    entry.options.map_entry = True
    _field(entry, "key", 1, _F.TYPE_STRING)
    _field(entry, "value", 2, _F.TYPE_MESSAGE, type_name=value_type_name)
    _field(
        message,
        name,
        number,
        _F.TYPE_MESSAGE,
        _REPEATED,
        f".tensorflow.{message.name}.{entry.name}",
    )


def _feature_file() -> descriptor_pb2.FileDescriptorProto:
    """tensorflow/core/example/feature.proto."""
    f = descriptor_pb2.FileDescriptorProto(
        name="tensorflow/core/example/feature.proto", package="tensorflow", syntax="proto3"
    )
    _field(f.message_type.add(name="BytesList"), "value", 1, _F.TYPE_BYTES, _REPEATED)
    _field(f.message_type.add(name="FloatList"), "value", 1, _F.TYPE_FLOAT, _REPEATED, packed=True)
    _field(f.message_type.add(name="Int64List"), "value", 1, _F.TYPE_INT64, _REPEATED, packed=True)
    feature = f.message_type.add(name="Feature")
    feature.oneof_decl.add(name="kind")
    for number, kind in enumerate(("BytesList", "FloatList", "Int64List"), start=1):
        name = kind[:-4].lower() + "_list"
        _field(feature, name, number, _F.TYPE_MESSAGE, type_name=f".tensorflow.{kind}", oneof=0)
    _map_field(f.message_type.add(name="Features"), "feature", 1, ".tensorflow.Feature")
    list_ = f.message_type.add(name="FeatureList")
    _field(list_, "feature", 1, _F.TYPE_MESSAGE, _REPEATED, ".tensorflow.Feature")
    _map_field(
        f.message_type.add(name="FeatureLists"), "feature_list", 1, ".tensorflow.FeatureList"
    )
    return f


def _example_file() -> descriptor_pb2.FileDescriptorProto:
    """tensorflow/core/example/example.proto."""
    f = descriptor_pb2.FileDescriptorProto(
        name="tensorflow/core/example/example.proto",
        package="tensorflow",
        syntax="proto3",
        dependency=["tensorflow/core/example/feature.proto"],
    )
    example = f.message_type.add(name="Example")
    _field(example, "features", 1, _F.TYPE_MESSAGE, type_name=".tensorflow.Features")
    sequence = f.message_type.add(name="SequenceExample")
    _field(sequence, "context", 1, _F.TYPE_MESSAGE, type_name=".tensorflow.Features")
    _field(sequence, "feature_lists", 2, _F.TYPE_MESSAGE, type_name=".tensorflow.FeatureLists")
    return f


_POOL = descriptor_pool.DescriptorPool()
_POOL.Add(_feature_file())
_POOL.Add(_example_file())


def _message(name: str):
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"tensorflow.{name}"))


BytesList = _message("BytesList")
FloatList = _message("FloatList")
Int64List = _message("Int64List")
Feature = _message("Feature")
Features = _message("Features")
FeatureList = _message("FeatureList")
FeatureLists = _message("FeatureLists")
Example = _message("Example")
SequenceExample = _message("SequenceExample")

FEATURE_DESCRIPTOR = _POOL.FindFileByName("tensorflow/core/example/feature.proto")
EXAMPLE_DESCRIPTOR = _POOL.FindFileByName("tensorflow/core/example/example.proto")
