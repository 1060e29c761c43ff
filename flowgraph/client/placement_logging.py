"""`tf.debugging.set_log_device_placement`: log device placement in sessions whose config
does not ask for it."""

from __future__ import annotations

_enabled = [False]


def set_log_device_placement(enabled):
    """Turns logging of device placement on or off for sessions created afterwards (as
    `ConfigProto(log_device_placement=True)` does for one session).

    Args:
      enabled: whether to log.
    """
    _enabled[0] = bool(enabled)


def get_log_device_placement() -> bool:
    """Whether `set_log_device_placement` turned device placement logging on."""
    return _enabled[0]
