"""`tf.train`: optimizers, the global step, learning-rate schedules."""

# tf.train.Example and the other protos of tensorflow/core/example (issue 8).
from flowgraph.core.example.example_pb2 import (  # noqa: E402
    Example as Example,
    SequenceExample as SequenceExample,
)
from flowgraph.core.example.feature_pb2 import (  # noqa: E402
    BytesList as BytesList,
    Feature as Feature,
    FeatureList as FeatureList,
    FeatureLists as FeatureLists,
    Features as Features,
    FloatList as FloatList,
    Int64List as Int64List,
)
from flowgraph.framework.meta_graph import (  # noqa: E402  (MetaGraphs, issue 9)
    export_meta_graph as export_meta_graph,
    import_meta_graph as import_meta_graph,
    write_graph as write_graph,
)

# Queue runners, coordination and TF1 input pipelines (issue 8).
from flowgraph.train import queue_runner as queue_runner  # noqa: E402
from flowgraph.train.adadelta import AdadeltaOptimizer as AdadeltaOptimizer
from flowgraph.train.adagrad import AdagradOptimizer as AdagradOptimizer
from flowgraph.train.adagrad_da import AdagradDAOptimizer as AdagradDAOptimizer
from flowgraph.train.adam import AdamOptimizer as AdamOptimizer
from flowgraph.train.basic_session_run_hooks import (  # noqa: E402
    CheckpointSaverHook as CheckpointSaverHook,
    CheckpointSaverListener as CheckpointSaverListener,
    FeedFnHook as FeedFnHook,
    FinalOpsHook as FinalOpsHook,
    GlobalStepWaiterHook as GlobalStepWaiterHook,
    LoggingTensorHook as LoggingTensorHook,
    NanLossDuringTrainingError as NanLossDuringTrainingError,
    NanTensorHook as NanTensorHook,
    ProfilerHook as ProfilerHook,
    SecondOrStepTimer as SecondOrStepTimer,
    StepCounterHook as StepCounterHook,
    StopAtStepHook as StopAtStepHook,
    SummarySaverHook as SummarySaverHook,
)
from flowgraph.train.checkpoint_management import (  # noqa: E402  (checkpoints)
    checkpoint_exists as checkpoint_exists,
    generate_checkpoint_state_proto as generate_checkpoint_state_proto,
    get_checkpoint_mtimes as get_checkpoint_mtimes,
    get_checkpoint_state as get_checkpoint_state,
    latest_checkpoint as latest_checkpoint,
    remove_checkpoint as remove_checkpoint,
    update_checkpoint_state as update_checkpoint_state,
)
from flowgraph.train.checkpoint_utils import (  # noqa: E402
    NewCheckpointReader as NewCheckpointReader,
    init_from_checkpoint as init_from_checkpoint,
    list_variables as list_variables,
    load_checkpoint as load_checkpoint,
    load_variable as load_variable,
)
from flowgraph.train.coordinator import (  # noqa: E402
    Coordinator as Coordinator,
    LooperThread as LooperThread,
)
from flowgraph.train.device_setter import replica_device_setter as replica_device_setter  # noqa: E402
from flowgraph.train.ftrl import FtrlOptimizer as FtrlOptimizer
from flowgraph.train.gradient_descent import (
    GradientDescentOptimizer as GradientDescentOptimizer,
)
from flowgraph.train.input import (  # noqa: E402
    batch as batch,
    batch_join as batch_join,
    input_producer as input_producer,
    limit_epochs as limit_epochs,
    match_filenames_once as match_filenames_once,
    maybe_batch as maybe_batch,
    maybe_batch_join as maybe_batch_join,
    maybe_shuffle_batch as maybe_shuffle_batch,
    maybe_shuffle_batch_join as maybe_shuffle_batch_join,
    range_input_producer as range_input_producer,
    shuffle_batch as shuffle_batch,
    shuffle_batch_join as shuffle_batch_join,
    slice_input_producer as slice_input_producer,
    string_input_producer as string_input_producer,
)
from flowgraph.train.learning_rate_decay import (
    cosine_decay as cosine_decay,
    cosine_decay_restarts as cosine_decay_restarts,
    exponential_decay as exponential_decay,
    inverse_time_decay as inverse_time_decay,
    linear_cosine_decay as linear_cosine_decay,
    natural_exp_decay as natural_exp_decay,
    noisy_linear_cosine_decay as noisy_linear_cosine_decay,
    piecewise_constant as piecewise_constant,
    polynomial_decay as polynomial_decay,
)
from flowgraph.train.momentum import MomentumOptimizer as MomentumOptimizer
from flowgraph.train.monitored_session import (  # noqa: E402
    ChiefSessionCreator as ChiefSessionCreator,
    MonitoredSession as MonitoredSession,
    MonitoredTrainingSession as MonitoredTrainingSession,
    Scaffold as Scaffold,
    SessionCreator as SessionCreator,
    SingularMonitoredSession as SingularMonitoredSession,
    WorkerSessionCreator as WorkerSessionCreator,
)
from flowgraph.train.optimizer import Optimizer as Optimizer
from flowgraph.train.progress_bar_hook import ProgressBarHook as ProgressBarHook
from flowgraph.train.proximal_adagrad import (
    ProximalAdagradOptimizer as ProximalAdagradOptimizer,
)
from flowgraph.train.proximal_gradient_descent import (
    ProximalGradientDescentOptimizer as ProximalGradientDescentOptimizer,
)
from flowgraph.train.queue_runner import (  # noqa: E402
    QueueRunner as QueueRunner,
    QueueRunnerDef as QueueRunnerDef,
    add_queue_runner as add_queue_runner,
    start_queue_runners as start_queue_runners,
)
from flowgraph.train.rmsprop import RMSPropOptimizer as RMSPropOptimizer
from flowgraph.train.saver import Saver as Saver, SaverDef as SaverDef  # noqa: E402
from flowgraph.train.session_manager import SessionManager as SessionManager  # noqa: E402

# Training loops: hooks, MonitoredSession, SessionManager, Supervisor (issue 9).
from flowgraph.train.session_run_hook import (  # noqa: E402
    SessionRunArgs as SessionRunArgs,
    SessionRunContext as SessionRunContext,
    SessionRunHook as SessionRunHook,
    SessionRunValues as SessionRunValues,
)
from flowgraph.train.summary_iterator import summary_iterator as summary_iterator  # noqa: E402
from flowgraph.train.supervisor import Supervisor as Supervisor  # noqa: E402
from flowgraph.train.training_util import (
    assert_global_step as assert_global_step,
    create_global_step as create_global_step,
    get_global_step as get_global_step,
    get_or_create_global_step as get_or_create_global_step,
    global_step as global_step,
)
