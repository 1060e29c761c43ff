"""Device specifications (`/job:ps/task:0/device:GPU:1`) and their merging, as TF1 has them."""

from __future__ import annotations

import copy


class DeviceSpec:
    """A (possibly partial) device: job, replica, task, device type and index.

    Example:
      >>> DeviceSpec.from_string("/job:ps/task:1/cpu:0").to_string()
      '/job:ps/task:1/device:CPU:0'
    """

    __slots__ = ("job", "replica", "task", "device_type", "device_index")

    def __init__(self, job=None, replica=None, task=None, device_type=None, device_index=None):
        self.job = job
        self.replica = None if replica is None else int(replica)
        self.task = None if task is None else int(task)
        self.device_type = _canonical_type(device_type)
        self.device_index = None if device_index is None else int(device_index)

    @classmethod
    def from_string(cls, spec: str) -> "DeviceSpec":
        """Parses `spec`; ValueError on an unknown part."""
        return cls().parse_from_string(spec)

    def parse_from_string(self, spec: str) -> "DeviceSpec":
        """Sets the fields named in `spec` (TF1 mutates in place and returns self)."""
        for part in (spec or "").split("/"):
            self._parse_part(part.split(":"), spec)
        return self

    def _parse_part(self, y: list[str], spec: str) -> None:
        n = len(y)
        if n == 2 and y[0] in ("job", "replica", "task"):
            setattr(self, y[0], y[1] if y[0] == "job" else int(y[1]))
        elif n in (1, 2) and y[0].upper() in ("CPU", "GPU"):
            self._set_type(y[0].upper(), y[1] if n == 2 else "*", spec)
        elif n in (2, 3) and y[0] == "device":
            self._set_type(y[1], y[2] if n == 3 else "*", spec)
        elif y[0] != "":
            raise ValueError(
                f"Unknown attribute '{y[0]}' is encountered while parsing the device spec: "
                f"'{spec}'."
            )

    def _set_type(self, device_type: str, index: str, spec: str) -> None:
        if self.device_type is not None:
            raise ValueError(
                f"Multiple device types are not allowed while parsing the device spec: {spec}."
            )
        self.device_type = _canonical_type(device_type)
        if index != "*":
            self.device_index = int(index)

    def merge_from(self, dev: "DeviceSpec") -> None:
        """Overrides this spec's fields with those set in `dev`."""
        for name in self.__slots__:
            value = getattr(dev, name)
            if value is not None:
                setattr(self, name, value)

    def make_merged_spec(self, dev: "DeviceSpec") -> "DeviceSpec":
        """A new spec: this one with `dev`'s fields taking precedence."""
        merged = copy.copy(self)
        merged.merge_from(dev)
        return merged

    def replace(self, **kwargs) -> "DeviceSpec":
        """A copy with the given fields replaced."""
        fields = {name: getattr(self, name) for name in self.__slots__}
        fields.update(kwargs)
        return DeviceSpec(**fields)

    def to_string(self) -> str:
        """The canonical string, e.g. `/job:worker/replica:0/task:1/device:GPU:0`."""
        out = ""
        if self.job is not None:
            out += f"/job:{self.job}"
        if self.replica is not None:
            out += f"/replica:{self.replica}"
        if self.task is not None:
            out += f"/task:{self.task}"
        if self.device_type is not None:
            index = "*" if self.device_index is None else self.device_index
            out += f"/device:{self.device_type}:{index}"
        return out

    def __copy__(self) -> "DeviceSpec":
        return self.replace()

    def __eq__(self, other) -> bool:
        return isinstance(other, DeviceSpec) and self.to_string() == other.to_string()

    def __hash__(self) -> int:
        return hash(self.to_string())

    def __repr__(self) -> str:
        return f"DeviceSpec({self.to_string()!r})"


def _canonical_type(device_type: str | None) -> str | None:
    """`cpu`/`gpu` are spelled upper-case, as TF does; other types keep their spelling."""
    if device_type is not None and device_type.upper() in ("CPU", "GPU"):
        return device_type.upper()
    return device_type


def canonical(spec: str) -> str:
    """The canonical form of a device string (`/gpu:0` → `/device:GPU:0`)."""
    return DeviceSpec.from_string(spec).to_string() if spec else ""
