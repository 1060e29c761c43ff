"""ProgressBarHook: a tqdm progress bar of the global step, steps/s and logged tensors."""

from __future__ import annotations

from flowgraph.train.basic_session_run_hooks import _as_graph_element, _require_global_step
from flowgraph.train.session_run_hook import SessionRunArgs, SessionRunHook


class ProgressBarHook(SessionRunHook):
    """Shows training progress as a bar: the global step, steps/s and the latest values
    of `tensors`. In Jupyter the bar is a widget (tqdm's notebook bar, with ipywidgets),
    in a terminal one line that redraws itself.

    Example:
      >>> hooks = [tf.train.StopAtStepHook(last_step=1000),
      ...          tf.train.ProgressBarHook(last_step=1000, tensors={"loss": loss})]
      >>> with tf.train.MonitoredTrainingSession(hooks=hooks) as sess:
      ...     while not sess.should_stop():
      ...         sess.run(train_op)
    """

    def __init__(self, num_steps=None, last_step=None, tensors=None, every_n_iter=10, desc=None):
        """Initializes a `ProgressBarHook`.

        Args:
          num_steps: the bar's length in steps from where the session starts.
          last_step: the global step where the bar ends (give at most one of the two;
            neither draws a bar without a total).
          tensors: a dict from tags to tensors (or tensor names), or a list of them,
            whose latest values are shown after the bar.
          every_n_iter: fetch `tensors` every this many `run` calls.
          desc: the text before the bar.

        Raises:
          ImportError: if tqdm is not installed.
          ValueError: if both `num_steps` and `last_step` are given, or `every_n_iter`
            is not positive.
        """
        if num_steps is not None and last_step is not None:
            raise ValueError("Only one of num_steps or last_step can be specified.")
        if every_n_iter <= 0:
            raise ValueError(f"invalid every_n_iter={every_n_iter}.")
        self._tqdm = _import_tqdm()
        self._num_steps, self._last_step = num_steps, last_step
        self._tensors = tensors if isinstance(tensors, dict) else {t: t for t in tensors or ()}
        self._every_n_iter = every_n_iter
        self._desc = desc
        self._bar = None

    def begin(self):
        self._global_step_tensor = _require_global_step("ProgressBarHook")
        self._fetch_tensors = {tag: _as_graph_element(t) for tag, t in self._tensors.items()}
        self._iter_count = 0

    def after_create_session(self, session, coord):
        start = int(session.run(self._global_step_tensor))
        total = self._last_step if self._num_steps is None else start + self._num_steps
        self._close()
        self._bar = self._tqdm(total=total, initial=start, desc=self._desc, unit="step")
        self._position = start

    def before_run(self, run_context):
        fetches = {"step": self._global_step_tensor}
        if self._tensors and self._iter_count % self._every_n_iter == 0:
            fetches["tensors"] = self._fetch_tensors
        return SessionRunArgs(fetches)

    def after_run(self, run_context, run_values):
        self._iter_count += 1
        step = int(run_values.results["step"]) + 1  # the step read before this run's update
        if step > self._position:
            self._bar.update(step - self._position)
            self._position = step
        if "tensors" in run_values.results:
            values = run_values.results["tensors"]
            self._bar.set_postfix({tag: _format(values[tag]) for tag in self._tensors})

    def end(self, session):
        self._close()

    def _close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _import_tqdm():
    try:
        from tqdm.auto import tqdm
    except ImportError as e:
        raise ImportError(
            "ProgressBarHook draws its bar with tqdm, which is not installed: "
            "pip install tqdm (or flowgraph's 'notebooks' extra)."
        ) from e
    return tqdm


def _format(value) -> str:
    try:
        return f"{float(value):.4g}"
    except (TypeError, ValueError):  # a non-scalar: as numpy prints it
        return str(value)
