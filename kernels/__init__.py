"""What each op type computes: pure jax functions (xla) and Python functions (host)."""

from kernels import (  # noqa: F401  (registrations)
    array,
    control_flow,
    gradients,
    linalg,
    logging,
    math,
    random,
    registry,
    state,
    string,
)

lookup = registry.lookup
