"""Model warmup: replays `assets.extra/tf_serving_warmup_requests` before a version serves."""

from __future__ import annotations

import logging
import os
import time

from flowgraph.python_io import tf_record_iterator
from flowgraph.serving import apis, inference, status

_LOG = logging.getLogger("flowgraph.serving")
# tensorflow_serving/servables/tensorflow/saved_model_warmup_util.cc: kMaxNumRecords.
MAX_NUM_RECORDS = 1000
_RUNNERS = {
    "predict_log": inference.predict,
    "classify_log": inference.classify,
    "regress_log": inference.regress,
    "multi_inference_log": inference.multi_inference,
}


def run(servable):
    """Runs each `PredictionLog`'s request of the servable's warmup file (if any) on it, so
    that the signatures are compiled before the first client's request.

    Raises:
      ServingError: a record is not a supported `PredictionLog`, there are too many, or a
        request fails.
    """
    path = servable.warmup_file()
    if not os.path.exists(path):
        return
    started, count = time.monotonic(), 0
    for record in tf_record_iterator(path):
        count += 1
        if count > MAX_NUM_RECORDS:
            raise status.invalid_argument(
                f"Number of warmup records exceeds the maximum ({MAX_NUM_RECORDS}) at {path}"
            )
        _replay(servable, apis.PredictionLog.FromString(record))
    _LOG.info(
        "Finished reading warmup data for model at %s. Number of warmup records read: %d. "
        "Elapsed time (microseconds): %d.",
        path, count, (time.monotonic() - started) * 1e6,
    )  # fmt: skip


def _replay(servable, log):
    kind = log.WhichOneof("log_type")
    if kind not in _RUNNERS:
        raise status.invalid_argument(f"Unsupported log_type for warmup: {kind}")
    _RUNNERS[kind](servable, getattr(log, kind).request)
