"""`flowgraph.distribute`: all-reduce data parallelism on `jax.distributed` (flowgraph's own).

TF1's answer to scale-out is the ps/worker cluster (`tf.train.Server`); this package is the
other way, for users without parameter servers: `enable_allreduce(cluster, task_index)` in
every worker process, and each `Optimizer.apply_gradients` averages its gradients over the
job before applying them (see `allreduce`).
"""

from flowgraph.distribute.allreduce import (  # noqa: F401  (the package's API)
    all_reduce_mean,
    allreduce_enabled,
    enable_allreduce,
)
