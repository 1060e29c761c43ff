"""`tf.train.Coordinator` and `tf.train.LooperThread`: stopping a group of threads together."""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time

from kernels import errors

_log = logging.getLogger("flowgraph")


class Coordinator:
    """Coordinates the termination of a set of threads.

    Threads loop `while not coord.should_stop()`; any of them may `request_stop()`, with
    the exception that ended it; `join()` waits for all of them and re-raises the first
    reported exception (an `OutOfRangeError`, the end of input, counts as a clean stop).

    Example:
      >>> coord = tf.train.Coordinator()
      >>> threads = tf.train.start_queue_runners(sess, coord=coord)
      >>> try:
      ...     while not coord.should_stop():
      ...         sess.run(train_op)
      ... except tf.errors.OutOfRangeError:
      ...     pass
      ... finally:
      ...     coord.request_stop()
      >>> coord.join(threads)
    """

    def __init__(self, clean_stop_exception_types=None):
        """Creates a Coordinator.

        Args:
          clean_stop_exception_types: exception types that stop the coordinator as if
            `request_stop(None)` was called. Defaults to `(tf.errors.OutOfRangeError,)`.
        """
        if clean_stop_exception_types is None:
            clean_stop_exception_types = (errors.OutOfRangeError,)
        self._clean_stop_exception_types = tuple(clean_stop_exception_types)
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._exc_info_to_raise = None
        self._joined = False
        self._registered_threads: set[threading.Thread] = set()

    def _filter_exception(self, ex):
        """`ex`, or None when it is one of the clean-stop types."""
        exception = ex[1] if isinstance(ex, tuple) else ex
        return None if isinstance(exception, self._clean_stop_exception_types) else ex

    def request_stop(self, ex=None) -> None:
        """Requests that the threads stop; `should_stop()` returns True from now on.

        Args:
          ex: an exception (being handled) or a `sys.exc_info()` tuple. The first one
            reported is re-raised by `join()`.
        """
        with self._lock:
            ex = self._filter_exception(ex)
            if self._joined:  # after join, an exception is raised straight back
                if isinstance(ex, tuple):
                    raise ex[1]
                if ex is not None:
                    raise sys.exc_info()[1] or ex
            if self._stop_event.is_set():
                return
            if ex is not None and self._exc_info_to_raise is None:
                info = ex if isinstance(ex, tuple) else sys.exc_info()
                if len(info) != 3 or not info[0] or not info[1]:
                    info = (type(ex), ex, getattr(ex, "__traceback__", None))
                _log.info("Error reported to Coordinator: %s", info[1])
                self._exc_info_to_raise = info
            self._stop_event.set()

    def clear_stop(self) -> None:
        """Clears the stop flag (and any recorded exception)."""
        with self._lock:
            self._joined = False
            self._exc_info_to_raise = None
            self._stop_event.clear()

    def should_stop(self) -> bool:
        """Whether a stop was requested."""
        return self._stop_event.is_set()

    @contextlib.contextmanager
    def stop_on_exception(self):
        """A context that requests a stop, with the exception, when its body raises."""
        try:
            yield
        except:  # noqa: E722  (as TF: any exception, even KeyboardInterrupt, stops all)
            self.request_stop(ex=sys.exc_info())

    def wait_for_stop(self, timeout=None) -> bool:
        """Waits up to `timeout` seconds for a stop; returns whether one was requested."""
        return self._stop_event.wait(timeout)

    def register_thread(self, thread: threading.Thread) -> None:
        """Adds `thread` to the threads `join()` waits for."""
        with self._lock:
            self._registered_threads.add(thread)

    def join(self, threads=None, stop_grace_period_secs=120, ignore_live_threads=False) -> None:
        """Waits for the threads (and the registered ones) to terminate.

        Waits until all threads end or a stop is requested; after a stop the threads get
        `stop_grace_period_secs` to end. Then re-raises the first exception passed to
        `request_stop()`, or raises RuntimeError naming threads still alive (unless
        `ignore_live_threads`).
        """
        with self._lock:
            threads = list(self._registered_threads.union(threads or ()))
        while any(t.is_alive() for t in threads) and not self.wait_for_stop(1.0):
            pass
        deadline = time.monotonic() + stop_grace_period_secs
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        stragglers = [t.name for t in threads if t.is_alive()]
        with self._lock:
            self._joined = True
            self._registered_threads = set()
            if self._exc_info_to_raise:
                raise self._exc_info_to_raise[1]
            if stragglers:
                if not ignore_live_threads:
                    raise RuntimeError(
                        "Coordinator stopped with threads still running: " + " ".join(stragglers)
                    )
                _log.info("Coordinator stopped with threads still running: %s", stragglers)

    @property
    def joined(self) -> bool:
        """Whether `join()` has returned (or raised)."""
        return self._joined

    def raise_requested_exception(self) -> None:
        """Raises the exception passed to `request_stop()`, if any."""
        with self._lock:
            if self._exc_info_to_raise:
                raise self._exc_info_to_raise[1]


class LooperThread(threading.Thread):
    """A daemon thread that calls `target` (or `run_loop`) until its coordinator stops.

    With `timer_interval_secs` None it loops back to back, else once per interval. An
    exception is reported to the coordinator and ends the thread.
    """

    def __init__(self, coord, timer_interval_secs, target=None, args=None, kwargs=None):
        if not isinstance(coord, Coordinator):
            raise ValueError(f"'coord' argument must be a Coordinator: {coord}")
        super().__init__()
        self.daemon = True
        self._coord = coord
        self._timer_interval_secs = timer_interval_secs
        self._target = target
        if target:
            self._args = args or ()
            self._kwargs = kwargs or {}
        elif args or kwargs:
            raise ValueError("'args' and 'kwargs' argument require that you also pass 'target'")
        coord.register_thread(self)

    @staticmethod
    def loop(coord, timer_interval_secs, target, args=None, kwargs=None) -> "LooperThread":
        """Starts a LooperThread calling `target(*args, **kwargs)`; returns it."""
        looper = LooperThread(coord, timer_interval_secs, target=target, args=args, kwargs=kwargs)
        looper.start()
        return looper

    def run(self) -> None:
        with self._coord.stop_on_exception():
            self.start_loop()
            if self._timer_interval_secs is None:
                while not self._coord.should_stop():
                    self.run_loop()
            else:
                next_time = time.time()
                while not self._coord.wait_for_stop(next_time - time.time()):
                    next_time += self._timer_interval_secs
                    self.run_loop()
            self.stop_loop()

    def start_loop(self) -> None:
        """Called when the thread starts."""

    def stop_loop(self) -> None:
        """Called when the thread stops."""

    def run_loop(self) -> None:
        """Called once per loop (per interval)."""
        if self._target:
            self._target(*self._args, **self._kwargs)
