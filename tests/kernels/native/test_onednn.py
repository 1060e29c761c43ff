"""Building and loading oneDNN's FFI library (kernels/native/onednn.py): the cache
directory, a build keyed and renamed into place, two builds at once, and every missing
piece (compiler, package, switch) falling back to XLA's convolutions with one log line."""

from __future__ import annotations

import ctypes
import importlib.metadata
import logging
import os
import threading

import pytest

from kernels.native import onednn


def _installed() -> bool:
    try:
        importlib.metadata.version("onednn-devel-cpu-gomp")
        importlib.metadata.version("onednn-cpu-gomp")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def test_cache_dir_follows_the_environment(tmp_path):
    assert onednn.cache_dir({onednn.DIRECTORY: str(tmp_path)}) == str(tmp_path)
    xdg = onednn.cache_dir({"XDG_CACHE_HOME": str(tmp_path)})
    assert xdg == os.path.join(str(tmp_path), "flowgraph", "native")


def test_two_builds_at_once_leave_one_whole_library(tmp_path, monkeypatch):
    monkeypatch.setenv(onednn.DIRECTORY, str(tmp_path))
    if not _installed():
        with pytest.raises(onednn.Unavailable, match="pip install 'flowgraph\\[cpu-conv\\]'"):
            onednn.build()
        return
    paths, errors = [], []

    def build():
        try:
            paths.append(onednn.build())
        except Exception as e:  # noqa: BLE001  (reported below)
            errors.append(e)

    threads = [threading.Thread(target=build) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=900)
    assert not errors and len(paths) == 2 and paths[0] == paths[1]
    assert os.listdir(tmp_path) == [os.path.basename(paths[0])]  # no temporary left
    lib = ctypes.CDLL(paths[0])
    lib.FlowgraphOnednnVersion.restype = ctypes.c_char_p
    assert lib.FlowgraphOnednnVersion().decode() == "3.2.0"
    mtime = os.path.getmtime(paths[0])
    assert onednn.build() == paths[0] and os.path.getmtime(paths[0]) == mtime  # reused


def test_no_compiler_means_xlas_convolutions(monkeypatch, caplog):
    monkeypatch.setattr(onednn.shutil, "which", lambda name: None)
    monkeypatch.setattr(onednn, "_state", {})
    with caplog.at_level(logging.INFO, logger=onednn.__name__):
        assert not onednn.available()
    assert [r.getMessage() for r in caplog.records] == [
        "flowgraph: XLA's own CPU convolutions (no C++ compiler)"
    ]


def test_a_failed_build_means_xlas_convolutions(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv(onednn.DIRECTORY, str(tmp_path))
    monkeypatch.setattr(onednn, "_SOURCE", str(tmp_path / "broken.cc"))
    (tmp_path / "broken.cc").write_text("this is not C++\n")
    monkeypatch.setattr(onednn, "_state", {})
    with caplog.at_level(logging.INFO, logger=onednn.__name__):
        assert not onednn.available()
    (message,) = [r.getMessage() for r in caplog.records]
    reason = "failed" if _installed() else "not installed"
    assert message.startswith("flowgraph: XLA's own CPU convolutions (") and reason in message
    assert os.listdir(tmp_path) == ["broken.cc"]  # no temporary left


@pytest.mark.parametrize("value", ["0", "false", "off", "no"])
def test_the_switch_turns_it_off(monkeypatch, value):
    monkeypatch.setenv(onednn.SWITCH, value)
    monkeypatch.setattr(onednn, "_state", {})
    assert not onednn.available()
