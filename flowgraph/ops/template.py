"""`tf.make_template`: a function whose variables are created once and shared by every call."""

from __future__ import annotations

from flowgraph import logging
from flowgraph.framework.ops import GraphKeys
from flowgraph.framework.scopes import get_collection
from flowgraph.ops import variable_scope as vs


def make_template(name_, func_, create_scope_now_=False, unique_name_=None,
                  custom_getter_=None, **kwargs):  # fmt: skip
    """Given an arbitrary function, wraps it so that it does variable sharing.

    The first call of the template creates the variables `func_` gets with
    `tf.get_variable` in a variable scope named `name_` (made unique, or `unique_name_`);
    later calls reuse them. `kwargs` are bound to `func_`.

    Example:
      >>> def scale_by_y(x):
      ...     var1 = tf.get_variable("y", shape=[1], initializer=tf.ones_initializer())
      ...     return x * var1
      >>> scale = tf.make_template("scale_by_y", scale_by_y)
      >>> z1, z2 = scale(x1), scale(x2)          # one variable, scale_by_y/y

    Returns:
      A `Template` (callable) wrapping `func_`.
    """
    if kwargs:
        func = func_

        def func_(*args, **more):
            return func(*args, **{**kwargs, **more})

    return Template(name_, func_, create_scope_now=create_scope_now_, unique_name=unique_name_,
                    custom_getter=custom_getter_)  # fmt: skip


class Template:
    """Wraps a function so that every call after the first reuses its variables.

    Made by `tf.make_template`. A later call that creates a trainable variable is an
    error (it was most likely made with `tf.Variable` rather than `tf.get_variable`).
    """

    def __init__(self, name, func, create_scope_now=False, unique_name=None,
                 custom_getter=None):  # fmt: skip
        if name is None:
            raise ValueError("name cannot be None.")
        self._name, self._func = name, func
        self._unique_name, self._custom_getter = unique_name, custom_getter
        self._variable_scope = None
        self._variables_created = False
        if create_scope_now:
            scope_name = unique_name or vs._get_unique_variable_scope(name)
            with vs.variable_scope(scope_name, custom_getter=custom_getter,
                                   auxiliary_name_scope=False) as scope:  # fmt: skip
                self._variable_scope = scope

    def __call__(self, *args, **kwargs):
        if self._variable_scope is None:
            with vs.variable_scope(self._unique_name, self._name,
                                   custom_getter=self._custom_getter) as scope:  # fmt: skip
                self._variable_scope = scope
                return self._call_func(args, kwargs)
        with vs.variable_scope(self._variable_scope, reuse=self._variables_created):
            return self._call_func(args, kwargs)

    def _call_func(self, args, kwargs):
        global_at_start = len(get_collection(GraphKeys.GLOBAL_VARIABLES))
        trainable_at_start = len(get_collection(GraphKeys.TRAINABLE_VARIABLES))
        result = self._func(*args, **kwargs)
        if not self._variables_created:
            self._variables_created = True
            return result
        trainable = get_collection(GraphKeys.TRAINABLE_VARIABLES)
        if len(trainable) != trainable_at_start:
            raise ValueError(
                "Trainable variable created when calling a template after the first time, "
                "perhaps you used tf.Variable when you meant tf.get_variable: "
                f"{trainable[trainable_at_start:]}"
            )
        created = get_collection(GraphKeys.GLOBAL_VARIABLES)[global_at_start:]
        if created:
            logging.info(
                "New variables created when calling a template after the first time, "
                "perhaps you used tf.Variable when you meant tf.get_variable: %s",
                created,
            )
        return result

    @property
    def name(self):
        """The name given to this Template."""
        return self._name

    @property
    def func(self):
        """The function this Template wraps."""
        return self._func

    @property
    def variable_scope(self):
        """The variable scope of this Template (None before its first call)."""
        return self._variable_scope

    @property
    def variable_scope_name(self):
        """The name of the variable scope of this Template, ending in '/' (as TF)."""
        if self._variable_scope is None:
            return None
        name = self._variable_scope.name
        return name if not name or name.endswith("/") else name + "/"

    @property
    def variables_created(self):
        """Whether the template's variables exist (it has been called once)."""
        return self._variables_created

    def _scoped(self, key):
        if self._variable_scope is None:
            return []
        return get_collection(key, scope=self.variable_scope_name)

    @property
    def variables(self):
        """The global variables created by the Template."""
        return self.global_variables

    @property
    def global_variables(self):
        """The global variables created by the Template."""
        return self._scoped(GraphKeys.GLOBAL_VARIABLES)

    @property
    def trainable_variables(self):
        """The trainable variables created by the Template."""
        return self._scoped(GraphKeys.TRAINABLE_VARIABLES)

    @property
    def non_trainable_variables(self):
        """The global variables created by the Template that are not trainable."""
        trainable = set(self.trainable_variables)
        return [v for v in self.global_variables if v not in trainable]

    @property
    def local_variables(self):
        """The local variables created by the Template."""
        return self._scoped(GraphKeys.LOCAL_VARIABLES)

    weights = variables
    trainable_weights = trainable_variables
    non_trainable_weights = non_trainable_variables
