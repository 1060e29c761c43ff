"""tf.data kernels: a compiled map before a batch runs once per batch; prefetching keeps
order and hands errors over in place."""

import threading
import time

import numpy as np
import pytest

from kernels import dataset
from kernels.errors import CancelledError, InvalidArgumentError


class _Spy(dataset.Function):
    calls: list = []

    def __call__(self, components):
        _Spy.calls.append(np.shape(components[0]))
        return super().__call__(components)

    def vectorized(self):
        out = super().vectorized()
        if out is not None:
            out.__class__ = _Spy
        return out


def test_map_then_batch_runs_the_compiled_function_once_per_batch():
    _Spy.calls = []
    fn = _Spy(lambda x: (x * 2 + 1,), (), host=False)
    source = dataset.TensorSlices([np.arange(10)])
    batches = list(dataset.Batch(dataset.Map(source, fn), 4, False).iterate())
    assert [b[0].tolist() for b in batches] == [[1, 3, 5, 7], [9, 11, 13, 15], [17, 19]]
    assert _Spy.calls == [(4,), (4,), (2,)]


def test_a_host_function_is_mapped_element_by_element():
    _Spy.calls = []
    fn = _Spy(lambda x: (np.asarray(x) * 2,), (), host=True)
    batches = list(
        dataset.Batch(dataset.Map(dataset.TensorSlices([np.arange(3)]), fn), 2, True).iterate()
    )
    assert [b[0].tolist() for b in batches] == [[0, 2]] and _Spy.calls == [(), (), ()]


def test_prefetch_keeps_order_and_raises_errors_in_place():
    def elements():
        yield (np.int64(1),)
        raise InvalidArgumentError(None, None, "bad element")

    prefetched = dataset._Prefetcher(elements(), 4)
    assert next(prefetched) == (1,)
    with pytest.raises(InvalidArgumentError, match="bad element"):
        next(prefetched)
    with pytest.raises(StopIteration):
        next(prefetched)


def test_prefetch_runs_at_most_its_buffer_ahead_and_hands_over_in_order():
    produced = []

    def elements():
        for i in range(20):
            produced.append(i)
            yield (np.int64(i),)

    prefetched = dataset._Prefetcher(elements(), 3)
    taken = []
    for _ in range(5):
        deadline = time.monotonic() + 10
        while len(produced) < min(20, len(taken) + 4) and time.monotonic() < deadline:
            time.sleep(0.001)  # the producer fills the buffer (+1 item in hand) ...
        time.sleep(0.02)
        assert len(produced) == len(taken) + 4  # ... and no further
        taken.append(int(next(prefetched)[0]))
    taken += [int(e[0]) for e in prefetched]
    assert taken == list(range(20))


def test_prefetch_close_ends_the_producer_and_a_waiting_take():
    def forever():
        while True:
            yield (np.int64(0),)

    prefetched = dataset._Prefetcher(forever(), 2)
    next(prefetched)
    prefetched.close()
    prefetched._thread.join(timeout=10)
    assert not prefetched._thread.is_alive()
    with pytest.raises(CancelledError):
        while True:  # the items made before the close, then the cancellation
            next(prefetched)


@pytest.mark.parametrize("size, n", [(1, 50), (7, 300), (64, 40)])
def test_exchange_hands_out_what_the_record_by_record_loop_does(size, n):
    rng = np.random.default_rng(size)
    buffer = dataset.records_array([b"b%d" % i for i in range(size)])
    records = dataset.records_array([b"r%d" % j for j in range(n)])
    slots = rng.integers(size, size=n)
    expected, loop_buffer = [], list(buffer)
    for j, slot in enumerate(slots):
        expected.append(loop_buffer[slot])
        loop_buffer[slot] = records[j]
    assert dataset._exchange(buffer, slots, records).tolist() == expected
    assert buffer.tolist() == loop_buffer


def _threads_of(fn_body, n, parallel=2):
    """(outputs, the thread each call ran on) of a parallel map of a host function."""
    threads = []

    def body(x):
        threads.append(threading.current_thread().name)
        return fn_body(x)

    fn = dataset.Function(body, (), host=True)
    source = dataset.TensorSlices([np.arange(n)])
    return [int(e[0]) for e in dataset.Map(source, fn, parallel).iterate()], threads


def test_a_cheap_host_function_s_parallel_map_runs_inline_after_its_probes():
    out, threads = _threads_of(lambda x: (np.asarray(x) * 3,), 40)
    assert out == [3 * i for i in range(40)]
    assert all(t.startswith("tf_data") for t in threads[: dataset._PROBES])
    main = threading.current_thread().name
    assert threads[-20:] == [main] * 20  # no hop to the pool and back


def _burn(seconds: float) -> None:
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        pass


def test_a_costly_host_function_stays_on_the_pool_and_a_costly_call_sends_it_back():
    out, threads = _threads_of(lambda x: (_burn(2.5 * dataset._INLINE_CPU_S), x)[1:], 8)
    assert out == list(range(8)) and all(t.startswith("tf_data") for t in threads)

    costly = dataset._PROBES + 8  # inline by then (pool calls under way drained first)
    n = costly + dataset._RECHECK + 8  # an inline call timed among the costly ones
    burn = 2.5 * dataset._INLINE_CPU_S
    out, threads = _threads_of(lambda x: (x < costly or _burn(burn), x)[1:], n)
    assert out == list(range(n))
    assert threads[costly - 1] == threading.current_thread().name
    assert all(t.startswith("tf_data") for t in threads[-4:])


def test_a_parallel_map_raises_errors_in_order_inline_or_not():
    def body(x):
        if int(x) in (2, 30):
            raise InvalidArgumentError(None, None, f"bad {int(x)}")
        return (np.asarray(x),)

    fn = dataset.Function(body, (), host=True)
    it = dataset.Map(dataset.TensorSlices([np.arange(34)]), fn, 2).iterate()
    got = []
    for _ in range(34):
        try:
            got.append(int(next(it)[0]))
        except InvalidArgumentError as e:
            got.append(e.message)
    assert got == [0, 1, "bad 2"] + list(range(3, 30)) + ["bad 30", 31, 32, 33]
    with pytest.raises(StopIteration):
        next(it)
