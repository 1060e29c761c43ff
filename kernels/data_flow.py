"""Queue and accumulator kernels (host): session resources whose ops wait, close and cancel.

A queue holds tuples of numpy arrays. Its ops wait on the queue's own condition, never on a
lock other runs need; a wait ends when it can proceed, when the run's deadline passes
(`RunOptions.timeout_in_ms`: DeadlineExceededError; the runtime hands each waiting kernel
its `deadline`) or when the session closes (CancelledError). Waiters are served in arrival
order, as TF's queues serve their attempts.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import threading
import time
from typing import Callable, Sequence

import numpy as np

from kernels.errors import (
    CancelledError,
    DeadlineExceededError,
    InvalidArgumentError,
    OutOfRangeError,
)
from kernels.input_threads import quick_handoff
from kernels.registry import HOST, MAKES_RESOURCE, Effects, Spec, register
from kernels.resource_names import resource_name

_OBJECT = np.dtype(object)
_USES_HANDLE = Effects(resources=("handle",))


class Waitable:
    """A resource whose ops wait on one condition; `cancel` wakes and fails every waiter."""

    def __init__(self):
        self._cond = threading.Condition()
        self._cancelled = False

    def _wait(self, ready: Callable[[], bool], what: str, end: float | None) -> None:
        """Waits (holding the condition) until `ready()`, the deadline `end` (a
        `time.monotonic()`; None: none), or cancellation."""
        while not ready():
            if self._cancelled:
                raise CancelledError(None, None, f"{what} operation was cancelled")
            if end is None:
                self._cond.wait()
                continue
            left = end - time.monotonic()
            if left <= 0:
                raise DeadlineExceededError(None, None, "Timed out waiting for notification")
            self._cond.wait(left)

    def cancel(self) -> None:
        """Fails every pending and future wait with CancelledError (the session closed)."""
        with self._cond:
            self._cancelled = True
            self._cond.notify_all()


# -- queues ----------------------------------------------------------------------------------


class FIFOQueue(Waitable):
    """A bounded first-in first-out queue of tuples (TF's FIFOQueue)."""

    type_name = "FIFOQueue"

    def __init__(self, name: str, component_types, shapes, capacity: int):
        super().__init__()
        quick_handoff()  # a queue is filled and drained by different threads
        self.name = name
        self.dtypes = tuple(np.dtype(t) for t in component_types)
        self.shapes = tuple(tuple(s) for s in shapes) if shapes else None
        self.capacity = capacity
        self.closed = False
        self._cancel_enqueues = False
        self._enqueuers: collections.deque = collections.deque()
        self._dequeuers: collections.deque = collections.deque()
        self._elements: collections.deque = collections.deque()
        self._rows = _Rows.of(self.dtypes, self.shapes) if self.uses_rows else None

    # A queue of fully defined shapes keeps its elements as rows of one array per component
    # (`_rows`) and orders their row numbers: enqueue_many writes a batch and dequeue_many
    # gathers one in a numpy call each, where a tuple per element cost a Python loop and a
    # stack of views (TF's queues copy rows the same way).
    uses_rows = True

    # Storage: subclasses change the order elements leave in.
    def _put(self, element) -> None:
        self._elements.append(element)

    def _put_rows(self, batch: "_Batch", start: int, stop: int) -> None:
        """Adds elements `start:stop` of `batch`."""
        if self._rows is None:
            for i in range(start, stop):
                self._put(batch.element(i))
        else:
            self._elements.extend(self._rows.write(batch.arrays, start, stop))

    def _handed_out(self, taken: list) -> list[tuple]:
        """The elements `taken` (row numbers where `_rows` holds them), their rows freed."""
        return taken if self._rows is None else self._rows.elements(taken)

    def _batched(self, taken: list) -> tuple[np.ndarray, ...]:
        """`taken` as one array per component (dequeue_many's result), their rows freed."""
        return self.batch(taken) if self._rows is None else self._rows.gather(taken)

    def _take(self, k: int) -> list[tuple]:
        """The next `k` elements (at most `_available()`)."""
        return [self._elements.popleft() for _ in range(k)]

    def _restore(self, taken: list) -> None:
        self._elements.extendleft(reversed(taken))

    def _available(self) -> int:
        """How many elements a dequeue may take now."""
        return len(self._elements)

    def size(self) -> int:
        return len(self._elements)

    def _has_room(self) -> bool:
        return self.capacity < 0 or self.size() < self.capacity

    def _room(self, wanted: int) -> int:
        return wanted if self.capacity < 0 else min(wanted, self.capacity - self.size())

    def _check_shape(self, i: int, shape: tuple, many: bool = False) -> None:
        if self.shapes is None:
            return
        want = self.shapes[i]
        if len(want) != len(shape) or any(w is not None and w != s for w, s in zip(want, shape)):
            raise InvalidArgumentError(
                None,
                None,
                f"Shape mismatch in tuple component {i}. Expected {_dims(want)}, "
                f"got {_dims(shape)}",
            )

    def elements(self, components: Sequence, many: bool) -> "_Batch":
        """The elements an enqueue (or enqueue_many: split along dim 0) adds, checked."""
        if len(components) != len(self.dtypes):
            raise InvalidArgumentError(
                None,
                None,
                f"{self.type_name} '{self.name}' expects {len(self.dtypes)} components, "
                f"got {len(components)}",
            )
        arrays = [np.asarray(c, dtype=t) for c, t in zip(components, self.dtypes)]
        if not many:
            for i, a in enumerate(arrays):
                self._check_shape(i, a.shape)
            return _Batch(arrays, many=False)
        sizes = {a.shape[0] if a.ndim else None for a in arrays}
        if None in sizes or len(sizes) != 1:
            raise InvalidArgumentError(
                None,
                None,
                "QueueEnqueueMany requires all components to have the same size in the 0th "
                f"dimension; got shapes {', '.join(_dims(a.shape) for a in arrays)}",
            )
        for i, a in enumerate(arrays):
            self._check_shape(i, a.shape[1:])
        return _Batch(arrays, many=True)

    def enqueue(self, elements: "_Batch", deadline: float | None = None) -> None:
        """Adds `elements` in order, waiting for room; CancelledError once closed."""
        with self._cond:
            if self.closed:
                raise CancelledError(None, None, f"{self.type_name} '{self.name}' is closed.")
            ticket = object()
            self._enqueuers.append(ticket)
            try:
                done = 0
                while done < elements.size:
                    self._wait(
                        lambda: (
                            self._cancel_enqueues
                            or (self._enqueuers[0] is ticket and self._has_room())
                        ),
                        "Enqueue",
                        deadline,
                    )
                    if self._cancel_enqueues:
                        raise CancelledError(None, None, "Enqueue operation was cancelled")
                    fit = self._room(elements.size - done)  # all that fit, one wake-up
                    self._put_rows(elements, done, done + fit)
                    done += fit
                    self._cond.notify_all()
            finally:
                self._enqueuers.remove(ticket)
                self._cond.notify_all()

    def dequeue(
        self, n: int, allow_smaller: bool = False, deadline: float | None = None
    ) -> list[tuple]:
        """Takes `n` elements, waiting for them; OutOfRangeError once closed without enough
        (unless `allow_smaller` and some were taken: dequeue_up_to)."""
        return self._dequeue(n, allow_smaller, deadline, self._handed_out)

    def dequeue_batch(
        self, n: int, allow_smaller: bool = False, deadline: float | None = None
    ) -> tuple[np.ndarray, ...]:
        """`dequeue`'s elements as one array per component (dequeue_many's result)."""
        return self._dequeue(n, allow_smaller, deadline, self._batched)

    def _dequeue(self, n: int, allow_smaller: bool, deadline: float | None, result):
        """`result(taken)` of `n` elements taken (computed holding the condition: rows
        taken are free for the next enqueue once it has run)."""
        with self._cond:
            ticket = object()
            self._dequeuers.append(ticket)
            taken: list[tuple] = []
            try:
                while len(taken) < n:
                    self._wait(
                        lambda: self._dequeuers[0] is ticket and (self._available() or self.closed),
                        "Dequeue",
                        deadline,
                    )
                    available = self._available()
                    if not available:
                        break  # closed
                    taken += self._take(min(n - len(taken), available))  # then one wake-up
                    self._cond.notify_all()
            except BaseException:
                self._restore(taken)
                raise
            finally:
                self._dequeuers.remove(ticket)
                self._cond.notify_all()
            if len(taken) < n and not (allow_smaller and taken):
                self._restore(taken)
                raise OutOfRangeError(
                    None,
                    None,
                    f"{self.type_name} '{self.name}' is closed and has insufficient elements "
                    f"(requested {n}, current size {self.size()})",
                )
            return result(taken)

    def close(self, cancel_pending_enqueues: bool) -> None:
        """Refuses further enqueues; pending ones finish unless cancelled."""
        with self._cond:
            self.closed = True
            self._cancel_enqueues = self._cancel_enqueues or cancel_pending_enqueues
            self._cond.notify_all()

    def check_many(self) -> None:
        """TF's queues dequeue many elements at once only when their shapes are given."""
        if self.shapes is None:
            raise InvalidArgumentError(
                None,
                None,
                f"{self.type_name}'s DequeueMany and DequeueUpTo require the components to "
                "have specified shapes.",
            )

    def batch(self, elements: list[tuple]) -> tuple[np.ndarray, ...]:
        """Stacks elements into one array per component (dequeue_many's result)."""
        if not elements:
            return tuple(
                np.zeros((0,) + self._known_shape(i), t) for i, t in enumerate(self.dtypes)
            )
        return tuple(np.stack(column) for column in zip(*elements))

    def _known_shape(self, i: int) -> tuple:
        shape = self.shapes[i] if self.shapes else None
        if shape is None or None in shape:
            raise InvalidArgumentError(
                None, None, "Cannot dequeue 0 elements from a queue without fully defined shapes"
            )
        return shape


class PaddingFIFOQueue(FIFOQueue):
    """A FIFOQueue whose dequeue_many pads each component to the batch's largest shape."""

    type_name = "PaddingFIFOQueue"
    uses_rows = False  # rows of one shape: padding needs the elements' own shapes

    def batch(self, elements: list[tuple]) -> tuple[np.ndarray, ...]:
        if not elements:
            return tuple(
                np.zeros((0,) + tuple(d or 0 for d in self.shapes[i]), t)
                for i, t in enumerate(self.dtypes)
            )
        return tuple(_pad_stack(column, t) for column, t in zip(zip(*elements), self.dtypes))


def _pad_stack(arrays: Sequence[np.ndarray], dtype: np.dtype) -> np.ndarray:
    shape = tuple(max(dims) for dims in zip(*(a.shape for a in arrays)))
    out = np.full((len(arrays),) + shape, b"" if dtype == _OBJECT else 0, dtype=dtype)
    for i, a in enumerate(arrays):
        out[(i,) + tuple(slice(0, d) for d in a.shape)] = a
    return out


class RandomShuffleQueue(FIFOQueue):
    """A queue that hands out a random element, keeping `min_after_dequeue` until closed."""

    type_name = "RandomShuffleQueue"

    def __init__(self, name, component_types, shapes, capacity, min_after_dequeue, seed, seed2):
        super().__init__(name, component_types, shapes, capacity)
        self.min_after_dequeue = min_after_dequeue
        self._elements = []
        self._words = _PhiloxWords(seed, seed2)
        self._version = 0  # counts changes to the elements: a take ahead is for one version
        self._last_take = 0  # elements the latest take took
        self._ahead: tuple | None = None
        self._copied: tuple | None = None  # a take drawn ahead and its rows' copies

    def _put(self, element: tuple) -> None:
        self._elements.append(element)
        self._changed()

    def _put_rows(self, batch: "_Batch", start: int, stop: int) -> None:
        super()._put_rows(batch, start, stop)
        self._changed()
        if 0 < self.capacity <= len(self._elements) and self._last_take:
            self._take_ahead()

    # A full queue changes only when a dequeue takes from it: the enqueuing thread that
    # filled it draws that take ahead (as many as the latest take took), and a dequeue of
    # as many from the same elements hands it out. Its indices, a draw of ~10 us and its
    # loop, leave the training step, which dequeues. Any other take puts the generator
    # back as it was before the draw ahead: the stream, and so the order, stay the same.
    def _take_ahead(self) -> None:
        k = min(self._last_take, self._available())
        if k <= 0:
            return
        state = self._undo_ahead()
        elements = list(self._elements)
        taken = self._draw(elements, k)
        # dequeue_many's arrays too: the rows taken stay as they are until it frees them.
        rows = None if self._rows is None else self._rows.copy(taken)
        self._ahead = (self._version, k, taken, elements, state, rows)

    def _undo_ahead(self) -> dict:
        """The generator's state before any draw ahead (put back if there was one)."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            self._words.restore(ahead[4])
            return ahead[4]
        return self._words.state()

    def _changed(self) -> None:
        self._version += 1

    def _batched(self, taken: list) -> tuple[np.ndarray, ...]:
        copied, self._copied = self._copied, None
        if copied is not None and copied[0] == taken:  # the take drawn ahead, alone
            self._rows.free += taken
            return copied[1]
        return super()._batched(taken)

    def _take(self, k: int) -> list[tuple]:
        self._last_take = k
        self._copied = None
        ahead = self._ahead
        if ahead is not None and ahead[0] == self._version and ahead[1] == k:
            self._ahead = None
            self._elements = ahead[3]
            self._changed()
            if ahead[5] is not None:
                self._copied = (ahead[2], ahead[5])
            return ahead[2]
        if ahead is not None:
            self._undo_ahead()
        self._changed()
        return self._draw(self._elements, k)

    def _draw(self, elements: list, k: int) -> list[tuple]:
        """Takes `k` random elements out of `elements` (in place)."""
        taken = []
        last = len(elements)
        # TF's DequeueLocked, k times: element `word % size` leaves, the last one moves into
        # its place (the k last are cut once at the end). The words are the queue's Philox
        # stream, one 32-bit word a draw, so a seeded queue hands out TensorFlow's order.
        for word in self._words.take(k):
            i = word % last
            last -= 1
            taken.append(elements[i])
            elements[i] = elements[last]
        del elements[last:]
        return taken

    def _restore(self, taken: list) -> None:
        self._elements.extend(reversed(taken))  # TF pushes a partial batch back last first
        self._changed()

    def _available(self) -> int:
        if self.closed:
            return len(self._elements)
        return max(0, len(self._elements) - self.min_after_dequeue)


class _PhiloxWords:
    """The 32-bit words of TF's `SingleSampleAdapter<PhiloxRandom>` made from a queue's
    (seed, seed2) attrs (both 0: random seeds): Philox4x32-10 blocks of 4 words, the key
    `seed`'s two halves, the 128-bit counter starting at `seed2 << 64` and advanced by one a
    block (kernels/philox.py computes the same blocks on a device, for random ops)."""

    def __init__(self, seed: int, seed2: int):
        if seed == 0 and seed2 == 0:
            seed, seed2 = (int(v) for v in np.random.default_rng().integers(0, 2**63, size=2))
        self._key = (seed & _M32, (seed >> 32) & _M32)
        self._counter = (seed2 & (2**64 - 1)) << 64
        self._words: list[int] = []  # computed ahead, in chunks (numpy costs per call)
        self._used = 0

    def state(self) -> tuple:
        """Where the stream is (`restore` goes back there); the chunk list is never mutated."""
        return self._words, self._used, self._counter

    def restore(self, state: tuple) -> None:
        self._words, self._used, self._counter = state

    def take(self, k: int) -> list[int]:
        """The next `k` words."""
        start, stop = self._used, self._used + k
        if stop <= len(self._words):
            self._used = stop
            return self._words[start:stop]
        out = self._words[start:]
        need = k - len(out)
        self._words = self._blocks(max(-(-need // 4), _PHILOX_CHUNK))
        self._used = need
        return out + self._words[:need]

    def _blocks(self, n: int) -> list[int]:
        # The counter's low half starts at 0 and counts blocks: it never carries.
        low = np.uint64(self._counter & (2**64 - 1)) + np.arange(n, dtype=np.uint64)
        high = self._counter >> 64
        self._counter += n
        c = [low & np.uint64(_M32), low >> np.uint64(32)]
        c += [np.full(n, high & _M32, np.uint64), np.full(n, high >> 32, np.uint64)]
        k0, k1 = (np.uint64(v) for v in self._key)
        mask = np.uint64(_M32)
        for _ in range(10):
            p0, p1 = np.uint64(0xD2511F53) * c[0], np.uint64(0xCD9E8D57) * c[2]
            c = [(p1 >> 32) ^ c[1] ^ k0, p1 & mask, (p0 >> 32) ^ c[3] ^ k1, p0 & mask]
            k0, k1 = (k0 + np.uint64(0x9E3779B9)) & mask, (k1 + np.uint64(0xBB67AE85)) & mask
        return np.stack(c, 1).reshape(-1).tolist()


_M32 = 0xFFFFFFFF
_PHILOX_CHUNK = 1024  # blocks computed at once: 4096 draws (numpy costs ~0.1 us a draw)


class PriorityQueue(FIFOQueue):
    """A queue that hands out the element with the smallest int64 priority (component 0)."""

    type_name = "PriorityQueue"
    uses_rows = False  # the heap orders the elements themselves

    def __init__(self, name, component_types, shapes, capacity):
        shapes = ((),) + tuple(shapes) if shapes else ()
        super().__init__(name, (np.int64,) + tuple(component_types), shapes, capacity)
        self._elements = []
        self._order = itertools.count()  # equal priorities leave in arrival order

    def _check_shape(self, i: int, shape: tuple, many: bool = False) -> None:
        if i == 0 and shape != ():
            raise InvalidArgumentError(
                None, None, f"Expected the priority element to be a scalar, got {_dims(shape)}"
            )
        super()._check_shape(i, shape)

    def _put(self, element: tuple) -> None:
        heapq.heappush(self._elements, (int(element[0]), next(self._order), element))

    def _take(self, k: int) -> list[tuple]:
        return [heapq.heappop(self._elements)[2] for _ in range(k)]

    def _restore(self, taken: list) -> None:
        for element in taken:
            self._put(element)


class _Batch:
    """The elements one enqueue adds: `arrays` holds them along dim 0 (`many`), or is the
    one element itself."""

    def __init__(self, arrays: list, many: bool):
        self.many = many
        self.arrays = arrays if many else [a[np.newaxis] for a in arrays]
        self.size = len(arrays[0]) if many and arrays else 1
        self._single = None if many else tuple(arrays)

    def element(self, i: int) -> tuple:
        """Element `i`: views (or scalars) of the batch's rows."""
        return tuple(a[i] for a in self.arrays) if self.many else self._single


class _Rows:
    """Elements of fully defined shapes as rows of one array per component, grown by
    doubling; the queue holds row numbers, in its order."""

    _FIRST = 64  # rows at first: a queue's capacity may be far more than it ever holds

    def __init__(self, dtypes, shapes):
        self.arrays = [np.empty((self._FIRST, *s), t) for t, s in zip(dtypes, shapes)]
        self.free = list(range(self._FIRST - 1, -1, -1))

    @staticmethod
    def of(dtypes, shapes) -> "_Rows | None":
        """Rows for elements of `shapes` (None unless every one is fully defined)."""
        if not shapes or any(d is None or d < 0 for s in shapes for d in s):
            return None
        return _Rows(dtypes, shapes)

    def write(self, arrays: list, start: int, stop: int) -> list[int]:
        """Stores rows `start:stop` of `arrays`; their row numbers."""
        n = stop - start
        while len(self.free) < n:
            self._grow()
        rows = self.free[len(self.free) - n :][::-1]
        del self.free[len(self.free) - n :]
        index = np.array(rows, np.intp)  # converted once for every component
        for store, values in zip(self.arrays, arrays):
            store[index] = values[start:stop]
        return rows

    def gather(self, rows: list[int]) -> tuple[np.ndarray, ...]:
        out = self.copy(rows)  # copies: the rows are free now
        self.free += rows
        return out

    def copy(self, rows: list[int]) -> tuple[np.ndarray, ...]:
        """The components of `rows` (copies; the rows stay taken)."""
        index = np.array(rows, np.intp)  # converted once for every component
        return tuple(store[index] for store in self.arrays)

    def elements(self, rows: list[int]) -> list[tuple]:
        out = [tuple(_row(store, i) for store in self.arrays) for i in rows]
        self.free += rows
        return out

    def _grow(self) -> None:
        size = len(self.arrays[0])
        self.arrays = [np.concatenate([a, np.empty_like(a)]) for a in self.arrays]
        self.free[:0] = range(2 * size - 1, size - 1, -1)


def _row(store: np.ndarray, i: int):
    """Row `i` of `store` as an element's component: a scalar, or a copy of the row."""
    return store[i] if store.ndim == 1 else store[i].copy()


def _dims(shape) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def _handle_shape(specs, attrs, static_values):
    return [Spec((), _OBJECT)]


def _no_outputs(specs, attrs, static_values):
    return []


def _components(specs, attrs, static_values):
    return [Spec(None, np.dtype(t)) for t in attrs["component_types"]]


@register("FIFOQueueV2", kind=HOST, effects=MAKES_RESOURCE, shape=_handle_shape)
def fifo_queue_v2(name, *, component_types, shapes=(), capacity=-1, shared_name="", container=""):
    name = resource_name(name, shared_name, container)
    return FIFOQueue(name, component_types, shapes, capacity)


@register("PaddingFIFOQueueV2", kind=HOST, effects=MAKES_RESOURCE, shape=_handle_shape)
def padding_fifo_queue_v2(
    name, *, component_types, shapes=(), capacity=-1, shared_name="", container=""
):
    name = resource_name(name, shared_name, container)
    return PaddingFIFOQueue(name, component_types, shapes, capacity)


@register("RandomShuffleQueueV2", kind=HOST, effects=MAKES_RESOURCE, shape=_handle_shape)
def random_shuffle_queue_v2(
    name,
    *,
    component_types,
    shapes=(),
    capacity=-1,
    min_after_dequeue=0,
    seed=0,
    seed2=0,
    shared_name="",
    container="",
):
    name = resource_name(name, shared_name, container)
    return RandomShuffleQueue(
        name, component_types, shapes, capacity, min_after_dequeue, seed, seed2
    )


@register("PriorityQueueV2", kind=HOST, effects=MAKES_RESOURCE, shape=_handle_shape)
def priority_queue_v2(
    name, *, component_types=(), shapes=(), capacity=-1, shared_name="", container=""
):
    name = resource_name(name, shared_name, container)
    return PriorityQueue(name, component_types, shapes, capacity)


@register("QueueEnqueueV2", kind=HOST, effects=_USES_HANDLE, shape=_no_outputs)
def queue_enqueue_v2(handle, *components, timeout_ms=-1, deadline=None):
    handle.enqueue(handle.elements(components, many=False), deadline)
    return ()


@register("QueueEnqueueManyV2", kind=HOST, effects=_USES_HANDLE, shape=_no_outputs)
def queue_enqueue_many_v2(handle, *components, timeout_ms=-1, deadline=None):
    handle.enqueue(handle.elements(components, many=True), deadline)
    return ()


@register("QueueDequeueV2", kind=HOST, effects=_USES_HANDLE, shape=_components)
def queue_dequeue_v2(handle, *, component_types, timeout_ms=-1, deadline=None):
    return handle.dequeue(1, deadline=deadline)[0]


@register("QueueDequeueManyV2", kind=HOST, effects=_USES_HANDLE, shape=_components)
def queue_dequeue_many_v2(handle, n, *, component_types, timeout_ms=-1, deadline=None):
    handle.check_many()
    return handle.dequeue_batch(_count(n), deadline=deadline)


@register("QueueDequeueUpToV2", kind=HOST, effects=_USES_HANDLE, shape=_components)
def queue_dequeue_up_to_v2(handle, n, *, component_types, timeout_ms=-1, deadline=None):
    handle.check_many()
    return handle.dequeue_batch(_count(n), allow_smaller=True, deadline=deadline)


def _count(n) -> int:
    n = int(n)
    if n < 0:
        raise InvalidArgumentError(None, None, f"Number of elements must be >= 0, got {n}")
    return n


@register("QueueCloseV2", kind=HOST, effects=_USES_HANDLE, shape=_no_outputs)
def queue_close_v2(handle, *, cancel_pending_enqueues=False):
    handle.close(cancel_pending_enqueues)
    return ()


@register(
    "QueueSizeV2",
    kind=HOST,
    effects=_USES_HANDLE,
    shape=lambda specs, attrs, static_values: [Spec((), np.dtype(np.int32))],
)
def queue_size_v2(handle):
    return np.int32(handle.size())


@register(
    "QueueIsClosedV2",
    kind=HOST,
    effects=_USES_HANDLE,
    shape=lambda specs, attrs, static_values: [Spec((), np.dtype(bool))],
)
def queue_is_closed_v2(handle):
    return np.bool_(handle.closed)


# -- accumulators ----------------------------------------------------------------------------


class ConditionalAccumulator(Waitable):
    """Sums gradients newer than its global step; take_grad waits for enough, averages."""

    type_name = "ConditionalAccumulator"

    def __init__(self, name: str, dtype, shape, reduction_type: str):
        super().__init__()
        self.name = name
        self.dtype = np.dtype(dtype)
        self.shape = None if shape is None else tuple(shape)
        self.mean = reduction_type == "MEAN"
        self.global_step = 0
        self.count = 0
        self._sum = None

    def num_accumulated(self) -> int:
        with self._cond:
            return self.count

    def set_global_step(self, step: int) -> None:
        with self._cond:
            self.global_step = int(step)

    def apply(self, local_step: int, grad: np.ndarray) -> None:
        """Adds `grad` unless it was computed before the current global step (stale)."""
        grad = np.asarray(grad, self.dtype)
        self._check_shape(grad.shape)
        with self._cond:
            if int(local_step) < self.global_step:
                return  # a stale gradient: dropped, as TF does
            if self._sum is not None and self._sum.shape != grad.shape:
                raise InvalidArgumentError(
                    None,
                    None,
                    f"Shape mismatch: expected {_dims(self._sum.shape)}, got {_dims(grad.shape)}",
                )
            self._sum = grad.copy() if self._sum is None else self._sum + grad
            self.count += 1
            self._cond.notify_all()

    def _check_shape(self, shape: tuple) -> None:
        want = self.shape
        if want is None:
            return
        if len(want) != len(shape) or any(
            None not in (w, s) and w != s for w, s in zip(want, shape)
        ):
            raise InvalidArgumentError(
                None, None, f"Shape mismatch: expected {_dims(want)}, got {_dims(shape)}"
            )

    def take(self, num_required: int, deadline: float | None = None):
        """Waits for `num_required` gradients; returns their mean (or sum) and resets."""
        num_required = int(num_required)
        if num_required < 1:
            raise InvalidArgumentError(
                None, None, f"Argument num_required must be positive, but was {num_required}"
            )
        with self._cond:
            self._wait(lambda: self.count >= num_required, "TakeGrad", deadline)
            result = self._result()
            self._sum, self.count = None, 0
            self.global_step += 1
            return result

    def _result(self):
        total = self._sum
        return (total / self.count).astype(self.dtype) if self.mean else total


class SparseConditionalAccumulator(ConditionalAccumulator):
    """A ConditionalAccumulator of IndexedSlices: each row is averaged over the gradients
    that held it."""

    type_name = "SparseConditionalAccumulator"

    def apply(self, local_step, grad) -> None:
        indices, values, shape = grad
        indices = np.asarray(indices, np.int64).reshape(-1)
        values = np.asarray(values, self.dtype)
        if values.shape[:1] != indices.shape:
            raise InvalidArgumentError(
                None,
                None,
                f"Shape mismatch: indices {_dims(indices.shape)} and values "
                f"{_dims(values.shape)} must agree in their first dimension",
            )
        self._check_sparse_shape(indices, values, shape)
        with self._cond:
            if int(local_step) < self.global_step:
                return
            self._check_width(values)
            rows = self._sum if self._sum is not None else {}
            for i, row in zip(indices.tolist(), values):
                total, count = rows.get(i, (0, 0))
                rows[i] = (total + row, count + 1)
            self._sum = rows
            self.count += 1
            self._cond.notify_all()

    def _check_sparse_shape(self, indices, values, shape) -> None:
        """TF's checks: the declared shape is a prefix of the gradient's, its first dim
        bounds the indices, and its other dims fix the values' (an unknown shape: none)."""
        want = () if self.shape is None else self.shape
        if shape is not None:
            shape = [int(d) for d in np.asarray(shape).reshape(-1)]
            if len(want) > len(shape):
                _mismatch(f"expected shape rank at least {len(want)}, got {len(shape)}")
            for i, (w, got) in enumerate(zip(want, shape)):
                if w is not None and w != got:
                    _mismatch(f"expected shape dim {i} to be {w}, got {got}")
        if want and want[0] is not None:
            for i, index in enumerate(indices.tolist()):
                if index >= want[0]:
                    _mismatch(
                        f"index of slice {i} exceeded limits of shape; "
                        f"index is {index} exceeded {want[0]}"
                    )
        if len(want) > values.ndim:
            _mismatch(f"expected values rank at least {len(want)}, got {values.ndim}")
        for i in range(1, len(want)):
            if want[i] is not None and want[i] != values.shape[i]:
                _mismatch(f"expected values dim {i} to be {want[i]}, got {values.shape[i]}")

    def _check_width(self, values) -> None:
        """The values' rows match the rows accumulated so far."""
        if not self._sum:
            return
        width = next(iter(self._sum.values()))[0].shape
        if len(width) + 1 != values.ndim:
            _mismatch(f"expected values rank {len(width) + 1}, got {values.ndim}")
        for i, (w, got) in enumerate(zip(width, values.shape[1:]), start=1):
            if w != got:
                _mismatch(f"expected values dim {i} to be {w}, got {got}")

    def _result(self):
        indices = np.array(sorted(self._sum), np.int64)
        rows = [self._sum[i] for i in indices.tolist()]
        width = self.shape[1:] if self.shape is not None and None not in self.shape else ()
        if rows:
            values = np.stack([t / c if self.mean else t for t, c in rows]).astype(self.dtype)
        else:
            values = np.zeros((0,) + width, self.dtype)
        return indices, values, self._dense_shape(values)

    def _dense_shape(self, values) -> np.ndarray:
        # TF: the declared first dim (-1 if unknown or none declared), then the values' width.
        first = self.shape[0] if self.shape else None
        return np.array((-1 if first is None else first,) + values.shape[1:], np.int64)


def _mismatch(detail: str):
    raise InvalidArgumentError(None, None, f"Shape mismatch: {detail}")


@register("ResourceConditionalAccumulator", kind=HOST, effects=MAKES_RESOURCE, shape=_handle_shape)
def resource_conditional_accumulator(
    name, *, dtype, shape=None, reduction_type="MEAN", shared_name="", container=""
):
    name = resource_name(name, shared_name, container)
    return ConditionalAccumulator(name, dtype, shape, reduction_type)


@register("SparseConditionalAccumulator", kind=HOST, effects=MAKES_RESOURCE, shape=_handle_shape)
def sparse_conditional_accumulator(
    name, *, dtype, shape=None, reduction_type="MEAN", shared_name="", container=""
):
    name = resource_name(name, shared_name, container)
    return SparseConditionalAccumulator(name, dtype, shape, reduction_type)


@register("ResourceAccumulatorApplyGradient", kind=HOST, effects=_USES_HANDLE, shape=_no_outputs)
def resource_accumulator_apply_gradient(handle, local_step, gradient):
    handle.apply(local_step, gradient)
    return ()


@register("SparseAccumulatorApplyGradient", kind=HOST, effects=_USES_HANDLE, shape=_no_outputs)
def sparse_accumulator_apply_gradient(
    handle, local_step, gradient_indices, gradient_values, gradient_shape, *, has_known_shape
):
    shape = gradient_shape if has_known_shape else None
    handle.apply(local_step, (gradient_indices, gradient_values, shape))
    return ()


def _int32_scalar(specs, attrs, static_values):
    return [Spec((), np.dtype(np.int32))]


@register("ResourceAccumulatorNumAccumulated", kind=HOST, effects=_USES_HANDLE, shape=_int32_scalar)
def resource_accumulator_num_accumulated(handle):
    return np.int32(handle.num_accumulated())


@register("AccumulatorNumAccumulated", kind=HOST, effects=_USES_HANDLE, shape=_int32_scalar)
def accumulator_num_accumulated(handle):
    return np.int32(handle.num_accumulated())


@register("ResourceAccumulatorSetGlobalStep", kind=HOST, effects=_USES_HANDLE, shape=_no_outputs)
def resource_accumulator_set_global_step(handle, new_global_step):
    handle.set_global_step(new_global_step)
    return ()


@register("AccumulatorSetGlobalStep", kind=HOST, effects=_USES_HANDLE, shape=_no_outputs)
def accumulator_set_global_step(handle, new_global_step):
    handle.set_global_step(new_global_step)
    return ()


@register(
    "ResourceAccumulatorTakeGradient",
    kind=HOST,
    effects=_USES_HANDLE,
    shape=lambda specs, attrs, static_values: [Spec(None, np.dtype(attrs["dtype"]))],
)
def resource_accumulator_take_gradient(handle, num_required, *, dtype, deadline=None):
    return handle.take(num_required, deadline)


@register(
    "SparseAccumulatorTakeGradient",
    kind=HOST,
    effects=_USES_HANDLE,
    shape=lambda specs, attrs, static_values: [
        Spec((None,), np.dtype(np.int64)),
        Spec(None, np.dtype(attrs["dtype"])),
        Spec((None,), np.dtype(np.int64)),
    ],
)
def sparse_accumulator_take_gradient(handle, num_required, *, dtype, deadline=None):
    return handle.take(num_required, deadline)


# -- epoch counting ---------------------------------------------------------------------------


# CountUpTo outputs the counter's old value, so it returns its output and then the ref's
# new value. A host kernel: reaching the limit must raise from Python.
@register(
    "CountUpTo",
    kind=HOST,
    effects=Effects(updates=("ref",)),
    shape=lambda specs, attrs, static_values: [Spec(specs[0].shape, specs[0].dtype)],
)
def count_up_to(ref, *, limit):
    ref = np.asarray(ref)
    if ref >= limit:
        raise OutOfRangeError(None, None, f"Reached limit of {limit}")
    return ref, ref + 1
