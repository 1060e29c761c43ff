"""RandomShuffleQueue takes k elements with one draw of k indices: the order one draw per
element gave (the same generator stream)."""

import numpy as np

from kernels.data_flow import RandomShuffleQueue


def _one_at_a_time(n: int, k: int, seed: int, seed2: int) -> list[int]:
    rng, elements, taken = np.random.default_rng([seed, seed2]), list(range(n)), []
    for _ in range(k):
        i = int(rng.integers(len(elements)))
        elements[i], elements[-1] = elements[-1], elements[i]
        taken.append(elements.pop())
    return taken


def test_dequeue_many_keeps_the_one_at_a_time_order():
    queue = RandomShuffleQueue("q", [np.int64], [()], 1000, 10, 3, 4)
    queue.enqueue([(np.int64(i),) for i in range(300)])
    taken = [int(e[0]) for e in queue.dequeue(128)] + [int(e[0]) for e in queue.dequeue(100)]
    assert taken == _one_at_a_time(300, 228, 3, 4)


def test_dequeue_leaves_min_after_dequeue_until_closed():
    queue = RandomShuffleQueue("q", [np.int64], [()], 100, 5, 1, 2)
    queue.enqueue([(np.int64(i),) for i in range(8)])
    first = [int(e[0]) for e in queue.dequeue(3)]
    assert queue.size() == 5
    queue.close(cancel_pending_enqueues=False)
    rest = [int(e[0]) for e in queue.dequeue(10, allow_smaller=True)]
    assert sorted(first + rest) == list(range(8)) and len(rest) == 5
