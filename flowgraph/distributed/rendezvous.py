"""A task's rendezvous: tensors its partitions send to other tasks, held by (step, key)
until the receiving task pulls them with RecvTensor (TF's remote rendezvous)."""

from __future__ import annotations

import collections
import threading
import time

from kernels import errors

_ABORTED_KEPT = 1024  # aborted steps remembered, so that a late pull fails rather than waits


class Rendezvous:
    """Values by (step id, rendezvous key); a receive waits for its send, a step's abort
    ends every wait of that step with the abort's error."""

    def __init__(self):
        self._values: dict[tuple[int, str], object] = {}
        self._aborted: collections.OrderedDict[int, errors.OpError] = collections.OrderedDict()
        self._changed = threading.Condition()
        self._closed: errors.OpError | None = None

    def send(self, step: int, key: str, value) -> None:
        with self._changed:
            if step not in self._aborted and not self._closed:
                self._values[(step, key)] = value
                self._changed.notify_all()

    def recv(self, step: int, key: str, timeout: float | None = None):
        """The value sent under `key` in `step` (taken: each is received once); waits for
        it at most `timeout` seconds (DeadlineExceededError), or until the step aborts."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while (step, key) not in self._values:
                if step in self._aborted or self._closed:
                    raise self._aborted.get(step, self._closed)
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise errors.DeadlineExceededError(
                        None, None, f"Timed out waiting for tensor {key} of step {step}"
                    )
                self._changed.wait(left)
            return self._values.pop((step, key))

    def abort(self, step: int, error: errors.OpError) -> None:
        """Drops `step`'s values and fails its waits, now and later, with `error`."""
        with self._changed:
            for k in [k for k in self._values if k[0] == step]:
                del self._values[k]
            self._aborted.setdefault(step, error)
            while len(self._aborted) > _ABORTED_KEPT:
                self._aborted.popitem(last=False)
            self._changed.notify_all()

    def close(self) -> None:
        """Drops every value and fails every wait: the task is stopping."""
        with self._changed:
            self._values.clear()
            self._closed = errors.CancelledError(None, None, "The worker is shutting down")
            self._changed.notify_all()
