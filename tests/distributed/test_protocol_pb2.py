"""The runtime-protocol messages carry TF's field numbers (read from TF's wheel)."""

import json
import pathlib

import numpy as np

from flowgraph.distributed import protocol_pb2 as pb
from flowgraph.distributed.worker import from_named, to_named

FIELDS = json.loads(
    (pathlib.Path(__file__).parent.parent / "fixtures/distributed/protocol_fields.json").read_text()
)


def test_every_field_has_tfs_name_and_number():
    checked = 0
    for name in pb._MESSAGES:
        if name == "DeviceAttributes":  # device_attributes.proto: not in the fixture's headers
            continue
        descriptor = getattr(pb, name).DESCRIPTOR
        for field in descriptor.fields:
            assert FIELDS[name][field.name] == field.number, (name, field.name)
            checked += 1
    assert checked > 60


def test_messages_tf_needs_are_all_there():
    for name in ("RunStepRequest", "RunGraphRequest", "RegisterGraphRequest", "ServerDef"):
        assert set(FIELDS[name]) - {f.name for f in getattr(pb, name).DESCRIPTOR.fields} <= {
            "exec_opts", "debug_options", "cluster_device_filters",
        }  # fmt: skip


def test_named_tensor_round_trip_as_raw_bytes():
    value = np.arange(12, dtype=np.float32).reshape(3, 4)
    named = pb.NamedTensorProto.FromString(to_named("k", value).SerializeToString())
    assert named.tensor.tensor_content == value.tobytes()  # raw bytes, not float_val
    key, back = from_named(named)
    assert key == "k"
    np.testing.assert_array_equal(back, value)
