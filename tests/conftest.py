"""Test setup: four host devices for placement tests (must precede any jax import)."""

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")
