"""Session configuration and run protos: TensorFlow's own `config.proto` messages."""

# Compiled in the `tensorboard` package (its copy of TF's protos, package `tensorboard`): the
# field numbers are TF's, so the bytes are wire-compatible with TensorFlow's.

from tensorboard.compat.proto.config_pb2 import (
    ConfigProto as ConfigProto,
    GPUOptions as GPUOptions,
    GraphOptions as GraphOptions,
    OptimizerOptions as OptimizerOptions,
    RunMetadata as RunMetadata,
    RunOptions as RunOptions,
)
