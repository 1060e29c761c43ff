"""The run context: what one `Plan.run` needs besides its feeds (deadline, cancellation,
host-op timer)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class RunContext:
    """Passed down a run to every segment and blocking kernel, instead of side channels.

    `deadline` is the `time.monotonic()` at which waiting ops give up (None: never);
    `recorder` (a `device.trace.StepRecorder`) times steps and transfers; `host_timer`,
    set per host segment by the recorder, runs and times one host op:
    `host_timer(node, run_node, frame)`; `cancelled`, set when the run's session closes,
    stops the compiled loops polling it (None: never).
    """

    deadline: float | None = None
    recorder: Any = None
    host_timer: Callable | None = None
    cancelled: threading.Event | None = None

    @staticmethod
    def with_timeout(
        seconds: float | None, recorder: Any = None, cancelled: threading.Event | None = None
    ) -> "RunContext":
        """A context whose waits end `seconds` from now (None or <= 0: never)."""
        deadline = time.monotonic() + seconds if seconds and seconds > 0 else None
        return RunContext(deadline, recorder, cancelled=cancelled)


NO_CONTEXT = RunContext()
