"""The checkpoint hook of an all-reduce job (`flowgraph/distribute/checkpoint_hook.py`):
saves by seconds happen at the same step in every process, the chief's clock deciding.
Here with a stand-in for the coordination service; for real in test_allreduce.py."""

from types import SimpleNamespace

import jax
import pytest

from flowgraph.distribute import checkpoint_hook
from flowgraph.train import basic_session_run_hooks


class _Service:
    """The coordination service's key-value store, as jax's client sees it."""

    def __init__(self):
        self.keys = {}

    def key_value_set(self, key, value):
        self.keys[key] = value

    def key_value_try_get(self, key):
        if key not in self.keys:
            raise jax.errors.JaxRuntimeError(f"NOT_FOUND: {key}")
        return self.keys[key]


@pytest.fixture
def service(monkeypatch):
    fake = _Service()
    monkeypatch.setattr(checkpoint_hook, "_client", lambda: fake)
    return fake


def _triggers(timer, step) -> bool:
    """What CheckpointSaverHook.after_run does with a timer at `step`."""
    if timer.should_trigger_for_step(step):
        timer.update_last_triggered_step(step)
        return True
    return False


def test_the_others_save_at_the_step_after_the_chiefs_timer_fired(service, monkeypatch):
    chief = checkpoint_hook._ChiefSecondsTimer(10, is_chief=True)
    other = checkpoint_hook._ChiefSecondsTimer(10, is_chief=False)
    assert _triggers(chief, 0) and _triggers(other, 0)  # the first step always saves
    clock = [1000.0]
    monkeypatch.setattr(basic_session_run_hooks, "time", SimpleNamespace(time=lambda: clock[0]))
    chief.update_last_triggered_step(0)
    saved = {"chief": [], "other": []}
    for step in range(1, 8):
        clock[0] += 4.0  # the chief's timer fires at step 3 (12 s): both save at step 4
        for name, timer in (("chief", chief), ("other", other)):
            if _triggers(timer, step):
                saved[name].append(step)
    assert saved == {"chief": [4], "other": [4]}
    assert list(service.keys) == ["flowgraph/save_at/4", "flowgraph/save_at/8"]  # 7: 12 s on


def test_a_step_the_chief_did_not_choose_saves_nowhere(service):
    other = checkpoint_hook._ChiefSecondsTimer(10, is_chief=False)
    other.update_last_triggered_step(0)
    assert not other.should_trigger_for_step(5)
    service.keys["flowgraph/save_at/6"] = "1"
    assert other.should_trigger_for_step(6)
