"""`tf.train`: optimizers, the global step, learning-rate schedules."""

from flowgraph.train.adadelta import AdadeltaOptimizer as AdadeltaOptimizer
from flowgraph.train.adagrad import AdagradOptimizer as AdagradOptimizer
from flowgraph.train.adagrad_da import AdagradDAOptimizer as AdagradDAOptimizer
from flowgraph.train.adam import AdamOptimizer as AdamOptimizer
from flowgraph.train.ftrl import FtrlOptimizer as FtrlOptimizer
from flowgraph.train.gradient_descent import (
    GradientDescentOptimizer as GradientDescentOptimizer,
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
from flowgraph.train.optimizer import Optimizer as Optimizer
from flowgraph.train.proximal_adagrad import (
    ProximalAdagradOptimizer as ProximalAdagradOptimizer,
)
from flowgraph.train.proximal_gradient_descent import (
    ProximalGradientDescentOptimizer as ProximalGradientDescentOptimizer,
)
from flowgraph.train.rmsprop import RMSPropOptimizer as RMSPropOptimizer
from flowgraph.train.training_util import (
    assert_global_step as assert_global_step,
    create_global_step as create_global_step,
    get_global_step as get_global_step,
    get_or_create_global_step as get_or_create_global_step,
    global_step as global_step,
)
