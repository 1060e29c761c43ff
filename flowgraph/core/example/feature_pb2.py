"""`tensorflow/core/example/feature.proto`: BytesList, FloatList, Int64List, Feature,
Features, FeatureList, FeatureLists (same package and field numbers as TensorFlow's)."""

from kernels.example_proto import (  # noqa: F401  (re-exports)
    FEATURE_DESCRIPTOR as DESCRIPTOR,
    BytesList as BytesList,
    Feature as Feature,
    FeatureList as FeatureList,
    FeatureLists as FeatureLists,
    Features as Features,
    FloatList as FloatList,
    Int64List as Int64List,
)
