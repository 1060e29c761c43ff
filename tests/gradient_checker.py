"""Gradient checks: Jacobians from `tf.gradients` against central finite differences."""

from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

import flowgraph as tf

# Finite-difference steps and default tolerances by the least precise float dtype involved.
_DELTA = {8: 1e-6, 4: 1e-3, 2: 1e-2}
_TOLERANCE = {8: 1e-6, 4: 2e-3, 2: 5e-2}


def compute_gradient(xs, ys, x_values, session=None, delta=None, extra_feed_dict=None):
    """The theoretical and numerical Jacobians of `ys` with respect to each of `xs`.

    Like TF's `tf.test.compute_gradient`: the theoretical Jacobian comes from `tf.gradients`
    fed one-hot `grad_ys`, the numerical one from central differences, both run through
    `session` (one plan: every run fetches the same tensors with feeds of the same shapes).
    A complex number counts as two reals (TF's layout), so `d` of a real loss is
    `dL/dRe + 1j * dL/dIm`. Gradients that are None (unconnected, or through ops without a
    gradient) count as zeros; IndexedSlices are densified.

    Returns one `(theoretical, numerical)` pair per x, each of shape
    `(x real size, total real size of the float ys)`.
    """
    xs, ys = _as_list(xs), [y for y in _as_list(ys) if _is_float(y.dtype)]
    session = session or tf.get_default_session()
    values = [np.asarray(v, x.dtype.base_dtype.numpy_dtype) for x, v in zip(xs, x_values)]
    with ys[0].graph.as_default():
        grad_ys = [tf.placeholder(y.dtype, y.shape) for y in ys]
        grads = tf.gradients(ys, xs, grad_ys=grad_ys, unconnected_gradients="zero")
        grads = [tf.convert_to_tensor(g) for g in grads]

    def run(x_vals, cotangents):
        feed = {**(extra_feed_dict or {}), **dict(zip(xs, x_vals)),
                **dict(zip(grad_ys, cotangents))}
        return session.run([ys, grads], feed)

    zeros = [np.zeros_like(y) for y in _output_values(session, ys, xs, values, extra_feed_dict)]
    delta = delta or _DELTA[_precision(xs + ys)]
    return list(zip(_theoretical(run, values, zeros), _numerical(run, values, zeros, delta)))


def compute_gradient_error(xs, ys, x_values, session=None, delta=None,
                           extra_feed_dict=None) -> float:
    """The largest absolute difference between the theoretical and numerical Jacobians."""
    pairs = compute_gradient(xs, ys, x_values, session, delta, extra_feed_dict)
    return max(np.max(np.abs(t - n), initial=0.0) for t, n in pairs)


def gradient_error(fn: Callable, *values, delta=None) -> float:
    """Builds `fn` on placeholders shaped and typed like `values` (in a new graph and
    session) and returns `compute_gradient_error` of its outputs at `values`."""
    return _on_placeholders(fn, values, lambda xs, ys, s: compute_gradient_error(
        xs, ys, values, s, delta))


def check_gradients(fn: Callable, *values, atol=None, rtol=None, delta=None) -> None:
    """Asserts that the gradients of `fn` at `values` match finite differences.

    The default tolerances follow the least precise float dtype among inputs and outputs.
    """

    def check(xs, ys, session):
        precision = _precision(xs + [y for y in _as_list(ys) if _is_float(y.dtype)])
        tol_a = _TOLERANCE[precision] if atol is None else atol
        tol_r = _TOLERANCE[precision] if rtol is None else rtol
        pairs = compute_gradient(xs, ys, values, session, delta)
        for x, (theoretical, numerical) in zip(xs, pairs):
            _assert_close(x, theoretical, numerical, tol_a + tol_r * np.max(
                np.abs(numerical), initial=0.0))

    _on_placeholders(fn, values, check)


def _on_placeholders(fn: Callable, values, then: Callable):
    graph = tf.Graph()
    with graph.as_default():
        xs = [tf.placeholder(tf.as_dtype(np.asarray(v).dtype), np.shape(v)) for v in values]
        ys = fn(*xs)
    with tf.Session(graph=graph) as session:
        return then(xs, _as_list(ys), session)


def _assert_close(x, theoretical, numerical, tolerance) -> None:
    error = np.abs(theoretical - numerical)
    if np.max(error, initial=0.0) <= tolerance:
        return
    at = np.unravel_index(np.argmax(error), error.shape)
    raise AssertionError(
        f"gradient of {x.name} (shape {x.shape}): max abs error {error[at]:.3g} > "
        f"{tolerance:.3g} at Jacobian entry {at} (x component, y component): theoretical "
        f"{theoretical[at]:.6g}, numerical {numerical[at]:.6g}\n"
        f"theoretical:\n{np.round(theoretical, 6)}\nnumerical:\n{np.round(numerical, 6)}")


def _theoretical(run, values, zeros) -> list[np.ndarray]:
    """Column j: the gradients for grad_ys one-hot at the j-th real output component."""
    columns = [[_reals(g) for g in run(values, unit)[1]] for unit in _units(zeros)]
    sizes = [_reals(v).size for v in values]
    return [np.stack([c[i] for c in columns], axis=1) if columns else np.zeros((n, 0))
            for i, n in enumerate(sizes)]


def _numerical(run, values, zeros, delta) -> list[np.ndarray]:
    """Row r: the central difference of all float outputs along the r-th real x component."""
    out = []
    for i, x in enumerate(values):
        rows = []
        for (unit,) in _units([np.zeros_like(x)]):
            plus, minus = (x + delta * unit).astype(x.dtype), (x - delta * unit).astype(x.dtype)
            step = np.sum(_reals(plus) - _reals(minus))  # the step as rounded in x's dtype
            y_plus = _flat(run(values[:i] + [plus] + values[i + 1:], zeros)[0])
            y_minus = _flat(run(values[:i] + [minus] + values[i + 1:], zeros)[0])
            rows.append((y_plus - y_minus) / step)
        out.append(np.stack(rows) if rows else np.zeros((0, sum(z.size for z in zeros))))
    return out


def _units(templates: list[np.ndarray]) -> Iterator[list[np.ndarray]]:
    """Copies of `templates` (zeros) with one real component set to 1 (or 1j), in order."""
    for i, template in enumerate(templates):
        parts = (1, 1j) if np.iscomplexobj(template) else (1,)
        for j in range(template.size):
            for part in parts:
                unit = [np.zeros_like(t) for t in templates]
                unit[i].flat[j] = part
                yield unit


def _reals(a) -> np.ndarray:
    a = np.asarray(a)
    if np.iscomplexobj(a):
        return np.stack([a.real, a.imag], axis=-1).ravel().astype(np.float64)
    return a.ravel().astype(np.float64)


def _flat(arrays) -> np.ndarray:
    return np.concatenate([_reals(a) for a in arrays]) if arrays else np.zeros(0)


def _output_values(session, ys, xs, values, extra_feed_dict) -> list:
    if all(y.shape.is_fully_defined() for y in ys):
        return [np.zeros(y.shape.as_list(), y.dtype.base_dtype.numpy_dtype) for y in ys]
    return session.run(ys, {**(extra_feed_dict or {}), **dict(zip(xs, values))})


def _precision(tensors) -> int:
    """Bytes per real component of the least precise float dtype among `tensors`."""
    sizes = [np.dtype(t.dtype.base_dtype.numpy_dtype).itemsize for t in tensors]
    sizes = [s // 2 if t.dtype.base_dtype.is_complex else s for s, t in zip(sizes, tensors)]
    return min(sizes)


def _is_float(dtype) -> bool:
    return dtype.base_dtype.is_floating or dtype.base_dtype.is_complex


def _as_list(x) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]
