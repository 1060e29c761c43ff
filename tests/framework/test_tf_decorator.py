"""tf.compat.v1.flags.tf_decorator: make_decorator, unwrap, rewrap, TFDecorator."""

from __future__ import annotations

import inspect

import flowgraph as tf

dec = tf.flags.tf_decorator


def _target(a, b=2):
    """Adds."""
    return a + b


def _logged(fn, calls):
    def wrapper(*args, **kwargs):
        calls.append(args)
        return fn(*args, **kwargs)

    return dec.make_decorator(fn, wrapper, decorator_name="logged")


def test_make_decorator_keeps_the_target_look_and_unwraps():
    calls = []
    wrapped = _logged(_logged(_target, calls), calls)
    assert wrapped(1) == 3 and len(calls) == 2
    assert wrapped.__name__ == "_target" and wrapped.__doc__ == "Adds."
    assert str(inspect.signature(wrapped)) == "(a, b=2)"
    decorators, target = dec.unwrap(wrapped)
    assert target is _target and [d.decorator_name for d in decorators] == ["logged", "logged"]
    assert isinstance(decorators[0], dec.TFDecorator)
    assert dec.unwrap(_target) == ([], _target)


def test_rewrap_points_the_decorator_at_a_new_target():
    calls = []
    wrapped = _logged(_target, calls)

    def other(a, b=2):
        return a * b

    dec.rewrap(wrapped, _target, other)
    assert dec.unwrap(wrapped)[1] is other
    decorator = dec.unwrap(wrapped)[0][0]
    assert decorator(3) == 6  # the record calls the new target


def test_decorator_doc_and_argspec_override():
    spec = inspect.getfullargspec(lambda x, *rest, k=1: None)
    wrapped = dec.make_decorator(_target, lambda *a, **k: _target(*a, **k), "d", "New doc.", spec)
    assert wrapped.__doc__ == "New doc." and str(inspect.signature(wrapped)) == "(x, *rest, k=1)"
