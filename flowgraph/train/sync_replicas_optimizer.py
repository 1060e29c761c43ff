"""`tf.train.SyncReplicasOptimizer`: synchronous data-parallel training through accumulators.

Each worker adds its gradients to one `ConditionalAccumulator` per variable (shared by
`shared_name`, so every worker's graph reaches the same one) and then waits for a token
from the `sync_token_q` queue. The chief's queue runner takes the average of
`replicas_to_aggregate` gradients from every accumulator, applies it with the wrapped
optimizer (incrementing the global step), and puts one token per worker, holding the new
global step, into the queue. A worker's `local_step` is the token it got last: gradients
computed from an older step than the accumulator's are stale and dropped, which is what
lets `total_num_replicas > replicas_to_aggregate` workers act as backups.
"""

from __future__ import annotations

from flowgraph import logging
from flowgraph.framework import dtypes
from flowgraph.framework.indexed_slices import IndexedSlices
from flowgraph.framework.ops import GraphKeys, Tensor
from flowgraph.framework.scopes import colocate_with, control_dependencies, device, name_scope
from flowgraph.ops import array_ops, control_flow_ops, data_flow_ops, state_ops
from flowgraph.ops.variables import Variable, global_variables, report_uninitialized_variables
from flowgraph.train import optimizer, queue_runner, session_manager, session_run_hook


class SyncReplicasOptimizer(optimizer.Optimizer):
    """Class to synchronize, aggregate gradients and pass them to the optimizer.

    In a typical asynchronous training environment, it's common to have some stale
    gradients. This optimizer avoids stale gradients by collecting gradients from all
    replicas, averaging them, then applying them to the variables in one shot, after
    which replicas can fetch the new variables and continue.

    Example:
      >>> opt = tf.train.SyncReplicasOptimizer(tf.train.GradientDescentOptimizer(0.1),
      ...                                      replicas_to_aggregate=50,
      ...                                      total_num_replicas=50)
      >>> train_op = opt.minimize(total_loss, global_step=global_step)
      >>> sync_replicas_hook = opt.make_session_run_hook(is_chief)

    Args:
      opt: the actual optimizer that will be used to compute and apply the gradients.
      replicas_to_aggregate: number of replicas to aggregate for each variable update.
      total_num_replicas: total number of tasks/workers/replicas, could be different from
        replicas_to_aggregate (more: backup workers; fewer: a replica runs several steps).
      variable_averages: optional `ExponentialMovingAverage` applied after each update.
      variables_to_average: the variables `variable_averages` averages.
      use_locking: if True use locks for update operations.
      name: string. Optional name of the returned operation.
    """

    def __init__(
        self,
        opt,
        replicas_to_aggregate,
        total_num_replicas=None,
        variable_averages=None,
        variables_to_average=None,
        use_locking=False,
        name="sync_replicas",
    ):
        if total_num_replicas is None:
            total_num_replicas = replicas_to_aggregate
        super().__init__(use_locking, name)
        logging.info(
            "SyncReplicasV2: replicas_to_aggregate=%s; total_num_replicas=%s",
            replicas_to_aggregate,
            total_num_replicas,
        )
        self._opt = opt
        self._replicas_to_aggregate = replicas_to_aggregate
        self._total_num_replicas = total_num_replicas
        self._tokens_per_step = max(total_num_replicas, replicas_to_aggregate)
        self._variable_averages = variable_averages
        self._variables_to_average = variables_to_average
        self._gradients_applied = False
        self._global_step = None
        self._sync_token_queue = None
        self._chief_queue_runner = None
        self._accumulator_list = []

    def compute_gradients(self, *args, **kwargs):
        """Computes the gradients with the wrapped optimizer (see `Optimizer`)."""
        return self._opt.compute_gradients(*args, **kwargs)

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """Adds `grads_and_vars` to the accumulators and waits for the next token.

        Also builds the chief's ops: the aggregated update, the token refill, its queue
        runner (`get_chief_queue_runner()`) and `chief_init_op`.

        Args:
          grads_and_vars: list of (gradient, variable) pairs as returned by
            compute_gradients().
          global_step: the global step `Variable`; required to detect stale gradients.
          name: unused, kept for the `Optimizer` signature.

        Returns:
          train_op: the op a worker runs each step; it returns once the worker got a token.

        Raises:
          ValueError: if grads_and_vars is empty or global_step is None.
        """
        del name
        grads_and_vars = list(grads_and_vars)
        if not grads_and_vars:
            raise ValueError("Must supply at least one variable")
        if global_step is None:
            raise ValueError("Global step is required to check staleness")
        self._global_step = global_step
        self._make_local_step(global_step)
        with name_scope(None, self._name):
            train_ops, aggregated = self._accumulate(grads_and_vars)
            train_op = self._make_sync_ops(global_step, train_ops, aggregated)
            self._make_chief_init_op(global_step)
        self._gradients_applied = True
        return train_op

    def _make_local_step(self, global_step) -> None:
        """The worker's `sync_rep_local_step` (a local variable) and its init from the step."""
        # Colocated with an op of the worker's own device scope, not a ps's (device setters
        # place variables on the ps).
        with colocate_with(control_flow_ops.no_op()):
            self._local_step = Variable(
                initial_value=0,
                trainable=False,
                collections=[GraphKeys.LOCAL_VARIABLES],
                dtype=global_step.dtype.base_dtype,
                name="sync_rep_local_step",
            )
        self.local_step_init_op = state_ops.assign(self._local_step, global_step)
        self.ready_for_local_init_op = report_uninitialized_variables(global_variables())

    def _accumulate(self, grads_and_vars) -> tuple[list, list]:
        """One accumulator per variable: its apply op and its (grad, var) of the average."""
        train_ops, aggregated = [], []
        for grad, var in grads_and_vars:
            with device(var.device):
                if grad is None:
                    aggregated.append((None, var))
                    continue
                accum, apply_op, take = self._accumulator(grad, var)
                train_ops.append(apply_op)
                aggregated.append((take, var))
                self._accumulator_list.append((accum, var.device))
        return train_ops, aggregated

    def _accumulator(self, grad, var):
        """The accumulator for `var`'s gradients, the op adding `grad`, and the average."""
        shared_name = var.name + "/grad_accum"
        if isinstance(grad, Tensor):
            accum = data_flow_ops.ConditionalAccumulator(
                grad.dtype, shape=var.get_shape(), shared_name=shared_name
            )
            apply_op = accum.apply_grad(grad, local_step=self._local_step)
            return accum, apply_op, accum.take_grad(self._replicas_to_aggregate)
        if not isinstance(grad, IndexedSlices):
            raise ValueError("Unknown grad type!")
        accum = data_flow_ops.SparseConditionalAccumulator(
            grad.dtype, shape=(), shared_name=shared_name
        )
        apply_op = accum.apply_indexed_slices_grad(grad, local_step=self._local_step)
        return accum, apply_op, accum.take_indexed_slices_grad(self._replicas_to_aggregate)

    def _make_sync_ops(self, global_step, train_ops, aggregated):
        """The token queue, the worker's wait for a token, and the chief's update + refill."""
        with device(global_step.device), name_scope(""):
            update_op = self._opt.apply_gradients(aggregated, global_step)
            self._sync_token_queue = data_flow_ops.FIFOQueue(
                -1,
                global_step.dtype.base_dtype,
                shapes=(),
                name="sync_token_q",
                shared_name="sync_token_q",
            )
            # The chief's runner loops over a dummy queue of its own: a runner closes its
            # queue when it stops, and the token queue must stay open for a restarted chief.
            dummy_queue = data_flow_ops.FIFOQueue(
                1, dtypes.int32, shapes=(), name="dummy_queue", shared_name="dummy_queue"
            )
            with control_dependencies(train_ops):
                token = self._sync_token_queue.dequeue()
            train_op = state_ops.assign(self._local_step, token)
            sync_op = self._refill_tokens(global_step, update_op)
            self._chief_queue_runner = queue_runner.QueueRunner(dummy_queue, [sync_op])
        return train_op

    def _refill_tokens(self, global_step, update_op):
        """After `update_op`, one token per worker holding the new global step."""
        with control_dependencies([update_op]):
            tokens = array_ops.fill([self._tokens_per_step], global_step)
            sync_op = self._sync_token_queue.enqueue_many((tokens,))
        if self._variable_averages is None:
            return sync_op
        with control_dependencies([sync_op]), name_scope(""):
            return self._variable_averages.apply(self._variables_to_average)

    def _make_chief_init_op(self, global_step) -> None:
        """`chief_init_op`: the local step and every accumulator's step set from global_step."""
        chief_init_ops = [self.local_step_init_op]
        for accum, dev in self._accumulator_list:
            with device(dev):
                chief_init_ops.append(accum.set_global_step(global_step, name="SetGlobalStep"))
        self.chief_init_op = control_flow_ops.group(*chief_init_ops)

    def get_chief_queue_runner(self):
        """Returns the QueueRunner for the chief to execute.

        Raises:
          ValueError: if this is called before apply_gradients().
        """
        if not self._gradients_applied:
            raise ValueError("Should be called after apply_gradients().")
        return self._chief_queue_runner

    def get_slot(self, *args, **kwargs):
        """Returns a slot named "name" for "var" from the wrapped optimizer."""
        return self._opt.get_slot(*args, **kwargs)

    def variables(self):
        """Fetches a list of optimizer variables in the default graph (the wrapped ones)."""
        return self._opt.variables()

    def get_slot_names(self, *args, **kwargs):
        """Returns the names of the wrapped optimizer's slots."""
        return self._opt.get_slot_names(*args, **kwargs)

    def get_init_tokens_op(self, num_tokens=-1):
        """Returns the op to fill the sync_token_queue with the tokens.

        Args:
          num_tokens: number of tokens to add to the queue; -1 means replicas_to_aggregate.

        Returns:
          An op for the chief/sync replica to fill the token queue.

        Raises:
          ValueError: if this is called before apply_gradients(), or if num_tokens is
            smaller than replicas_to_aggregate - total_num_replicas.
        """
        if not self._gradients_applied:
            raise ValueError("get_init_tokens_op() should be called after apply_gradients().")
        tokens_needed = self._replicas_to_aggregate - self._total_num_replicas
        if num_tokens == -1:
            num_tokens = self._replicas_to_aggregate
        elif num_tokens < tokens_needed:
            raise ValueError(
                "Too few tokens to finish the first step: %d (given) vs %d (needed)"
                % (num_tokens, tokens_needed)
            )
        if num_tokens <= 0:
            return control_flow_ops.no_op(name="no_init_tokens")
        with device(self._global_step.device), name_scope(""):
            tokens = array_ops.fill([num_tokens], self._global_step)
            return self._sync_token_queue.enqueue_many((tokens,))

    def make_session_run_hook(self, is_chief, num_tokens=-1):
        """Creates a hook to handle SyncReplicasHook ops such as initialization."""
        return _SyncReplicasOptimizerHook(self, is_chief, num_tokens)


class _SyncReplicasOptimizerHook(session_run_hook.SessionRunHook):
    """Runs the local (or chief) init, the init tokens and the chief's queue runner."""

    def __init__(self, sync_optimizer, is_chief, num_tokens):
        self._sync_optimizer = sync_optimizer
        self._is_chief = is_chief
        self._num_tokens = num_tokens

    def begin(self):
        opt = self._sync_optimizer
        if not opt._gradients_applied:
            raise ValueError(
                "SyncReplicasOptimizer.apply_gradient should be called before using the hook."
            )
        self._ready_for_local_init_op = opt.ready_for_local_init_op
        if self._is_chief:
            self._local_init_op = opt.chief_init_op
            self._q_runner = opt.get_chief_queue_runner()
            self._init_tokens_op = opt.get_init_tokens_op(self._num_tokens)
        else:
            self._local_init_op = opt.local_step_init_op
            self._q_runner = None
            self._init_tokens_op = None

    def after_create_session(self, session, coord):
        """Runs SyncReplicasOptimizer initialization ops."""
        ready, msg = session_manager._ready(
            self._ready_for_local_init_op,
            session,
            "Model is not ready for SyncReplicasOptimizer local init.",
        )
        if not ready:
            raise RuntimeError(
                "Init operations did not make model ready for SyncReplicasOptimizer "
                "local_init. Init op: %s, error: %s" % (self._local_init_op.name, msg)
            )
        session.run(self._local_init_op)
        if self._init_tokens_op is not None:
            session.run(self._init_tokens_op)
        if self._q_runner is not None:
            self._q_runner.create_threads(session, coord=coord, daemon=True, start=True)
