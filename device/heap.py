"""Returning the memory a plan's first run freed to the operating system (glibc's heap).

Tracing, lowering and compiling a plan's segments allocate and free far more than a step
does: the compiler's working memory and the temporaries of once-run programs such as
initializers. glibc keeps freed chunks that are not at the top of a heap (and threads get
heaps of their own), so without a trim that memory stays in the process's RSS for good,
and a step's own buffers come on top of it (measured: 35-70 MB of the benchmark CNN's and
MLP's steady RSS, `benchmarks/memory.py`). A trim after a plan's first run gives it back:
~1 ms after a small plan's first run, 20-140 ms after the benchmark MLP's, CNN's and
5,000-op graph's (which took seconds). Values are untouched.

On by default where the C library has `malloc_trim` (glibc); set the environment variable
`FLOWGRAPH_TRIM_HEAP=0` to keep freed memory in the process.
"""

from __future__ import annotations

import ctypes
import os


def _malloc_trim():
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # not glibc (macOS, musl, Windows)
        return None


_MALLOC_TRIM = _malloc_trim()


def enabled() -> bool:
    """Whether `release` trims (`FLOWGRAPH_TRIM_HEAP=0` turns it off)."""
    value = os.environ.get("FLOWGRAPH_TRIM_HEAP", "1").strip().lower()
    return _MALLOC_TRIM is not None and value not in ("0", "false", "off")


def release() -> bool:
    """Gives the heap's free memory back to the operating system; True if it did any."""
    if not enabled():
        return False
    return bool(_MALLOC_TRIM(0))
