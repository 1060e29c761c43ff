"""One evaluation pass of an Estimator: restore a checkpoint, run the metric updates until
the input ends (or for `steps`), then read the metric values."""

from __future__ import annotations

from flowgraph import logging
from flowgraph.framework import dtypes
from flowgraph.framework.ops import GraphKeys, get_default_graph
from flowgraph.framework.scopes import control_dependencies
from flowgraph.ops import init_ops, state_ops, variable_scope
from flowgraph.train import basic_session_run_hooks, monitored_session
from flowgraph.train.session_run_hook import SessionRunArgs, SessionRunHook


def get_or_create_eval_step():
    """The local int64 variable counting evaluation steps (collection `EVAL_STEP`)."""
    graph = get_default_graph()
    existing = graph.get_collection(GraphKeys.EVAL_STEP)
    if existing:
        return existing[0]
    return variable_scope.get_variable(
        "eval_step",
        shape=[],
        dtype=dtypes.int64,
        initializer=init_ops.zeros_initializer(),
        trainable=False,
        collections=[GraphKeys.LOCAL_VARIABLES, GraphKeys.EVAL_STEP],
    )


class StopAfterNEvalsHook(SessionRunHook):
    """Requests a stop once the eval step reaches `num_evals`."""

    def __init__(self, num_evals, log_progress=True):
        self._num_evals = num_evals
        self._log_progress = log_progress
        self._evals_completed = None

    def set_evals_completed_tensor(self, updated_eval_step):
        """Reads the eval step as `evaluate_once`'s increment leaves it."""
        self._evals_completed = updated_eval_step

    def before_run(self, run_context):
        return SessionRunArgs({"evals_completed": self._evals_completed})

    def after_run(self, run_context, run_values):
        evals_completed = run_values.results["evals_completed"]
        if self._log_progress:
            logging.info("Evaluation [%d/%d]", evals_completed, self._num_evals)
        if evals_completed >= self._num_evals:
            run_context.request_stop()


def evaluate_once(checkpoint_path, master, scaffold, eval_ops, final_ops, hooks, config):
    """Runs `eval_ops` until the input ends or a hook stops it; returns `final_ops`'s values.

    The eval step is incremented with every run of `eval_ops`, for `StopAfterNEvalsHook`.
    """
    eval_step = get_or_create_eval_step()
    with control_dependencies([eval_ops] if eval_ops is not None else []):
        update_eval_step = state_ops.assign_add(eval_step, 1)
    for hook in hooks:
        if isinstance(hook, StopAfterNEvalsHook):
            hook.set_evals_completed_tensor(update_eval_step)
    final_hook = basic_session_run_hooks.FinalOpsHook(final_ops)
    creator = monitored_session.ChiefSessionCreator(
        scaffold=scaffold,
        checkpoint_filename_with_path=checkpoint_path,
        master=master,
        config=config,
    )
    logging.info("Starting evaluation")
    with monitored_session.MonitoredSession(creator, list(hooks) + [final_hook]) as session:
        while not session.should_stop():
            session.run(update_eval_step)
    logging.info("Finished evaluation")
    return final_hook.final_ops_values
