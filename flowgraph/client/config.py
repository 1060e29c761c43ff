"""Session configuration and run protos: TensorFlow's own `config.proto` messages.

They come compiled from the `tensorboard` package (its copy of TF's protos), so they are
wire-compatible with TensorFlow's and print, compare and serialise as users expect.
"""

from tensorboard.compat.proto.config_pb2 import (
    ConfigProto as ConfigProto,
    GPUOptions as GPUOptions,
    GraphOptions as GraphOptions,
    OptimizerOptions as OptimizerOptions,
    RunMetadata as RunMetadata,
    RunOptions as RunOptions,
)
