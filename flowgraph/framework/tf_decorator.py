"""`tf.compat.v1.flags.tf_decorator`: decorators that keep their target's name, docstring and
signature, and can be unwrapped (`unwrap`) or re-pointed (`rewrap`), as TF's are."""

from __future__ import annotations

import inspect


class TFDecorator:
    """The record a decorator made by `make_decorator` keeps of its target."""

    def __init__(self, decorator_name, target, decorator_doc="", decorator_argspec=None):
        self._decorated_target = target
        self._decorator_name = decorator_name
        self._decorator_doc = decorator_doc
        self._decorator_argspec = decorator_argspec
        for attr in ("__name__", "__qualname__"):
            if hasattr(target, attr):
                setattr(self, attr, getattr(target, attr))
        self.__doc__ = decorator_doc or getattr(target, "__doc__", None) or ""

    def __get__(self, instance, owner):
        return self._decorated_target.__get__(instance, owner)

    def __call__(self, *args, **kwargs):
        return self._decorated_target(*args, **kwargs)

    @property
    def decorated_target(self):
        return self._decorated_target

    @decorated_target.setter
    def decorated_target(self, target):
        self._decorated_target = target

    decorator_name = property(lambda self: self._decorator_name)
    decorator_doc = property(lambda self: self._decorator_doc)
    decorator_argspec = property(lambda self: self._decorator_argspec)


def _signature_of(target, argspec):
    if argspec is not None:
        return fullargspec_to_signature(argspec)
    try:
        return inspect.signature(target)
    except (TypeError, ValueError):
        return None


def fullargspec_to_signature(fullargspec):
    """The `inspect.Signature` an `inspect.FullArgSpec` describes."""
    defaults = dict(zip(fullargspec.args[::-1], (fullargspec.defaults or ())[::-1]))
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = [
        inspect.Parameter(a, kind, default=defaults.get(a, inspect.Parameter.empty))
        for a in fullargspec.args
    ]
    if fullargspec.varargs:
        params.append(inspect.Parameter(fullargspec.varargs, inspect.Parameter.VAR_POSITIONAL))
    kw_defaults = fullargspec.kwonlydefaults or {}
    params += [
        inspect.Parameter(
            a, inspect.Parameter.KEYWORD_ONLY, default=kw_defaults.get(a, inspect.Parameter.empty)
        )
        for a in fullargspec.kwonlyargs
    ]
    if fullargspec.varkw:
        params.append(inspect.Parameter(fullargspec.varkw, inspect.Parameter.VAR_KEYWORD))
    return inspect.Signature(params)


def make_decorator(
    target, decorator_func, decorator_name=None, decorator_doc="", decorator_argspec=None
):
    """Makes `decorator_func` look like `target` (name, module, docstring, signature) and
    records the decoration, so that `unwrap` finds `target` again.

    Args:
      target: the decorated callable.
      decorator_func: the wrapper that calls it.
      decorator_name: the decorator's name (default: the calling function's name).
      decorator_doc: a docstring replacing the target's.
      decorator_argspec: an `inspect.FullArgSpec` replacing the target's signature.

    Returns:
      `decorator_func`, updated.
    """
    if decorator_name is None:
        decorator_name = inspect.currentframe().f_back.f_code.co_name
    decorator = TFDecorator(decorator_name, target, decorator_doc, decorator_argspec)
    decorator_func._tf_decorator = decorator
    for attr in ("__name__", "__qualname__", "__module__"):
        if hasattr(target, attr):
            setattr(decorator_func, attr, getattr(target, attr))
    for key, value in getattr(target, "__dict__", {}).items():
        decorator_func.__dict__.setdefault(key, value)
    decorator_func.__doc__ = decorator.__doc__
    decorator_func.__wrapped__ = target
    decorator_func.__original_wrapped__ = target
    signature = _signature_of(target, decorator_argspec) if callable(target) else None
    if signature is not None:
        decorator_func.__signature__ = signature
    return decorator_func


def _decoration(obj):
    if isinstance(obj, TFDecorator):
        return obj
    return getattr(obj, "_tf_decorator", None) if hasattr(obj, "_tf_decorator") else None


def unwrap(maybe_tf_decorator):
    """Unwraps an object into its decorators and their final target.

    Returns:
      (the `TFDecorator`s outermost first, the innermost target).
    """
    decorators, current = [], maybe_tf_decorator
    while True:
        decoration = _decoration(current)
        if decoration is None:
            return decorators, current
        decorators.append(decoration)
        current = decoration.decorated_target


def rewrap(decorator_func, previous_target, new_target):
    """Makes the decorator (or chain of decorators) around `previous_target` call
    `new_target` instead.

    Args:
      decorator_func: the outermost decorator.
      previous_target: the target currently decorated (at any depth).
      new_target: the callable to decorate instead.
    """
    current = decorator_func
    while True:
        decoration = _decoration(current)
        if decoration is None:
            raise ValueError(f"{previous_target} is not a target of {decorator_func}")
        if decoration.decorated_target is previous_target:
            decoration.decorated_target = new_target
            if not isinstance(current, TFDecorator):
                current.__wrapped__ = new_target
            return
        current = decoration.decorated_target
