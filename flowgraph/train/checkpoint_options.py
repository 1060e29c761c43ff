"""`tf.train.CheckpointOptions`: options for saving and restoring object-based checkpoints."""

from __future__ import annotations


class CheckpointOptions:
    """Options for `Checkpoint.save`/`write` and `CheckpointManager.save`.

    Args:
      experimental_io_device: the device that reads and writes the files (flowgraph always
        does its file I/O on the host, which is what this option asks TF for).
      experimental_enable_async_checkpoint: deprecated name of `enable_async`.
      experimental_write_callbacks: functions called with the save path after each write
        (a callback may also take no argument).
      enable_async: accepted; flowgraph's object-based saves complete before returning.
      experimental_sharding_callback: accepted (one shard is written).
      experimental_skip_slot_variables: leave optimizer slot variables out of the
        checkpoint (and do not restore them).
    """

    __slots__ = (
        "experimental_io_device",
        "experimental_enable_async_checkpoint",
        "experimental_write_callbacks",
        "enable_async",
        "experimental_sharding_callback",
        "experimental_skip_slot_variables",
    )

    def __init__(
        self,
        experimental_io_device=None,
        experimental_enable_async_checkpoint=False,
        experimental_write_callbacks=None,
        enable_async=False,
        experimental_skip_slot_variables=False,
        experimental_sharding_callback=None,
    ):
        self.experimental_io_device = experimental_io_device
        self.experimental_enable_async_checkpoint = experimental_enable_async_checkpoint
        self.enable_async = enable_async or experimental_enable_async_checkpoint
        self.experimental_write_callbacks = list(experimental_write_callbacks or [])
        self.experimental_sharding_callback = experimental_sharding_callback
        self.experimental_skip_slot_variables = experimental_skip_slot_variables

    def __repr__(self):
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__)
        return f"CheckpointOptions({fields})"
