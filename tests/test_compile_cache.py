"""The persistent compile cache: its location and switch, and executables reused across
processes only for the same program."""

import json
import os
import subprocess
import sys

import jax
import numpy as np
import pytest
from jax._src import monitoring

import flowgraph as tf
from flowgraph import compile_cache

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A fresh process: one graph whose constant comes from argv, run once; prints the result,
# how many compiles jax's persistent cache answered (hits) or not (misses), how many
# functions jax traced, and where explain says the segments' executables came from.
_SCRIPT = """
import json, sys
import jax
from jax._src import monitoring
counts = {"hits": 0, "requests": 0, "traces": 0}
def listen(event, **kwargs):
    if event == "/jax/compilation_cache/cache_hits":
        counts["hits"] += 1
    if event == "/jax/compilation_cache/compile_requests_use_cache":
        counts["requests"] += 1
def listen_duration(event, duration, **kwargs):
    if event == "/jax/core/compile/jaxpr_trace_duration":
        counts["traces"] += 1
monitoring.register_event_listener(listen)
monitoring.register_event_duration_secs_listener(listen_duration)
import numpy as np
import flowgraph as tf
x = tf.placeholder(tf.float32, [None, 3])
y = tf.reduce_sum(tf.tanh(x) * float(sys.argv[1]), axis=1)
with tf.Session() as sess:
    value = sess.run(y, {x: np.ones((2, 3), np.float32)})
    plan = sess.explain(y, {x: np.ones((2, 3), np.float32)})
origins = [o for s in plan.segments for o in s.compiled_from]
print(json.dumps({"value": value.tolist(), "dir": tf.compile_cache.directory(),
                  "origins": origins, **counts}))
"""


# The same, with a graph of 30 layers compiled as a chain of executables (split small): the
# constant from argv is in the middle layer only, so a change reaches one chunk's program.
_SPLIT_SCRIPT = _SCRIPT.replace(
    """y = tf.reduce_sum(tf.tanh(x) * float(sys.argv[1]), axis=1)""",
    """from device import split_compile
split_compile.MIN_NODES, split_compile.CHUNK_EQUATIONS = 1, 20
h = x
for i in range(30):
    h = tf.tanh(h * (float(sys.argv[1]) if i == 15 else 0.5) + 0.25)
y = tf.reduce_sum(h, axis=1)""",
)


def _run(cache_dir, constant, script=_SCRIPT, **env):
    env = {**os.environ, "FLOWGRAPH_COMPILE_CACHE_DIR": str(cache_dir), **env}
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, "-c", script, str(constant)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _entries(cache_dir):
    return sorted(name for name in os.listdir(cache_dir) if name.endswith("-cache"))


def _executables(cache_dir):
    return sorted(os.listdir(os.path.join(cache_dir, "executables")))


# jax's persistent cache alone: what segments the executable cache does not keep use.
_JAX_ONLY = {compile_cache.EXECUTABLES: "0"}


def test_default_dir_follows_xdg():
    assert compile_cache.default_dir({"XDG_CACHE_HOME": "/x/cache"}) == "/x/cache/flowgraph/xla"
    home = os.path.expanduser("~")
    assert compile_cache.default_dir({}) == os.path.join(home, ".cache", "flowgraph", "xla")


@pytest.mark.parametrize("value", ["0", "false", "OFF", " no "])
def test_switch_off_leaves_jax_alone(value, monkeypatch):
    monkeypatch.setattr(jax.config, "update", lambda *a: pytest.fail(f"configured {a}"))
    assert compile_cache.configure({compile_cache.SWITCH: value}) is None


def test_tests_cache_in_their_own_directory():
    # tests/conftest.py points the cache away from the user's home.
    assert compile_cache.directory() == os.environ[compile_cache.DIRECTORY]
    assert compile_cache.directory() != compile_cache.default_dir()
    assert jax.config.jax_persistent_cache_min_compile_time_secs == 0.0


def test_second_process_reuses_and_changed_constant_recompiles(tmp_path):
    cold = _run(tmp_path, 2.0, **_JAX_ONLY)
    assert cold["dir"] == str(tmp_path)
    assert cold["requests"] >= 1 and cold["hits"] == 0
    written = _entries(tmp_path)
    assert written and "executables" not in os.listdir(tmp_path)

    warm = _run(tmp_path, 2.0, **_JAX_ONLY)
    assert warm["hits"] == warm["requests"] >= 1
    assert warm["value"] == cold["value"]
    assert _entries(tmp_path) == written

    changed = _run(tmp_path, 3.0, **_JAX_ONLY)
    assert changed["hits"] < changed["requests"]
    assert changed["value"] == pytest.approx([v * 1.5 for v in cold["value"]], rel=1e-6)
    assert len(_entries(tmp_path)) > len(written)


def test_second_process_loads_executables_without_tracing(tmp_path):
    cold = _run(tmp_path, 2.0)
    assert cold["origins"] == ["compiled"] and cold["traces"] >= 1
    written = _executables(tmp_path)
    assert len(written) == 1 and _entries(tmp_path) == []  # jax's cache holds no copy

    warm = _run(tmp_path, 2.0)
    assert warm["origins"] == ["loaded"]
    assert warm["traces"] == warm["requests"] == 0  # nothing traced, lowered or compiled
    assert warm["value"] == cold["value"]
    assert _executables(tmp_path) == written

    changed = _run(tmp_path, 3.0)
    assert changed["origins"] == ["compiled"]
    assert changed["value"] == pytest.approx([v * 1.5 for v in cold["value"]], rel=1e-6)
    assert len(_executables(tmp_path)) == 2


def test_switched_off_process_writes_nothing(tmp_path):
    off = _run(tmp_path, 2.0, **{compile_cache.SWITCH: "0"})
    assert off["dir"] is None and off["hits"] == 0 and off["origins"] == []
    assert os.listdir(tmp_path) == []


def _compiles(run):
    """How many XLA compiles `run()` caused (cached in memory or on disk or not)."""
    events = []

    def listen(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            events.append(event)

    monitoring.register_event_duration_secs_listener(listen)
    try:
        run()
    finally:
        monitoring.unregister_event_duration_listener(listen)
    return len(events)


def test_feed_shapes_reuse_plans_and_each_batch_size_compiles_once():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 4])
        w = tf.Variable(np.ones((4, 2), np.float32))
        loss = tf.reduce_sum(tf.matmul(x, w))
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())

            def steps(*sizes):
                for n in sizes:
                    sess.run([train, loss], {x: np.ones((n, 4), np.float32)})

            assert _compiles(lambda: steps(8)) >= 1
            assert _compiles(lambda: steps(8, 8, 8)) == 0  # same shapes: nothing compiles
            new_size = _compiles(lambda: steps(5))  # a partial last batch
            assert new_size >= 1
            assert _compiles(lambda: steps(8, 5, 8, 5)) == 0  # each size compiled once
            assert _compiles(lambda: steps(3)) == new_size


def test_a_split_program_reuses_its_chunks_and_recompiles_only_a_changed_one(tmp_path):
    cold = _run(tmp_path, 2.0, _SPLIT_SCRIPT, **_JAX_ONLY)
    assert cold["requests"] >= 3  # several executables
    written = _entries(tmp_path)

    warm = _run(tmp_path, 2.0, _SPLIT_SCRIPT, **_JAX_ONLY)
    assert warm["hits"] == warm["requests"] == cold["requests"]
    assert warm["value"] == cold["value"] and _entries(tmp_path) == written

    changed = _run(tmp_path, 3.0, _SPLIT_SCRIPT, **_JAX_ONLY)
    assert 1 <= changed["requests"] - changed["hits"] < changed["requests"]
    h = np.ones((2, 3))
    for i in range(30):
        h = np.tanh(h * (3.0 if i == 15 else 0.5) + 0.25)
    np.testing.assert_allclose(changed["value"], h.sum(axis=1), rtol=1e-5)
    assert changed["value"] != cold["value"]


def test_a_split_program_loads_as_a_chain_in_a_new_process(tmp_path):
    cold = _run(tmp_path, 2.0, _SPLIT_SCRIPT)
    warm = _run(tmp_path, 2.0, _SPLIT_SCRIPT)
    assert (cold["origins"], warm["origins"]) == (["compiled"], ["loaded"])
    assert warm["traces"] == warm["requests"] == 0
    assert warm["value"] == cold["value"]


# The same, with a convolution: on the CPU with the cpu-conv extra they
# are oneDNN custom calls, which a loaded executable finds by name (registered for it).
_CONV_SCRIPT = _SCRIPT.replace(
    """y = tf.reduce_sum(tf.tanh(x) * float(sys.argv[1]), axis=1)""",
    """w = tf.Variable(np.full((2, 2, 1, 3), float(sys.argv[1]), np.float32))
image = tf.reshape(x, [2, 1, 3, 1])  # shapes known: oneDNN takes it
y = tf.reduce_sum(tf.nn.conv2d(image, w, [1, 1, 1, 1], "SAME") ** 2, axis=[1, 2, 3])
""",
).replace(
    "with tf.Session() as sess:\n", "with tf.Session() as sess:\n    sess.run(w.initializer)\n"
)


def test_a_convolution_loads_in_a_new_process(tmp_path):
    from kernels.native import onednn

    cold = _run(tmp_path, 2.0, _CONV_SCRIPT)
    warm = _run(tmp_path, 2.0, _CONV_SCRIPT)
    assert cold["origins"][-1] == "compiled" and warm["origins"][-1] == "loaded"
    assert warm["requests"] == 0 and warm["traces"] < cold["traces"]  # (the initializer's)
    assert warm["value"] == cold["value"]
    if onednn.available():  # the executables hold the custom calls
        kept = b"".join(
            (tmp_path / "executables" / name).read_bytes() for name in _executables(tmp_path)
        )
        used = {t for t in onednn.TARGETS if t.encode() in kept}
        assert used == {"flowgraph_onednn_conv2d"}


# A fetched assign: its program returns the variable's new value once (`device/lower.py`'s
# `_alias`), which a loaded executable maps the same; each fetch stays as it was fetched.
_ASSIGN_SCRIPT = _SCRIPT.replace(
    """y = tf.reduce_sum(tf.tanh(x) * float(sys.argv[1]), axis=1)""",
    """v = tf.Variable(np.zeros(3, np.float32))
y = v.assign_add(tf.reduce_sum(x, axis=0) * float(sys.argv[1]))
""",
).replace(
    """    value = sess.run(y, {x: np.ones((2, 3), np.float32)})""",
    """    sess.run(v.initializer)
    values = [sess.run(y, {x: np.ones((2, 3), np.float32)}) for _ in range(3)]
    values[0][:] = -1.0  # the caller's own array
    value = np.array(values + [sess.run(v)])""",
)


def test_a_fetched_assign_loads_in_a_new_process_and_maps_its_write_the_same(tmp_path):
    cold = _run(tmp_path, 2.0, _ASSIGN_SCRIPT)
    warm = _run(tmp_path, 2.0, _ASSIGN_SCRIPT)
    assert cold["origins"] == ["compiled"] and warm["origins"] == ["loaded"]
    assert warm["traces"] == warm["requests"] == 0
    expected = [[-1.0] * 3, [8.0] * 3, [12.0] * 3, [12.0] * 3]
    assert cold["value"] == warm["value"] == expected
