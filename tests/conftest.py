"""Test setup (must precede any jax import): four host devices for placement tests, and a
compile cache of the session's own instead of the user's."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")

if "FLOWGRAPH_COMPILE_CACHE_DIR" not in os.environ:
    _cache_dir = tempfile.mkdtemp(prefix="flowgraph-test-xla-cache-")
    os.environ["FLOWGRAPH_COMPILE_CACHE_DIR"] = _cache_dir
    atexit.register(shutil.rmtree, _cache_dir, ignore_errors=True)
