"""TensorFlow's Example protos: `tensorflow/core/example/{feature,example}.proto`."""
