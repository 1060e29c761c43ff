"""Server-side batching: concurrent runs of one signature are joined into one padded run.

As TF Serving's batching session: tasks queue per signature (and input shapes); a batch
thread takes the oldest queue once it holds `max_batch_size` rows or its oldest task has
waited `batch_timeout_micros`, concatenates the inputs along dimension 0, pads them to the
smallest of `allowed_batch_sizes` that fits (so at most that many shapes are compiled),
runs once and splits the outputs between the tasks.
"""

from __future__ import annotations

import threading
import time

import numpy as np
from google.protobuf import text_format

from flowgraph.serving import apis, status

# TF Serving's defaults (servables/tensorflow/bundle_factory_util.cc).
_DEFAULT_MAX_BATCH_SIZE = 1000
_DEFAULT_NUM_BATCH_THREADS = 4


def read_batching_parameters(path):
    """The `BatchingParameters` of the text-format file `path` (empty if `path` is None).

    Raises:
      ValueError: the file is not a valid `BatchingParameters` text proto, or its
        `allowed_batch_sizes` do not increase up to `max_batch_size`.
    """
    params = apis.BatchingParameters()
    if path:
        with open(path) as f:
            text_format.Parse(f.read(), params)
    validate(params)
    return params


def validate(params):
    """Raises ValueError unless `allowed_batch_sizes` increase and end at `max_batch_size`."""
    allowed = list(params.allowed_batch_sizes)
    if allowed and any(b <= a for a, b in zip(allowed, allowed[1:])):
        raise ValueError("allowed_batch_sizes entries must be monotonically increasing")
    if allowed and allowed[-1] != _max_batch_size(params):
        raise ValueError(
            f"The last entry in allowed_batch_sizes must match max_batch_size; last entry was "
            f"{allowed[-1]}; expected {_max_batch_size(params)}"
        )


def _max_batch_size(params):
    if params.HasField("max_batch_size"):
        return params.max_batch_size.value
    return _DEFAULT_MAX_BATCH_SIZE


class _Task:
    def __init__(self, feeds, size):
        self.feeds, self.size, self.enqueued = feeds, size, time.monotonic()
        self.done, self.outputs, self.error = threading.Event(), None, None


class BatchScheduler:
    """Batches calls of `run(signature_name, feeds, output_aliases)` per `params`.

    Args:
      params: a `BatchingParameters`.
      run: the function that runs one (batched) call.
    """

    def __init__(self, params, run):
        validate(params)
        self._run = run
        self._max = _max_batch_size(params)
        self._timeout = params.batch_timeout_micros.value / 1e6
        self._allowed = list(params.allowed_batch_sizes)
        self._queues, self._stopped = {}, False
        self._cond = threading.Condition()
        count = params.num_batch_threads.value or _DEFAULT_NUM_BATCH_THREADS
        self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(count)]
        for thread in self._threads:
            thread.start()

    def run(self, signature_name, feeds, output_aliases):
        """Runs one task in the next batch of its signature; returns its outputs.

        Raises:
          ServingError: INVALID_ARGUMENT for inputs of unequal dimension 0 or more rows than
            `max_batch_size`; the batch's error if its run failed.
        """
        size = self._task_size(feeds)
        task = _Task(feeds, size)
        shapes = tuple(
            (a, np.shape(v)[1:], np.asarray(v).dtype.str) for a, v in sorted(feeds.items())
        )
        key = (signature_name, output_aliases, shapes)
        with self._cond:
            self._queues.setdefault(key, []).append(task)
            self._cond.notify_all()
        task.done.wait()
        if task.error is not None:
            raise task.error
        return task.outputs

    def _task_size(self, feeds):
        sizes = {np.shape(v)[0] if np.ndim(v) else None for v in feeds.values()}
        if len(sizes) != 1 or None in sizes:
            raise status.invalid_argument(
                "Batching session Run() input tensors must have equal 0th-dimension size"
            )
        size = sizes.pop()
        if size > self._max:
            raise status.invalid_argument(
                f"Task size {size} is larger than maximum input batch size {self._max}"
            )
        return size

    def _work(self):
        while True:
            with self._cond:
                batch = self._next_batch()
            if batch is None:
                return
            self._process(*batch)

    def _next_batch(self):
        """(key, tasks) of the next batch, waiting for it to fill; None once stopped."""
        while True:
            queues = {k: q for k, q in self._queues.items() if q}
            if not queues:
                if self._stopped:
                    return None
                self._cond.wait()
                continue
            key = min(queues, key=lambda k: queues[k][0].enqueued)
            queue = queues[key]
            remaining = queue[0].enqueued + self._timeout - time.monotonic()
            if sum(t.size for t in queue) < self._max and remaining > 0 and not self._stopped:
                self._cond.wait(remaining)
                continue
            return key, self._take(queue)

    def _take(self, queue):
        tasks, rows = [], 0
        while queue and rows + queue[0].size <= self._max:
            rows += queue[0].size
            tasks.append(queue.pop(0))
        return tasks

    def _process(self, key, tasks):
        signature_name, output_aliases, _ = key
        rows = sum(t.size for t in tasks)
        padded = next((b for b in self._allowed if b >= rows), rows)
        feeds = {alias: _padded(np.concatenate([t.feeds[alias] for t in tasks]), padded)
                 for alias in tasks[0].feeds}  # fmt: skip
        try:
            outputs = self._run(signature_name, feeds, output_aliases)
            _check_batched(outputs, padded)
        except Exception as e:  # noqa: BLE001  (every waiting task must hear of it)
            e = e if isinstance(e, status.ServingError) else status.unknown(str(e))
            for task in tasks:
                task.error = e
                task.done.set()
            return
        start = 0
        for task in tasks:
            task.outputs = {a: v[start : start + task.size] for a, v in outputs.items()}
            start += task.size
            task.done.set()

    def stop(self):
        """Runs what is queued, then ends the batch threads."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join()


def _padded(array, size):
    # Padding rows repeat the first row (valid input for the model, unlike zeros may be).
    if len(array) == size:
        return array
    return np.concatenate([array, np.repeat(array[:1], size - len(array), axis=0)])


def _check_batched(outputs, padded):
    for alias, value in outputs.items():
        if np.ndim(value) == 0 or np.shape(value)[0] != padded:
            raise status.invalid_argument(
                f"Batched output tensor's 0th dimension does not equal the sum of the 0th "
                f"dimension sizes of the input tensors (output '{alias}')"
            )
