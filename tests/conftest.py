"""Test setup (must precede any jax import): four host devices for placement tests, and a
compile cache of the session's own instead of the user's."""

import atexit
import os
import shutil
import tempfile

import pytest

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")

if "FLOWGRAPH_COMPILE_CACHE_DIR" not in os.environ:
    _cache_dir = tempfile.mkdtemp(prefix="flowgraph-test-xla-cache-")
    os.environ["FLOWGRAPH_COMPILE_CACHE_DIR"] = _cache_dir
    atexit.register(shutil.rmtree, _cache_dir, ignore_errors=True)


@pytest.fixture(autouse=True)
def _executables_per_test():
    """Each test keeps its executables apart (`device/executable_cache.py`): a segment one
    test compiled would load in another without the trace that test may watch."""
    from device import executable_cache

    if executable_cache.directory() is None:
        yield
        return
    path = tempfile.mkdtemp(prefix="flowgraph-test-executables-")
    before = executable_cache.configure(path)
    try:
        yield
    finally:
        executable_cache.configure(before)
        shutil.rmtree(path, ignore_errors=True)
