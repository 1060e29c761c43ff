"""Input threads hand the GIL back quickly: queue runners and tf.data's background stages
are Python threads, where TensorFlow's are C++ threads that never hold up the step.

A training step releases the GIL while its XLA executable runs; taking it back from a
busy input thread waits for Python's switch interval, 5 ms by default. With a producer
always busy, that wait was most of every step (8 ms against 0.2 ms fed). Once input
threads exist, the interval is at most `HANDOFF_S`: the step waits a tenth as long, and
the threads still run whole bytecode slices between switches.

Why runs were bimodal: every time the step takes the GIL back (after its XLA executable,
after each call that releases it) it waits up to one interval if an input thread is busy.
A pipeline that keeps up fills its buffer and sleeps, the step never waits, and it stays
fast; a pipeline that falls behind is busy through every step, each step pays those waits,
grows longer, and the pipeline stays busy: two stable states, and which one a run lands in
depends on how its first steps go. The cure is input that costs far less than the step
(batches read, parsed and cut in bulk: kernels/tfrecord.py, kernels/example_layout.py,
`record_chunks` in kernels/dataset.py), not a shorter interval: on a loaded machine a
thread that gives the GIL up more often also gives up its core, and 1e-4 or 3e-5 s made
the step wait longer than 5e-4 s did (benchmarks/input_pipeline.py, 2 cores, load ~20).

The queue pipeline's step waited most (59%) for another reason: shuffle_batch's dequeue
count was a constant made by an XLA segment of its own, whose value each step waited for
behind the previous step's work on the device; constants only host ops read are now made
on the host (`device/partition.py`), and its step is within noise of ready input.

What else was tried, on 2 cores with load 11-21, queue pipeline against itself in one
process (12-16 alternating pairs): an input thread giving the GIL up after every host op
(`time.sleep(0)`) made the step wait 27% against 15% (under load the yield gives up the
core too), and a 2e-3 s interval 13% against 9% (tf.data: 4.5% against 1.5%). What helped
was less input work per batch: ParseExample of 128 records 43-116 -> 26 us, a queue's
enqueue_many + dequeue_many of 128 145 -> 89-104 us, and a prefetch hand-over whose ready
batch is taken without a lock (kernels/dataset.py `_Prefetcher`).

On a machine loaded past its cores, the share of the step spent waiting is roughly the
input threads' CPU time over the step's: any CPU they take, the step's XLA threads do not
get. So the lever is CPU per record in the input path, counted in every thread (Python
calls per batch are a figure load does not disturb). Session 8 cut: constants and resource
handles of a host segment computed once (`device/lower.py` `_PlainRun`), a dataset
function run eagerly without a `jax.named_scope` per node and its constants computed once
(`device/interpret.py`), readers cutting records from lists (`kernels/readers.py`), and a
cheap host function's parallel map run inline (`kernels/dataset.py`
`_ParallelMapIterator`): per batch of 128, 635 -> 257 Python calls (queues), 312 -> 153
(tf.data).

Session 9, input threads' CPU per batch of 128 with no step (thread clocks, load ~6):
queue runner 210 -> 170 us, tf.data's prefetch thread 162 -> 118 us. A file of
equal-length records is cut as rows of one byte matrix (kernels/tfrecord.py: 382 -> 185
ns a record), TFRecordReader's keys are made per read (kernels/readers.py), ParseExample
goes to the same-layout reader first (kernels/parsing.py). The queue pipeline's step
dequeued from its RandomShuffleQueue on its own thread: the draw of 128 indices (numpy's
per-element bounds: ~10 us alone, 86 us beside the running step) and the gather cost the
step ~140 us; the enqueue that fills the queue now draws that take ahead (the same
generator stream: kernels/data_flow.py), and the step's dequeue is ~44 us. Tried and
dropped: cutting a file's records in runs of 256 (shorter GIL holds) cost ~80 ns a
record more; keys built with numpy string ops were slower than one bound `%` format.
"""

from __future__ import annotations

import sys

HANDOFF_S = 5e-4


def quick_handoff() -> None:
    """Lowers the interpreter's switch interval to `HANDOFF_S` (never raises it)."""
    if sys.getswitchinterval() > HANDOFF_S:
        sys.setswitchinterval(HANDOFF_S)
