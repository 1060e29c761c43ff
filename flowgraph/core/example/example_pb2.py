"""`tensorflow/core/example/example.proto`: Example and SequenceExample (same package and
field numbers as TensorFlow's)."""

from kernels.example_proto import (  # noqa: F401  (re-exports)
    EXAMPLE_DESCRIPTOR as DESCRIPTOR,
    Example as Example,
    SequenceExample as SequenceExample,
)
