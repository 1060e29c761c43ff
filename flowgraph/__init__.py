"""flowgraph: the TensorFlow 1.x programming model on JAX/XLA (`import flowgraph as tf`)."""

import jax as _jax

# TF has 64-bit types (int64 steps, float64 math); jax keeps them only with x64 enabled.
_jax.config.update("jax_enable_x64", True)

from device.spec import DeviceSpec as DeviceSpec
from flowgraph import (
    errors as errors,
    initializers as initializers,
    nn as nn,
    random as random,
    train as train,  # noqa: E402
)
from flowgraph.client.config import (
    ConfigProto as ConfigProto,
    GPUOptions as GPUOptions,
    GraphOptions as GraphOptions,
    OptimizerOptions as OptimizerOptions,
    RunMetadata as RunMetadata,
    RunOptions as RunOptions,
)
from flowgraph.client.session import (
    InteractiveSession as InteractiveSession,
    Session as Session,
    get_default_session as get_default_session,
)
from flowgraph.framework import dtypes as dtypes
from flowgraph.framework.dtypes import (
    DType as DType,
    as_dtype as as_dtype,
    bfloat16 as bfloat16,
    bool as bool,
    complex64 as complex64,
    complex128 as complex128,
    double as double,
    float16 as float16,
    float32 as float32,
    float64 as float64,
    half as half,
    int8 as int8,
    int16 as int16,
    int32 as int32,
    int64 as int64,
    qint8 as qint8,
    qint16 as qint16,
    qint32 as qint32,
    quint8 as quint8,
    quint16 as quint16,
    resource as resource,
    string as string,
    uint8 as uint8,
    uint16 as uint16,
    uint32 as uint32,
    uint64 as uint64,
    variant as variant,
)
from flowgraph.framework.indexed_slices import IndexedSlices as IndexedSlices
from flowgraph.framework.ops import (
    Graph as Graph,
    GraphKeys as GraphKeys,
    Operation as Operation,
    Tensor as Tensor,
    get_default_graph as get_default_graph,
    reset_default_graph as reset_default_graph,
)
from flowgraph.framework.random_seed import set_random_seed as set_random_seed
from flowgraph.framework.scopes import (
    add_to_collection as add_to_collection,
    add_to_collections as add_to_collections,
    control_dependencies as control_dependencies,
    device as device,
    get_collection as get_collection,
    get_collection_ref as get_collection_ref,
    name_scope as name_scope,
)
from flowgraph.framework.tensor_shape import (
    Dimension as Dimension,
    TensorShape as TensorShape,
)
from flowgraph.ops.array_ops import (  # noqa: E402
    boolean_mask as boolean_mask,
    concat as concat,
    expand_dims as expand_dims,
    fill as fill,
    gather as gather,
    identity as identity,
    identity_n as identity_n,
    newaxis as newaxis,
    ones as ones,
    ones_like as ones_like,
    placeholder as placeholder,
    placeholder_with_default as placeholder_with_default,
    range as range,
    rank as rank,
    reshape as reshape,
    shape as shape,
    size as size,
    squeeze as squeeze,
    stack as stack,
    stop_gradient as stop_gradient,
    strided_slice as strided_slice,
    transpose as transpose,
    where as where,
    zeros as zeros,
    zeros_like as zeros_like,
)
from flowgraph.ops.clip_ops import (  # noqa: E402
    clip_by_average_norm as clip_by_average_norm,
    clip_by_global_norm as clip_by_global_norm,
    clip_by_norm as clip_by_norm,
    clip_by_value as clip_by_value,
    global_norm as global_norm,
)
from flowgraph.ops.constant_op import (
    constant as constant,
    convert_to_tensor as convert_to_tensor,
    is_tensor as is_tensor,
    register_tensor_conversion_function as register_tensor_conversion_function,
)
from flowgraph.ops.control_flow_ops import (
    group as group,
    no_op as no_op,
    tuple as tuple,
)
from flowgraph.ops.gradients import (
    NoGradient as NoGradient,
    NotDifferentiable as NotDifferentiable,
    RegisterGradient as RegisterGradient,
    custom_gradient as custom_gradient,
    gradients as gradients,
    hessians as hessians,
    no_gradient as no_gradient,
)
from flowgraph.ops.init_ops import (
    constant_initializer as constant_initializer,
    glorot_normal_initializer as glorot_normal_initializer,
    glorot_uniform_initializer as glorot_uniform_initializer,
    ones_initializer as ones_initializer,
    orthogonal_initializer as orthogonal_initializer,
    random_normal_initializer as random_normal_initializer,
    random_uniform_initializer as random_uniform_initializer,
    truncated_normal_initializer as truncated_normal_initializer,
    uniform_unit_scaling_initializer as uniform_unit_scaling_initializer,
    variance_scaling_initializer as variance_scaling_initializer,
    zeros_initializer as zeros_initializer,
)
from flowgraph.ops.logging_ops import Print as Print
from flowgraph.ops.math_ops import (
    abs as abs,
    add as add,
    add_n as add_n,
    cast as cast,
    ceil as ceil,
    cos as cos,
    div as div,
    divide as divide,
    equal as equal,
    exp as exp,
    expm1 as expm1,
    floor as floor,
    floordiv as floordiv,
    floormod as floormod,
    greater as greater,
    greater_equal as greater_equal,
    less as less,
    less_equal as less_equal,
    log as log,
    log1p as log1p,
    logical_and as logical_and,
    logical_not as logical_not,
    logical_or as logical_or,
    logical_xor as logical_xor,
    matmul as matmul,
    maximum as maximum,
    minimum as minimum,
    mod as mod,
    multiply as multiply,
    negative as negative,
    not_equal as not_equal,
    pow as pow,
    realdiv as realdiv,
    reciprocal as reciprocal,
    reduce_all as reduce_all,
    reduce_any as reduce_any,
    reduce_max as reduce_max,
    reduce_mean as reduce_mean,
    reduce_min as reduce_min,
    reduce_prod as reduce_prod,
    reduce_sum as reduce_sum,
    rsqrt as rsqrt,
    sigmoid as sigmoid,
    sign as sign,
    sin as sin,
    sqrt as sqrt,
    square as square,
    squared_difference as squared_difference,
    subtract as subtract,
    tan as tan,
    tanh as tanh,
    to_float as to_float,
    to_int32 as to_int32,
    to_int64 as to_int64,
    truediv as truediv,
    unsorted_segment_sum as unsorted_segment_sum,
)
from flowgraph.ops.random_ops import (
    multinomial as multinomial,
    random_gamma as random_gamma,
    random_normal as random_normal,
    random_shuffle as random_shuffle,
    random_uniform as random_uniform,
    truncated_normal as truncated_normal,
)
from flowgraph.ops.state_ops import (  # noqa: E402
    assign as assign,
    assign_add as assign_add,
    assign_sub as assign_sub,
    scatter_add as scatter_add,
    scatter_sub as scatter_sub,
    scatter_update as scatter_update,
)
from flowgraph.ops.string_ops import (
    as_string as as_string,
    string_join as string_join,
)
from flowgraph.ops.variable_scope import (
    AUTO_REUSE as AUTO_REUSE,
    VariableScope as VariableScope,
    get_local_variable as get_local_variable,
    get_variable as get_variable,
    get_variable_scope as get_variable_scope,
    no_regularizer as no_regularizer,
    variable_scope as variable_scope,
)
from flowgraph.ops.variables import (
    Variable as Variable,
    all_variables as all_variables,
    assert_variables_initialized as assert_variables_initialized,
    global_variables as global_variables,
    global_variables_initializer as global_variables_initializer,
    initialize_all_variables as initialize_all_variables,
    initialize_local_variables as initialize_local_variables,
    is_variable_initialized as is_variable_initialized,
    local_variables as local_variables,
    local_variables_initializer as local_variables_initializer,
    model_variables as model_variables,
    moving_average_variables as moving_average_variables,
    report_uninitialized_variables as report_uninitialized_variables,
    trainable_variables as trainable_variables,
    variables_initializer as variables_initializer,
)
