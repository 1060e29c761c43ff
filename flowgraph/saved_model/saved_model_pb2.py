"""TensorFlow's `SavedModel` proto (tensorflow/core/protobuf/saved_model.proto), built here.

Its wire format is TF's: field 1 the schema version, field 2 the MetaGraphDefs.
"""

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from tensorboard.compat.proto import meta_graph_pb2

_FILE = "flowgraph/saved_model/saved_model.proto"


def _build():
    pool = descriptor_pool.Default()
    try:
        return message_factory.GetMessageClass(pool.FindMessageTypeByName("tensorboard.SavedModel"))
    except KeyError:
        pass
    proto = descriptor_pb2.FileDescriptorProto(
        name=_FILE, package="tensorboard", syntax="proto3",
        dependency=[meta_graph_pb2.DESCRIPTOR.name],
    )  # fmt: skip
    message = proto.message_type.add(name="SavedModel")
    message.field.add(name="saved_model_schema_version", number=1, type=3, label=1)  # int64
    message.field.add(name="meta_graphs", number=2, type=11, label=3,
                      type_name=".tensorboard.MetaGraphDef")  # fmt: skip
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("tensorboard.SavedModel"))


SavedModel = _build()
