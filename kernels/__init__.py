"""What each op type computes: pure jax functions (xla) and Python functions (host)."""

from kernels import (  # noqa: F401  (registrations)
    array,
    bitwise,
    candidate_sampling,
    check,
    control_flow,
    conv,
    conv_backprop,
    ctc,
    edit_distance,
    fake_quant,
    fingerprint,
    gradients,
    histogram,
    image,
    image_extra,
    linalg,
    linalg_extra,
    logging,
    lookup_table,
    manip,
    math,
    morphology,
    nms,
    nn,
    random,
    registry,
    script,
    sets,
    sparse,
    sparse_segment,
    sparse_serialize,
    special_math,
    spectral,
    spectral_nd,
    state,
    stateless_random,
    string,
    string_ngrams,
    training,
)

lookup = registry.lookup
from kernels import (  # noqa: E402,F401  (ReadFile, DecodeCSV, ParseExample, ...)  # noqa: E402,F401  (queues, accumulators, readers)
    data_flow,
    file_io,
    io_checkpoint,  # noqa: E402,F401  (SaveV2, RestoreV2)
    parsing,
    readers,
    summary,  # noqa: E402,F401  (summary kernels)
)
