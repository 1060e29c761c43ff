"""What each op type computes: pure jax functions (xla) and Python functions (host)."""

from kernels import (  # noqa: F401  (registrations)
    array,
    candidate_sampling,
    check,
    control_flow,
    conv,
    ctc,
    gradients,
    image,
    linalg,
    logging,
    math,
    nn,
    random,
    registry,
    sparse,
    spectral,
    state,
    string,
    training,
)

lookup = registry.lookup
