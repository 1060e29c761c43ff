"""RandomShuffleQueue takes k elements with k draws of TF's kernel in one pass: the order one
dequeue per element gives (TF's: element `word % size` of the queue's Philox word stream
leaves, the last element fills its place). Queues of fully defined shapes keep elements as
rows of one array per component: the same elements come out, in the same order."""

import numpy as np

from kernels.data_flow import FIFOQueue, PaddingFIFOQueue, RandomShuffleQueue


def _tf_words(seed: int, seed2: int):
    """TF's SingleSampleAdapter<PhiloxRandom>(seed, seed2) words, one Philox4x32-10 block at
    a time in plain Python (philox_random.h), independent of the kernel's numpy blocks."""
    key, counter = (seed & 0xFFFFFFFF, seed >> 32 & 0xFFFFFFFF), seed2 << 64
    while True:
        c, (k0, k1) = [counter >> (32 * i) & 0xFFFFFFFF for i in range(4)], key
        for _ in range(10):
            p0, p1 = 0xD2511F53 * c[0], 0xCD9E8D57 * c[2]
            c = [p1 >> 32 ^ c[1] ^ k0, p1 & 0xFFFFFFFF, p0 >> 32 ^ c[3] ^ k1, p0 & 0xFFFFFFFF]
            k0, k1 = (k0 + 0x9E3779B9) & 0xFFFFFFFF, (k1 + 0xBB67AE85) & 0xFFFFFFFF
        yield from c
        counter += 1


def _draw(words, elements: list):
    """One TF dequeue from `elements`: the element taken."""
    i = next(words) % len(elements)
    elements[i], elements[-1] = elements[-1], elements[i]
    return elements.pop()


def _one_at_a_time(n: int, k: int, seed: int, seed2: int) -> list[int]:
    words, elements = _tf_words(seed, seed2), list(range(n))
    return [_draw(words, elements) for _ in range(k)]


def test_dequeue_many_keeps_the_one_at_a_time_order():
    queue = RandomShuffleQueue("q", [np.int64], [()], 1000, 10, 3, 4)
    for i in range(300):
        queue.enqueue(queue.elements([np.int64(i)], many=False))
    taken = [int(e[0]) for e in queue.dequeue(128)] + [int(e[0]) for e in queue.dequeue(100)]
    assert taken == _one_at_a_time(300, 228, 3, 4)


def test_dequeue_leaves_min_after_dequeue_until_closed():
    queue = RandomShuffleQueue("q", [np.int64], [()], 100, 5, 1, 2)
    queue.enqueue(queue.elements([np.arange(8)], many=True))
    first = [int(e[0]) for e in queue.dequeue(3)]
    assert queue.size() == 5
    queue.close(cancel_pending_enqueues=False)
    rest = [int(e[0]) for e in queue.dequeue(10, allow_smaller=True)]
    assert sorted(first + rest) == list(range(8)) and len(rest) == 5


def test_rows_grow_and_keep_fifo_order_and_values():
    queue = FIFOQueue("q", [np.float32, np.dtype(object)], [(2, 3), ()], -1)
    x = np.arange(200 * 6, dtype=np.float32).reshape(200, 2, 3)
    names = np.array([b"r%d" % i for i in range(200)], dtype=object)
    queue.enqueue(queue.elements([x[:150], names[:150]], many=True))  # grows 64 -> 256
    first = queue.dequeue(1)[0]
    queue.enqueue(queue.elements([x[150:], names[150:]], many=True))  # reuses freed rows
    xs, ns = queue.dequeue_batch(199)
    np.testing.assert_array_equal(first[0], x[0])
    assert first[1] == b"r0"
    np.testing.assert_array_equal(xs, x[1:])
    assert list(ns) == list(names[1:]) and queue.size() == 0


def test_an_element_handed_out_is_not_overwritten_by_later_enqueues():
    queue = FIFOQueue("q", [np.int64], [(4,)], 2)
    queue.enqueue(queue.elements([np.ones((2, 4), np.int64)], many=True))
    (a,), (b,) = queue.dequeue(2)
    queue.enqueue(queue.elements([np.full((2, 4), 7, np.int64)], many=True))
    batch = queue.dequeue_batch(2)[0]
    batch[:] = 0  # the batch is the caller's own copy too
    np.testing.assert_array_equal(np.stack([a, b]), np.ones((2, 4), np.int64))
    assert queue.size() == 0


def test_random_shuffle_rows_give_the_one_at_a_time_order_in_batches():
    queue = RandomShuffleQueue("q", [np.int64, np.float32], [(), (2,)], 1000, 10, 3, 4)
    values = np.arange(300)
    queue.enqueue(queue.elements([values, np.stack([values, -values], 1)], many=True))
    ids, pairs = queue.dequeue_batch(228)
    assert ids.tolist() == _one_at_a_time(300, 228, 3, 4)
    np.testing.assert_array_equal(pairs, np.stack([ids, -ids], 1).astype(np.float32))


def test_queues_of_unknown_shapes_keep_their_elements_as_given():
    queue = PaddingFIFOQueue("q", [np.int64], [(None,)], -1)
    queue.enqueue(queue.elements([np.arange(3)], many=False))
    queue.enqueue(queue.elements([np.arange(1)], many=False))
    np.testing.assert_array_equal(queue.dequeue_batch(2)[0], [[0, 1, 2], [0, 0, 0]])


def test_interleaved_enqueues_and_dequeues_keep_the_one_at_a_time_order():
    queue = RandomShuffleQueue("q", [np.int64], [()], -1, 0, 5, 6)
    words, elements, expected, taken, next_value = _tf_words(5, 6), [], [], [], 0
    for added, k in ((50, 7), (30, 40), (1, 1), (64, 33), (0, 64)):
        values = np.arange(next_value, next_value + added)
        next_value += added
        queue.enqueue(queue.elements([values], many=True))
        elements += values.tolist()
        taken += queue.dequeue_batch(k)[0].tolist()
        expected += [_draw(words, elements) for _ in range(k)]
    assert taken == expected and queue.size() == len(elements) == 0


def _reference_takes(fills_and_takes, seed, seed2) -> list[int]:
    """The elements a RandomShuffleQueue's takes hand out, one TF draw per element."""
    words, elements, out = _tf_words(seed, seed2), [], []
    for kind, value in fills_and_takes:
        if kind == "fill":
            elements += list(value)
            continue
        out += [_draw(words, elements) for _ in range(value)]
    return out


def test_take_drawn_ahead_by_the_filling_enqueue_keeps_the_order():
    # Filling the queue draws the next take ahead (as many as the last took); a take of
    # another count, or after the elements changed, puts the generator back first.
    queue = RandomShuffleQueue("q", [np.int64], [()], 12, 0, 5, 6)
    script, taken, next_id = [], [], 0

    def fill(n):
        nonlocal next_id
        ids = np.arange(next_id, next_id + n)
        next_id += n
        queue.enqueue(queue.elements([ids], many=True))
        script.append(("fill", ids.tolist()))

    def take(n):
        taken.extend(int(e[0]) for e in queue.dequeue(n))
        script.append(("take", n))

    fill(12)
    take(4)  # learns the count
    fill(4)  # full again: 4 drawn ahead
    assert queue._ahead is not None
    take(4)  # handed out as drawn
    fill(4)
    take(3)  # another count: drawn afresh
    fill(3)
    assert queue._ahead is not None
    queue.close(cancel_pending_enqueues=False)
    take(3)  # closed: the count and elements are the same, the draw ahead holds
    take(9)
    assert taken == _reference_takes(script, 5, 6)
    assert sorted(taken) == list(range(next_id))


def test_take_ahead_is_put_back_when_the_elements_change():
    queue = RandomShuffleQueue("q", [np.int64], [()], 6, 0, 1, 1)
    queue.enqueue(queue.elements([np.arange(6)], many=True))
    first = [int(e[0]) for e in queue.dequeue(2)]
    queue.enqueue(queue.elements([np.arange(6, 8)], many=True))  # full: 2 drawn ahead
    ahead = queue._ahead
    assert ahead is not None
    queue._restore(queue._take(0))  # an empty take: not the one drawn ahead
    rest = [int(e[0]) for e in queue.dequeue(6)]
    script = [("fill", range(6)), ("take", 2), ("fill", range(6, 8)), ("take", 0), ("take", 6)]
    assert first + rest == _reference_takes(script, 1, 1)


def test_dequeue_many_of_a_take_drawn_ahead_hands_out_its_rows():
    queue = RandomShuffleQueue("q", [np.int64, np.float32], [(), (2,)], 8, 2, 7, 8)
    script, ids_out, next_id = [], [], 0
    for n, k in [(8, 3), (3, 3), (3, 3), (3, 5), (5, 5), (5, 4)]:
        ids = np.arange(next_id, next_id + n)
        next_id += n
        queue.enqueue(queue.elements([ids, np.stack([ids, -ids], 1).astype(np.float32)], True))
        script.append(("fill", ids.tolist()))
        ids_k, pairs = queue.dequeue_batch(k)
        script.append(("take", k))
        np.testing.assert_array_equal(pairs, np.stack([ids_k, -ids_k], 1).astype(np.float32))
        ids_out += ids_k.tolist()
    assert ids_out == _reference_takes(script, 7, 8)
