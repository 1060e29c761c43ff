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

# A fresh process: argv[1] is a constant, argv[2:] name the programs to build, each in a
# graph of its own, and run once (a new process costs seconds: the tests of one cache
# setting share their processes). Prints per program the result, how many compiles jax's
# persistent cache answered (hits) or not (requests), how many functions jax traced, where
# explain says the segments' executables came from, and the files the program's run added
# to the cache directory:
# - "plain": a graph whose constant comes from argv;
# - "split": a graph of 30 layers compiled as a chain of executables (split small): the
#   constant is in the middle layer only, so a change reaches one chunk's program;
# - "conv": a convolution; on the CPU with the cpu-conv extra it is a oneDNN custom call,
#   which a loaded executable finds by name (registered for it);
# - "assign": a fetched assign_add, run three times: its program returns the variable's new
#   value once (`device/lower.py`'s `_alias`), which a loaded executable maps the same; each
#   fetch stays as it was fetched (the first is then overwritten: the caller's own array).
# A program gives its fetch, the variables to initialize, and optionally how to run it.
_SCRIPT = """
import json, os, sys
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
from device import split_compile
constant = float(sys.argv[1])
cache_dir = tf.compile_cache.directory()

def files():
    if cache_dir is None or not os.path.isdir(cache_dir):
        return set()
    found = set(os.listdir(cache_dir))
    if os.path.isdir(os.path.join(cache_dir, "executables")):
        found |= {"executables/" + n for n in os.listdir(os.path.join(cache_dir, "executables"))}
    return found

def plain(x):
    return tf.reduce_sum(tf.tanh(x) * constant, axis=1), []

def split(x):
    split_compile.MIN_NODES, split_compile.CHUNK_EQUATIONS = 1, 20
    h = x
    for i in range(30):
        h = tf.tanh(h * (constant if i == 15 else 0.5) + 0.25)
    return tf.reduce_sum(h, axis=1), []

def conv(x):
    w = tf.Variable(np.full((2, 2, 1, 3), constant, np.float32))
    image = tf.reshape(x, [2, 1, 3, 1])  # shapes known: oneDNN takes it
    return tf.reduce_sum(tf.nn.conv2d(image, w, [1, 1, 1, 1], "SAME") ** 2, axis=[1, 2, 3]), [w]

def assign(x):
    v = tf.Variable(np.zeros(3, np.float32))
    y = v.assign_add(tf.reduce_sum(x, axis=0) * constant)

    def run(sess, feed):
        values = [sess.run(y, feed) for _ in range(3)]
        values[0][:] = -1.0
        return np.array(values + [sess.run(v)])

    return y, [v], run

split_defaults = split_compile.MIN_NODES, split_compile.CHUNK_EQUATIONS
out = {"dir": cache_dir}
for name in sys.argv[2:]:
    before_counts, before_files = dict(counts), files()
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        y, variables, *run = globals()[name](x)
        run = run[0] if run else lambda sess, feed: sess.run(y, feed)
        with tf.Session() as sess:
            for v in variables:
                sess.run(v.initializer)
            value = run(sess, {x: np.ones((2, 3), np.float32)})
            plan = sess.explain(y, {x: np.ones((2, 3), np.float32)})
    split_compile.MIN_NODES, split_compile.CHUNK_EQUATIONS = split_defaults
    origins = [o for s in plan.segments for o in s.compiled_from]
    out[name] = {"value": value.tolist(), "origins": origins,
                 "added": sorted(files() - before_files),
                 **{k: counts[k] - before_counts[k] for k in counts}}
print(json.dumps(out))
"""


def _run(cache_dir, constant, programs, **env):
    env = {**os.environ, "FLOWGRAPH_COMPILE_CACHE_DIR": str(cache_dir), **env}
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(constant), *programs],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _entries(names):
    """jax's persistent cache's entries among file names."""
    return sorted(name for name in names if name.endswith("-cache"))


def _executables(names):
    """The executable cache's entries among file names."""
    return sorted(name for name in names if name.startswith("executables/"))


def _split_values(constant):
    h = np.ones((2, 3))
    for i in range(30):
        h = np.tanh(h * (constant if i == 15 else 0.5) + 0.25)
    return h.sum(axis=1)


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


def test_second_process_reuses_jax_entries_and_a_changed_constant_recompiles(tmp_path):
    # jax's cache alone: a plain program, and a split one that reuses its chunks and
    # recompiles only the one a changed constant reaches.
    cold = _run(tmp_path, 2.0, ["plain", "split"], **_JAX_ONLY)
    warm = _run(tmp_path, 2.0, ["plain", "split"], **_JAX_ONLY)
    changed = _run(tmp_path, 3.0, ["plain", "split"], **_JAX_ONLY)
    assert cold["dir"] == str(tmp_path)
    assert "executables" not in os.listdir(tmp_path)

    plain = [run["plain"] for run in (cold, warm, changed)]
    assert plain[0]["requests"] >= 1 and plain[0]["hits"] == 0
    assert _entries(plain[0]["added"])
    assert plain[1]["hits"] == plain[1]["requests"] >= 1
    assert plain[1]["value"] == plain[0]["value"] and plain[1]["added"] == []
    assert plain[2]["hits"] < plain[2]["requests"]
    expected = [v * 1.5 for v in plain[0]["value"]]
    assert plain[2]["value"] == pytest.approx(expected, rel=1e-6)
    assert _entries(plain[2]["added"])  # new entries

    split = [run["split"] for run in (cold, warm, changed)]
    assert split[0]["requests"] >= 3  # several executables
    assert split[1]["hits"] == split[1]["requests"] == split[0]["requests"]
    assert split[1]["value"] == split[0]["value"] and split[1]["added"] == []
    assert 1 <= split[2]["requests"] - split[2]["hits"] < split[2]["requests"]
    np.testing.assert_allclose(split[2]["value"], _split_values(3.0), rtol=1e-5)
    assert split[2]["value"] != split[0]["value"]


def test_second_process_loads_executables_without_tracing(tmp_path):
    # The executable cache: a plain program, a split one (loaded as a chain), a convolution,
    # a fetched assign.
    cold = _run(tmp_path, 2.0, ["plain", "split", "conv", "assign"])
    warm = _run(tmp_path, 2.0, ["plain", "split", "conv", "assign"])
    changed = _run(tmp_path, 3.0, ["plain"])

    plain = [run["plain"] for run in (cold, warm, changed)]
    assert plain[0]["origins"] == ["compiled"] and plain[0]["traces"] >= 1
    written = plain[0]["added"]
    assert len(_executables(written)) == 1 and _entries(written) == []  # jax holds no copy
    assert plain[1]["origins"] == ["loaded"]
    assert plain[1]["traces"] == plain[1]["requests"] == 0  # nothing traced, lowered, compiled
    assert plain[1]["value"] == plain[0]["value"] and plain[1]["added"] == []
    assert plain[2]["origins"] == ["compiled"]
    expected = [v * 1.5 for v in plain[0]["value"]]
    assert plain[2]["value"] == pytest.approx(expected, rel=1e-6)
    assert len(_executables(plain[2]["added"])) == 1  # a second entry

    split = [run["split"] for run in (cold, warm)]
    assert (split[0]["origins"], split[1]["origins"]) == (["compiled"], ["loaded"])
    assert split[1]["traces"] == split[1]["requests"] == 0
    assert split[1]["value"] == split[0]["value"]
    np.testing.assert_allclose(split[0]["value"], _split_values(2.0), rtol=1e-5)

    conv = [run["conv"] for run in (cold, warm)]
    assert conv[0]["origins"][-1] == "compiled" and conv[1]["origins"][-1] == "loaded"
    assert conv[1]["requests"] == 0 and conv[1]["traces"] < conv[0]["traces"]  # (initializer)
    assert conv[1]["value"] == conv[0]["value"]
    assert [warm[name]["added"] for name in ("plain", "split", "conv", "assign")] == [[]] * 4

    assign = [run["assign"] for run in (cold, warm)]
    assert assign[0]["origins"] == ["compiled"] and assign[1]["origins"] == ["loaded"]
    assert assign[1]["traces"] == assign[1]["requests"] == 0
    expected = [[-1.0] * 3, [8.0] * 3, [12.0] * 3, [12.0] * 3]
    assert assign[0]["value"] == assign[1]["value"] == expected
    from kernels.native import onednn

    if onednn.available():  # the executables hold the custom calls
        kept = b"".join((tmp_path / name).read_bytes() for name in conv[0]["added"])
        used = {t for t in onednn.TARGETS if t.encode() in kept}
        assert used == {"flowgraph_onednn_conv2d"}


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


def test_switched_off_process_writes_nothing(tmp_path):
    off = _run(tmp_path, 2.0, ["plain"], **{compile_cache.SWITCH: "0"})
    assert off["dir"] is None and off["plain"]["hits"] == 0 and off["plain"]["origins"] == []
    assert os.listdir(tmp_path) == []
