"""`tf.test.compute_gradient`: Jacobians from `tf.gradients` against central differences."""

from __future__ import annotations

import numpy as np

from flowgraph.client.session import get_default_session
from flowgraph.ops import array_ops, gradients as gradients_lib


def compute_gradient(
    x, x_shape, y, y_shape, x_init_value=None, delta=1e-3, init_targets=None, extra_feed_dict=None
):
    """Computes and returns the theoretical and numerical Jacobian of `y` w.r.t. `x`.

    Runs in the default session. The theoretical Jacobian comes from `tf.gradients` fed
    one-hot `grad_ys`, the numerical one from central differences of step `delta`. A
    complex number counts as two reals (its real part, then its imaginary part).

    Args:
      x: a tensor or list of tensors.
      x_shape: the dimensions of x as a tuple or an array of ints (a list if x is a list).
      y: a tensor.
      y_shape: the dimensions of y as a tuple or an array of ints.
      x_init_value: (optional) a numpy array (list if x is a list) of x's value; random
        values in [0, 1) by default.
      delta: (optional) the amount of perturbation.
      init_targets: (optional) targets to run to initialize the model.
      extra_feed_dict: (optional) a dict of extra feeds.

    Returns:
      `(jacobian_theoretical, jacobian_numerical)`, each of shape
      `(x real size, y real size)`; a list of such pairs if x is a list.

    Example:
      >>> x = tf.constant([1.0, 2.0]); y = x * x
      >>> with tf.Session():
      ...     t, n = tf.test.compute_gradient(x, [2], y, [2])   # both ~[[2, 0], [0, 4]]
    """
    session = get_default_session()
    if session is None:
        raise ValueError("compute_gradient needs a default session (use `with sess.as_default()`)")
    if init_targets is not None:
        session.run(init_targets)
    xs, shapes = (x, x_shape) if isinstance(x, (list, tuple)) else ([x], [x_shape])
    inits = x_init_value if isinstance(x, (list, tuple)) else [x_init_value]
    values = [_initial(t, s, v) for t, s, v in zip(xs, shapes, inits or [None] * len(xs))]
    with y.graph.as_default():
        grad_y = array_ops.placeholder(y.dtype.base_dtype, y_shape)
        grads = gradients_lib.gradients(y, xs, grad_ys=grad_y, unconnected_gradients="zero")

    def run(fetch, x_values, cotangent=None):
        feed = {**(extra_feed_dict or {}), **dict(zip(xs, x_values))}
        return session.run(fetch, feed if cotangent is None else {**feed, grad_y: cotangent})

    zero_y = np.zeros(y_shape, y.dtype.base_dtype.numpy_dtype)
    pairs = list(zip(_theoretical(run, grads, values, zero_y), _numerical(run, y, values, delta)))
    return pairs if isinstance(x, (list, tuple)) else pairs[0]


def compute_gradient_error(
    x, x_shape, y, y_shape, x_init_value=None, delta=1e-3, init_targets=None, extra_feed_dict=None
):
    """The maximum absolute difference between the theoretical and numerical Jacobians.

    Same arguments as `compute_gradient`; with a list of x, the maximum over all of them.
    """
    pairs = compute_gradient(
        x, x_shape, y, y_shape, x_init_value, delta, init_targets, extra_feed_dict
    )
    pairs = pairs if isinstance(x, (list, tuple)) else [pairs]
    return max(float(np.max(np.abs(t - n), initial=0.0)) for t, n in pairs)


def _initial(x, shape, value):
    dtype = x.dtype.base_dtype.numpy_dtype
    if value is not None:
        return np.asarray(value, dtype)
    return np.random.random_sample(shape).astype(dtype)


def _theoretical(run, grads, values, zero_y):
    """Column j: the gradients for `grad_ys` one-hot at y's j-th real component."""
    columns = [[_reals(g) for g in run(grads, values, unit)] for unit in _units(zero_y)]
    sizes = [_reals(v).size for v in values]
    if not columns:
        return [np.zeros((n, 0)) for n in sizes]
    return [np.stack([column[i] for column in columns], axis=1) for i in range(len(sizes))]


def _numerical(run, y, values, delta):
    """Row r: the central difference of y along x's r-th real component."""
    jacobians = []
    for i, x in enumerate(values):
        rows = []
        for unit in _units(np.zeros_like(x)):
            plus, minus = (x + delta * unit).astype(x.dtype), (x - delta * unit).astype(x.dtype)
            y_plus = run(y, values[:i] + [plus] + values[i + 1 :])
            y_minus = run(y, values[:i] + [minus] + values[i + 1 :])
            rows.append((_reals(y_plus) - _reals(y_minus)) / (2 * delta))
        jacobians.append(np.stack(rows) if rows else np.zeros((0, 0)))
    return jacobians


def _units(template):
    """Copies of the zeros `template` with one real component set to 1 (or 1j), in order."""
    for j in range(template.size):
        for part in (1, 1j) if np.iscomplexobj(template) else (1,):
            unit = np.zeros_like(template)
            unit.flat[j] = part
            yield unit


def _reals(a):
    a = np.asarray(a)
    if np.iscomplexobj(a):
        return np.stack([a.real, a.imag], axis=-1).ravel().astype(np.float64)
    return a.ravel().astype(np.float64)
