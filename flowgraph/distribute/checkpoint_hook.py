"""The checkpoint hook of every process of an all-reduce job (`MonitoredTrainingSession`).

A sharded save of the all-reduce mode (`flowgraph.distribute.checkpoint`) is run by every
process together, so every process saves at the same global steps: by steps, each
process's own count agrees; by seconds, the chief's clock decides and the others learn of
it through the job's coordination service (the chief announces a save for the step after
the one its timer fired at, before running that step, which the others cannot finish
without it). The chief writes the events, `graph.pbtxt` and the MetaGraphs as ever; the
other processes only their shards.
"""

from __future__ import annotations

import jax

from flowgraph.train import basic_session_run_hooks
from flowgraph.train.basic_session_run_hooks import CheckpointSaverHook, SecondOrStepTimer

_KEY = "flowgraph/save_at/"


class JobCheckpointSaverHook(CheckpointSaverHook):
    """Saves checkpoints in every process of an all-reduce job, at the same steps."""

    def __init__(
        self,
        checkpoint_dir,
        save_secs=None,
        save_steps=None,
        scaffold=None,
        save_graph_def=True,
        is_chief=True,
    ):
        super().__init__(
            checkpoint_dir,
            save_secs=save_secs,
            save_steps=save_steps,
            scaffold=scaffold,
            save_graph_def=save_graph_def and is_chief,
        )
        self._is_chief = is_chief
        if save_secs is not None:
            self._timer = _ChiefSecondsTimer(save_secs, is_chief)

    def begin(self):
        if self._is_chief:
            return super().begin()
        self._global_step_tensor = basic_session_run_hooks._require_global_step(
            "CheckpointSaverHook"
        )

    def after_create_session(self, session, coord):
        if self._is_chief:
            return super().after_create_session(session, coord)
        step = session.run(self._global_step_tensor)
        self._save(session, step)
        self._timer.update_last_triggered_step(step)

    def end(self, session):
        last_step = session.run(self._global_step_tensor)
        if last_step != self._timer.last_triggered_step():
            self._save(session, last_step)

    def _save(self, session, step) -> bool:
        if self._is_chief:
            return super()._save(session, step)
        saver = self._get_saver()
        if getattr(saver, "_job_shard", None):  # a saver of the chief's alone: nothing here
            saver.save(session, self._save_path, global_step=step, write_meta_graph=False)
        return False


class _ChiefSecondsTimer(SecondOrStepTimer):
    """Every `every_secs` seconds of the chief's clock, at the same step in every process."""

    def __init__(self, every_secs, is_chief):
        super().__init__(every_secs=every_secs)
        self._is_chief = is_chief
        self._due = None  # the step the chief's timer chose (the others: once they know it)

    def should_trigger_for_step(self, step) -> bool:
        if self._last_triggered_step is None:
            return True
        if self._last_triggered_step == step:
            return False
        return self._chief_decides(step) if self._is_chief else self._chief_decided(step)

    def _chief_decides(self, step) -> bool:
        if self._due is not None:
            return step >= self._due
        if super().should_trigger_for_step(step):
            self._due = step + 1
            _client().key_value_set(f"{_KEY}{self._due}", "1")
        return False

    def _chief_decided(self, step) -> bool:
        # Only a yes is kept: a run that trains no step may ask before the chief chose.
        if self._due != step:
            try:
                _client().key_value_try_get(f"{_KEY}{step}")
            except jax.errors.JaxRuntimeError:  # no such key: no save at `step` (yet)
                return False
            self._due = step
        return True

    def update_last_triggered_step(self, step):
        self._due = None
        return super().update_last_triggered_step(step)


def _client():
    from jax._src.distributed import global_state  # jax's coordination client, no API

    return global_state.client
