"""`tf.estimator.RunConfig`: where and how an Estimator runs (directories, checkpointing,
summaries, seeds, and the cluster and task read from `TF_CONFIG`)."""

from __future__ import annotations

import copy
import json
import os

from tensorboard.compat.proto import config_pb2

from flowgraph.train.server_lib import ClusterSpec

_USE_DEFAULT = object()

_DEFAULT_REPLACEABLE_LIST = [
    "model_dir",
    "tf_random_seed",
    "save_summary_steps",
    "save_checkpoints_steps",
    "save_checkpoints_secs",
    "session_config",
    "keep_checkpoint_max",
    "keep_checkpoint_every_n_hours",
    "log_step_count_steps",
    "train_distribute",
    "device_fn",
    "protocol",
    "eval_distribute",
    "experimental_distribute",
    "experimental_max_worker_delay_secs",
    "session_creation_timeout_secs",
]

_SAVE_CKPT_ERR = "`save_checkpoints_steps` and `save_checkpoints_secs` cannot be both set."
_LOCAL_MASTER = ""
_GRPC_SCHEME = "grpc://"


class TaskType:
    """The task types of a cluster, as `TF_CONFIG` names them."""

    MASTER = "master"
    PS = "ps"
    WORKER = "worker"
    CHIEF = "chief"
    EVALUATOR = "evaluator"


class RunConfig:
    """This class specifies the configurations for an `Estimator` run.

    The cluster and this process's task come from the `TF_CONFIG` environment
    variable (JSON with `cluster`, `task`: `{type, index}`, optional `model_dir`,
    `session_master`); without one, the process is the only worker and the chief.

    Example:
      >>> config = tf.estimator.RunConfig(model_dir="/tmp/run", save_checkpoints_steps=100)
      >>> estimator = tf.estimator.Estimator(model_fn, config=config)

    Args:
      model_dir: directory where model parameters, graph, etc are saved.
      tf_random_seed: Random seed for TensorFlow initializers.
      save_summary_steps: Save summaries every this many steps.
      save_checkpoints_steps: Save checkpoints every this many steps. Can not be
        specified with `save_checkpoints_secs`.
      save_checkpoints_secs: Save checkpoints every this many seconds (default 600 when
        neither is given).
      session_config: a ConfigProto used to set session parameters, or None.
      keep_checkpoint_max: The maximum number of recent checkpoint files to keep.
      keep_checkpoint_every_n_hours: Number of hours between each checkpoint to be
        saved and kept.
      log_step_count_steps: The frequency, in number of global steps, that the global
        step and the loss will be logged during training.
      train_distribute: unsupported (must be None): a `DistributionStrategy`.
      device_fn: A callable invoked for every `Operation` that takes the `Operation`
        and returns the device string.
      protocol: An optional argument which specifies the protocol used when starting
        server ("grpc" or None).
      eval_distribute: unsupported (must be None).
      experimental_distribute: unsupported (must be None).
      experimental_max_worker_delay_secs: the maximum time a worker waits before
        starting.
      session_creation_timeout_secs: Max time workers should wait for a session.

    Raises:
      ValueError: If both `save_checkpoints_steps` and `save_checkpoints_secs` are set.
    """

    def __init__(
        self,
        model_dir=None,
        tf_random_seed=None,
        save_summary_steps=100,
        save_checkpoints_steps=_USE_DEFAULT,
        save_checkpoints_secs=_USE_DEFAULT,
        session_config=None,
        keep_checkpoint_max=5,
        keep_checkpoint_every_n_hours=10000,
        log_step_count_steps=100,
        train_distribute=None,
        device_fn=None,
        protocol=None,
        eval_distribute=None,
        experimental_distribute=None,
        experimental_max_worker_delay_secs=None,
        session_creation_timeout_secs=7200,
    ):
        steps, secs = _checkpoint_defaults(save_checkpoints_steps, save_checkpoints_secs)
        if train_distribute or eval_distribute or experimental_distribute:
            raise NotImplementedError(
                "flowgraph's RunConfig does not take distribution strategies; use a "
                "TF_CONFIG cluster (parameter servers) instead."
            )
        tf_config = json.loads(os.environ.get("TF_CONFIG", "{}"))
        RunConfig._replace(
            self,
            allowed_properties_list=_DEFAULT_REPLACEABLE_LIST,
            model_dir=_get_model_dir(tf_config, _path_to_str(model_dir)),
            tf_random_seed=tf_random_seed,
            save_summary_steps=save_summary_steps,
            save_checkpoints_steps=steps,
            save_checkpoints_secs=secs,
            session_config=session_config,
            keep_checkpoint_max=keep_checkpoint_max,
            keep_checkpoint_every_n_hours=keep_checkpoint_every_n_hours,
            log_step_count_steps=log_step_count_steps,
            train_distribute=None,
            device_fn=device_fn,
            protocol=protocol,
            eval_distribute=None,
            experimental_distribute=None,
            experimental_max_worker_delay_secs=experimental_max_worker_delay_secs,
            session_creation_timeout_secs=session_creation_timeout_secs,
        )
        self._init_distributed_setting_from_environment_var(tf_config)
        self._maybe_overwrite_session_config_for_distributed_training()

    def _maybe_overwrite_session_config_for_distributed_training(self):
        """Between-graph training's default session config (TF's): a task's sessions
        wait only for the ps tasks and the task itself (`device_filters`)."""
        if self._session_config is not None or not self._cluster_spec:
            return
        filters = {
            TaskType.MASTER: ["/job:ps", "/job:master"],
            TaskType.CHIEF: ["/job:ps", "/job:chief"],
            TaskType.WORKER: ["/job:ps", f"/job:worker/task:{self._task_id}"],
            TaskType.PS: ["/job:ps", "/job:worker", "/job:chief", "/job:master"],
        }.get(self._task_type)
        if filters is not None:
            self._session_config = config_pb2.ConfigProto(
                allow_soft_placement=True, device_filters=filters
            )

    def _init_distributed_setting_from_environment_var(self, tf_config):
        self._service = _validate_service(tf_config.get("service"))
        self._cluster_spec = ClusterSpec(tf_config.get("cluster", {}))
        task_env = tf_config.get("task", {})
        if self._cluster_spec and TaskType.MASTER in self._cluster_spec.jobs:
            self._init_with_master(tf_config, task_env)
        elif self._cluster_spec:
            self._init_with_chief(tf_config, task_env)
        else:
            self._init_local(tf_config, task_env)

    def _init_local(self, tf_config, task_env):
        self._task_type = task_env.get("type", TaskType.WORKER)
        self._task_id = int(task_env.get("index", 0))
        if self._task_type != TaskType.WORKER:
            raise ValueError('If "cluster" is not set in TF_CONFIG, task type must be WORKER.')
        if self._task_id != 0:
            raise ValueError('If "cluster" is not set in TF_CONFIG, task index must be 0.')
        self._global_id_in_cluster = 0
        self._master = tf_config.get("session_master", _LOCAL_MASTER)
        self._evaluation_master = tf_config.get("eval_session_master", _LOCAL_MASTER)
        self._is_chief = True
        self._num_ps_replicas = 0
        self._num_worker_replicas = 1

    def _init_with_chief(self, tf_config, task_env):
        cluster = self._cluster_spec
        self._task_type, self._task_id = _validate_task(cluster, task_env, TaskType.CHIEF)
        self._evaluation_master = _eval_session_master(self._task_type, tf_config)
        self._is_chief = self._task_type == TaskType.CHIEF
        if self._task_type == TaskType.EVALUATOR:
            self._cluster_spec = ClusterSpec({})
            self._master = _LOCAL_MASTER
            self._num_ps_replicas = self._num_worker_replicas = 0
            self._global_id_in_cluster = None
            return
        self._master = _session_master(cluster, self._task_type, self._task_id, tf_config)
        self._num_ps_replicas = len(cluster.as_dict().get(TaskType.PS, []))
        self._num_worker_replicas = _count_worker(cluster, TaskType.CHIEF)
        self._global_id_in_cluster = _global_id(
            cluster, self._task_type, self._task_id, TaskType.CHIEF
        )

    def _init_with_master(self, tf_config, task_env):
        cluster = self._cluster_spec
        if TaskType.CHIEF in cluster.jobs:
            raise ValueError("If `master` node exists in `cluster`, job `chief` is not supported.")
        self._task_type, self._task_id = _validate_task(cluster, task_env, TaskType.MASTER)
        if self._task_type == TaskType.EVALUATOR:
            raise ValueError(
                "If `master` node exists in `cluster`, task_type `evaluator` is not supported."
            )
        self._global_id_in_cluster = _global_id(
            cluster, self._task_type, self._task_id, TaskType.MASTER
        )
        self._master = _session_master(cluster, self._task_type, self._task_id, tf_config)
        self._evaluation_master = _eval_session_master(self._task_type, tf_config)
        self._num_ps_replicas = len(cluster.as_dict().get(TaskType.PS, []))
        self._num_worker_replicas = _count_worker(cluster, TaskType.MASTER)
        self._is_chief = self._task_type == TaskType.MASTER

    cluster_spec = property(lambda self: self._cluster_spec)
    device_fn = property(lambda self: self._device_fn)
    evaluation_master = property(lambda self: self._evaluation_master)
    is_chief = property(lambda self: self._is_chief)
    master = property(lambda self: self._master)
    num_ps_replicas = property(lambda self: self._num_ps_replicas)
    num_worker_replicas = property(lambda self: self._num_worker_replicas)
    task_id = property(lambda self: self._task_id)
    task_type = property(lambda self: self._task_type)
    global_id_in_cluster = property(lambda self: self._global_id_in_cluster)
    tf_random_seed = property(lambda self: self._tf_random_seed)
    save_summary_steps = property(lambda self: self._save_summary_steps)
    save_checkpoints_secs = property(lambda self: self._save_checkpoints_secs)
    save_checkpoints_steps = property(lambda self: self._save_checkpoints_steps)
    session_config = property(lambda self: self._session_config)
    keep_checkpoint_max = property(lambda self: self._keep_checkpoint_max)
    keep_checkpoint_every_n_hours = property(lambda self: self._keep_checkpoint_every_n_hours)
    log_step_count_steps = property(lambda self: self._log_step_count_steps)
    model_dir = property(lambda self: self._model_dir)
    service = property(lambda self: self._service)
    train_distribute = property(lambda self: self._train_distribute)
    eval_distribute = property(lambda self: self._eval_distribute)
    protocol = property(lambda self: self._protocol)
    session_creation_timeout_secs = property(lambda self: self._session_creation_timeout_secs)
    experimental_max_worker_delay_secs = property(
        lambda self: self._experimental_max_worker_delay_secs
    )

    def replace(self, **kwargs):
        """Returns a new instance of `RunConfig` replacing specified properties.

        Only `model_dir`, `tf_random_seed`, `save_summary_steps`,
        `save_checkpoints_steps`, `save_checkpoints_secs`, `session_config`,
        `keep_checkpoint_max`, `keep_checkpoint_every_n_hours`, `log_step_count_steps`,
        `train_distribute`, `device_fn`, `protocol`, `eval_distribute`,
        `experimental_distribute`, `experimental_max_worker_delay_secs` and
        `session_creation_timeout_secs` may be replaced.

        Raises:
          ValueError: If any property name in `kwargs` does not exist or is not allowed
            to be replaced, or both `save_checkpoints_steps` and
            `save_checkpoints_secs` are set.
        """
        return RunConfig._replace(
            copy.deepcopy(self), allowed_properties_list=_DEFAULT_REPLACEABLE_LIST, **kwargs
        )

    @staticmethod
    def _replace(config, allowed_properties_list=None, **kwargs):
        allowed_properties_list = allowed_properties_list or []
        for key, new_value in kwargs.items():
            if key not in allowed_properties_list:
                raise ValueError(
                    f"Replacing {key} is not supported. Allowed properties are "
                    f"{allowed_properties_list}."
                )
            setattr(config, "_" + key, new_value)
        _validate_save_ckpt_with_replaced_keys(config, kwargs.keys())
        _validate_properties(config)
        return config

    def __repr__(self):
        return f"RunConfig({ {k.lstrip('_'): v for k, v in sorted(vars(self).items())} })"


def _checkpoint_defaults(steps, secs):
    if steps is _USE_DEFAULT and secs is _USE_DEFAULT:
        return None, 600
    if secs is _USE_DEFAULT:
        return steps, None
    if steps is _USE_DEFAULT:
        return None, secs
    if steps is not None and secs is not None:
        raise ValueError(_SAVE_CKPT_ERR)
    return steps, secs


def _path_to_str(path):
    return os.fspath(path) if path is not None else None


def _get_model_dir(tf_config, model_dir):
    if model_dir == "":
        raise ValueError("model_dir should be non-empty.")
    in_tf_config = tf_config.get("model_dir")
    if in_tf_config == "":
        raise ValueError("model_dir in TF_CONFIG should be non-empty.")
    if in_tf_config and model_dir and in_tf_config != model_dir:
        raise ValueError(
            "`model_dir` provided in RunConfig construct, if set, must have the same value "
            f"as the model_dir in TF_CONFIG. model_dir: {model_dir}\n"
            f'TF_CONFIG["model_dir"]: {in_tf_config}.\n'
        )
    return model_dir or in_tf_config


def _validate_service(service):
    if service is not None and not isinstance(service, dict):
        raise TypeError(
            f'If "service" is set in TF_CONFIG, it must be a dict. Given {type(service)}'
        )
    return service


def _validate_task(cluster, task_env, chief_task_type):
    """The validated (task type, task index) of `task_env` in `cluster`."""
    if chief_task_type not in cluster.jobs:
        raise ValueError(
            f'If "cluster" is set in TF_CONFIG, it must have one "{chief_task_type}" node.'
        )
    if len(cluster.job_tasks(chief_task_type)) > 1:
        raise ValueError(f'The "cluster" in TF_CONFIG must have only one "{chief_task_type}" node.')
    task_type, task_id = task_env.get("type"), task_env.get("index")
    if not task_type:
        raise ValueError('If "cluster" is set in TF_CONFIG, task type must be set.')
    if task_id is None:
        raise ValueError('If "cluster" is set in TF_CONFIG, task index must be set.')
    task_id = int(task_id)
    if task_id < 0:
        raise ValueError("Task index must be non-negative number.")
    if task_type != TaskType.EVALUATOR:
        _check_task_in_cluster(cluster, task_type, task_id)
    return task_type, task_id


def _check_task_in_cluster(cluster, task_type, task_id):
    note = "Note that these values may be coming from the TF_CONFIG environment variable."
    if task_type not in cluster.jobs:
        raise ValueError(
            f"{task_type} is not a valid task_type in the cluster_spec:\n{cluster}\n\n{note}"
        )
    if not 0 <= task_id < len(cluster.job_tasks(task_type)):
        raise ValueError(
            f"{task_id} is not a valid task_id for task_type {task_type} in the "
            f"cluster_spec:\n{cluster}\n\n{note}"
        )


def _session_master(cluster, task_type, task_id, tf_config):
    if "session_master" in tf_config:
        return tf_config["session_master"]
    jobs = cluster.jobs
    if len(jobs) == 1 and len(cluster.job_tasks(jobs[0])) == 1:
        return _LOCAL_MASTER
    return _GRPC_SCHEME + cluster.job_tasks(task_type)[task_id]


def _eval_session_master(task_type, tf_config):
    if task_type == TaskType.EVALUATOR:
        return tf_config.get("eval_session_master", _LOCAL_MASTER)
    return _LOCAL_MASTER


def _count_worker(cluster, chief_task_type):
    jobs = cluster.as_dict()
    return len(jobs.get(TaskType.WORKER, [])) + len(jobs.get(chief_task_type, []))


def _global_id(cluster, task_type, task_id, chief_task_type):
    """The chief is 0; then other tasks by type (alphabetically) and index; `ps` last."""
    ordered = [chief_task_type]
    ordered += [t for t in sorted(cluster.jobs) if t not in (chief_task_type, TaskType.PS)]
    ordered += [TaskType.PS] if TaskType.PS in cluster.jobs else []
    next_id = 0
    for t in ordered:
        if t == task_type:
            return next_id + task_id
        next_id += len(cluster.job_tasks(t))
    raise RuntimeError(
        f"Internal Error: `task_type` ({task_type}) is not in cluster_spec ({cluster})."
    )


def _validate_save_ckpt_with_replaced_keys(config, replaced_keys):
    steps, secs = config.save_checkpoints_steps, config.save_checkpoints_secs
    if "save_checkpoints_steps" in replaced_keys and "save_checkpoints_secs" in replaced_keys:
        if steps is not None and secs is not None:
            raise ValueError(_SAVE_CKPT_ERR)
    elif "save_checkpoints_steps" in replaced_keys and steps is not None:
        config._save_checkpoints_secs = None
    elif "save_checkpoints_secs" in replaced_keys and secs is not None:
        config._save_checkpoints_steps = None


_PROPERTY_RULES = [
    ("model_dir", lambda d: d, "model_dir should be non-empty"),
    ("save_summary_steps", lambda s: s >= 0, "save_summary_steps should be >= 0"),
    ("save_checkpoints_steps", lambda s: s >= 0, "save_checkpoints_steps should be >= 0"),
    ("save_checkpoints_secs", lambda s: s >= 0, "save_checkpoints_secs should be >= 0"),
    (
        "session_config",
        lambda c: isinstance(c, config_pb2.ConfigProto),
        "session_config must be instance of ConfigProto",
    ),
    ("keep_checkpoint_max", lambda k: k >= 0, "keep_checkpoint_max should be >= 0"),
    (
        "keep_checkpoint_every_n_hours",
        lambda h: h > 0,
        "keep_checkpoint_every_n_hours should be > 0",
    ),
    ("log_step_count_steps", lambda n: n > 0, "log_step_count_steps should be > 0"),
    ("tf_random_seed", lambda s: isinstance(s, int), "tf_random_seed must be integer."),
    (
        "experimental_max_worker_delay_secs",
        lambda d: isinstance(d, int),
        "experimental_max_worker_delay_secs must be an integer if set.",
    ),
    (
        "session_creation_timeout_secs",
        lambda t: t > 0,
        "session_creation_timeout_secs should be > 0",
    ),
    ("device_fn", callable, 'device_fn must be callable with exactly one argument "op".'),
    (
        "protocol",
        lambda p: p in (None, "grpc", "grpc+verbs"),
        "protocol should be grpc or grpc+verbs",
    ),
]


def _validate_properties(config):
    for name, rule, message in _PROPERTY_RULES:
        value = getattr(config, "_" + name, None)
        if value is not None and not rule(value):
            raise ValueError(message)


def get_default_session_config():
    """The session config an Estimator uses when its RunConfig has none."""
    return config_pb2.ConfigProto(allow_soft_placement=True)
