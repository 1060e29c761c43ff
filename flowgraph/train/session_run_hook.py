"""`tf.train.SessionRunHook`: code run around each `MonitoredSession.run` call."""

from __future__ import annotations

import collections


class SessionRunHook:
    """Hook to extend calls to `MonitoredSession.run()`.

    A `MonitoredSession` calls, in order: `begin()` once, before the graph is finalized;
    `after_create_session(session, coord)` each time a session is created (or recreated
    after an `AbortedError`); around every `run`, `before_run(run_context)` (which may add
    fetches, feeds and options) and `after_run(run_context, run_values)` (which gets what
    it asked for); and `end(session)` when the session closes without an error.

    Example:
      >>> class CountingHook(tf.train.SessionRunHook):
      ...     def begin(self):
      ...         self.calls = 0
      ...     def after_run(self, run_context, run_values):
      ...         self.calls += 1
    """

    def begin(self):
        """Called once before using the session; the graph may still be changed here."""

    def after_create_session(self, session, coord):
        """Called when a new session is created; the graph is finalized by now.

        Args:
          session: the `tf.Session` that was created.
          coord: the `Coordinator` of the session's threads.
        """

    def before_run(self, run_context):
        """Called before each `run()`; may return a `SessionRunArgs` to add to the call.

        Args:
          run_context: a `SessionRunContext`.

        Returns:
          None or a `SessionRunArgs`.
        """
        return None

    def after_run(self, run_context, run_values):
        """Called after each `run()` with the values of what `before_run` asked for.

        Not called when the run raised; `run_context.request_stop()` ends the loop.

        Args:
          run_context: the `SessionRunContext` passed to `before_run`.
          run_values: a `SessionRunValues`.
        """

    def end(self, session):
        """Called at the end of the session (not when it ends with an exception)."""


class SessionRunArgs(collections.namedtuple("SessionRunArgs", ["fetches", "feed_dict", "options"])):
    """What a hook adds to a `run()` call: fetches (any nesting `Session.run` accepts), a
    feed dict and `RunOptions`."""

    def __new__(cls, fetches, feed_dict=None, options=None):
        return super().__new__(cls, fetches, feed_dict, options)


class SessionRunContext:
    """The `run()` call a hook sees: its original arguments, the session, a stop switch."""

    def __init__(self, original_args, session):
        """Initializes a SessionRunContext.

        Args:
          original_args: a `SessionRunArgs` of the fetches and feeds the caller passed.
          session: the `tf.Session` the call runs in.
        """
        self._original_args = original_args
        self._session = session
        self._stop_requested = False

    @property
    def original_args(self):
        """The `SessionRunArgs` of the caller's `run()` (hooks' additions excluded)."""
        return self._original_args

    @property
    def session(self):
        """The `tf.Session` the call runs in."""
        return self._session

    @property
    def stop_requested(self) -> bool:
        """Whether a hook asked to stop the loop."""
        return self._stop_requested

    def request_stop(self) -> None:
        """Asks the session to stop: `should_stop()` returns True after this run."""
        self._stop_requested = True


class SessionRunValues(
    collections.namedtuple("SessionRunValues", ["results", "options", "run_metadata"])
):
    """What a hook gets back: the values of its `SessionRunArgs.fetches` (same nesting), and
    the `RunOptions` and `RunMetadata` of the call."""
