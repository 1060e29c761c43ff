"""TF's names for the resources that queues, accumulators, readers and iterators make."""

from __future__ import annotations

import itertools

# One count for the whole process, as TF's `ResourceMgr::GenerateUniqueId`: every unshared
# resource of these kinds takes the next id when a session first makes it.
_ids = itertools.count()


def resource_name(key: str, shared_name: str, container: str) -> str:
    """The name TF gives a resource in its messages: its `shared_name`, or else
    `_<id>_<op name>` (e.g. "FIFOQueue '_0_fifo_queue' is closed ...").

    `key` is the store's `container/name` for it (`device.store.resource_name`)."""
    if shared_name:
        return shared_name
    op_name = key[len(container) + 1 :] if container else key
    return f"_{next(_ids)}_{op_name}"
