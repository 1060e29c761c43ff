"""TensorFlow's `core` protos that flowgraph defines itself (mirroring `tensorflow.core`)."""
