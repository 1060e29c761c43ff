"""Crash safety of Saver: a training job SIGKILLed again and again (also while saving)
resumes from the newest complete checkpoint with identical state, and never meets a
corrupt one."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

from tensorboard.compat.proto import meta_graph_pb2

import flowgraph as tf

SCRIPT = os.path.join(os.path.dirname(__file__), "saver_fault_script.py")
MAX_STEPS, SAVE_EVERY, KILLS = 100, 3, 7  # each run is a new process (seconds to start)


def _start(checkpoint_dir) -> subprocess.Popen:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root, JAX_PLATFORMS="cpu")
    env.pop("XLA_FLAGS", None)  # one device is enough; conftest's four cost start-up time
    return subprocess.Popen(
        [sys.executable, SCRIPT, str(checkpoint_dir), str(MAX_STEPS), str(SAVE_EVERY)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )


def _run_until_killed(proc, kill_on: str, nth: int, delay: float) -> list[list[str]]:
    """Reads events until the `nth` line starting with `kill_on`, waits `delay` s, kills."""
    events, seen = [], 0
    for line in proc.stdout:
        events.append(line.split())
        if events[-1][0] == kill_on:
            seen += 1
            if seen == nth:
                time.sleep(delay)  # lands the kill inside the save or the next steps
                proc.send_signal(signal.SIGKILL)
                break
    events += [line.split() for line in proc.stdout]  # lines already written before dying
    proc.wait(timeout=30)
    return events


def _check_state_is_sound(checkpoint_dir) -> int | None:
    """Every checkpoint the state file names loads, holds its own step and has a whole
    MetaGraph; returns the latest one's step."""
    state = tf.train.get_checkpoint_state(str(checkpoint_dir))
    if state is None:
        return None
    for path in state.all_model_checkpoint_paths:
        step = int(path.rsplit("-", 1)[1])
        assert tf.train.checkpoint_exists(path), path
        assert tf.train.load_variable(path, "global_step") == step
        with open(path + ".meta", "rb") as f:
            meta = meta_graph_pb2.MetaGraphDef.FromString(f.read())
        assert meta.saver_def.restore_op_name == "save/restore_all"
    return int(state.model_checkpoint_path.rsplit("-", 1)[1])


def test_sigkill_during_training_and_saves_resumes_exactly(tmp_path):
    rng = random.Random(1234)
    digests: dict[int, str] = {}  # step -> digest of all variables, from every run
    recomputed = 0  # steps trained again after a resume (their digests must agree)
    killed_mid_save = 0
    for run in range(KILLS + 1):
        expected_step = _check_state_is_sound(tmp_path)
        proc = _start(tmp_path)
        if run < KILLS:
            kill_on = "STEP" if run % 3 == 2 else "SAVING"  # 5 kills near a save, 2 not
            nth = rng.randint(1, 2) if kill_on == "SAVING" else rng.randint(1, 6)
            events = _run_until_killed(proc, kill_on, nth, rng.uniform(0.0, 0.02))
        else:
            events = [line.split() for line in proc.stdout]
            assert proc.wait(timeout=60) == 0
        first = events[0]
        if expected_step is None:
            assert first == ["FRESH"]
        else:  # resumed from exactly the checkpoint the state file names, state intact
            assert first[0] == "RESTORED" and int(first[1]) == expected_step
            assert first[2] == digests[expected_step]
        for event in events[1:]:
            if event[0] == "STEP":
                step, digest = int(event[1]), event[2]
                recomputed += step in digests
                assert digests.setdefault(step, digest) == digest, f"step {step} differs"
        saving = [int(e[1]) for e in events if e[0] == "SAVING"]
        saved = [int(e[1]) for e in events if e[0] == "SAVED"]
        killed_mid_save += bool(saving) and saving[-1] not in saved and run < KILLS
    assert events[-1] == ["DONE", str(MAX_STEPS)]
    assert _check_state_is_sound(tmp_path) == MAX_STEPS - MAX_STEPS % SAVE_EVERY
    assert recomputed > 0  # some steps were trained twice and came out identical
    assert killed_mid_save >= 3
