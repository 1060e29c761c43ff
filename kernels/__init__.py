"""What each op type computes: pure jax functions (xla) and Python functions (host)."""

from kernels import array, control_flow, logging, math, registry, string  # noqa: F401  (registrations)

lookup = registry.lookup
