"""`tf.random.Generator`: a random number generator whose state is a variable, so each run
of its draws gives new numbers and a seed reproduces them; and the global generator."""

from __future__ import annotations

import enum
import os
import weakref

import numpy as np

from flowgraph.framework import dtypes, ops as framework_ops
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, math_ops, stateless_random_ops, variables
from flowgraph.ops.constant_op import convert_to_tensor


class Algorithm(enum.Enum):
    """A random-number-generation algorithm (TF's values)."""

    PHILOX = 1
    THREEFRY = 2
    AUTO_SELECT = 3


_NAMES = {
    "philox": Algorithm.PHILOX,
    "threefry": Algorithm.THREEFRY,
    "auto_select": Algorithm.AUTO_SELECT,
}


def _algorithm(alg) -> Algorithm:
    if alg is None:
        return Algorithm.PHILOX
    if isinstance(alg, Algorithm):
        return alg
    if isinstance(alg, str) and alg.lower() in _NAMES:
        return _NAMES[alg.lower()]
    if isinstance(alg, (int, np.integer)) and int(alg) in (1, 2, 3):
        return Algorithm(int(alg))
    raise ValueError(
        f"Argument `alg` got unsupported value {alg}. Supported values are "
        f"{list(Algorithm)} or their names/values."
    )


def _state_size(alg: Algorithm) -> int:
    return 2 if alg == Algorithm.THREEFRY else 3


def create_rng_state(seed, alg):
    """The initial state of a generator for `seed` and algorithm `alg`: int64
    `[state_size]` (3 for Philox, 2 for ThreeFry).

    An int seed fills the first word(s) (64 bits each); a list of ints is right-aligned.

    Example:
      >>> tf.random.create_rng_state(1, "philox")   # [1, 0, 0]
    """
    size = _state_size(_algorithm(alg))
    if isinstance(seed, (int, np.integer)):
        value, words = int(seed) % 2 ** (64 * size), []  # two's complement if negative
        for _ in range(size):
            words.append(value & (2**64 - 1))
            value >>= 64
    else:
        words = [int(s) % 2**64 for s in np.asarray(seed).reshape(-1)][-size:]
        words = [0] * (size - len(words)) + words
    return np.array(words, np.uint64).astype(np.int64)


class Generator:
    """A random number generator: its state is an int64 variable (a counter and a key);
    every draw advances the counter, so each run gives new numbers.

    Example:
      >>> g = tf.random.Generator.from_seed(1)
      >>> x = g.normal([2, 3])   # a new draw each time x is run; the same sequence per seed
    """

    def __init__(self, copy_from=None, state=None, alg=None):
        if copy_from is not None:
            if state is not None or alg is not None:
                raise ValueError(
                    "When `copy_from` is not None, neither `state` nor `alg` is allowed."
                )
            self._alg = copy_from._alg
            initial = copy_from._state_var.initialized_value()
        else:
            self._alg = _algorithm(alg)
            if state is None:
                state = create_rng_state(int.from_bytes(os.urandom(8), "little"), self._alg)
            initial = convert_to_tensor(state, dtypes.int64, name="state")
            if initial.shape.as_list() != [_state_size(self._alg)]:
                raise ValueError(
                    f"The size of `state` must be {_state_size(self._alg)} for "
                    f"algorithm {self._alg.name}, got shape {initial.shape}"
                )
        self._state_var = variables.Variable(
            initial, trainable=False, dtype=dtypes.int64, name="StateVar"
        )

    @classmethod
    def from_seed(cls, seed, alg=None):
        """A generator whose state comes from `seed` (see `create_rng_state`)."""
        return cls(state=create_rng_state(seed, _algorithm(alg)), alg=alg)

    @classmethod
    def from_non_deterministic_state(cls, alg=None):
        """A generator seeded from the operating system's entropy."""
        return cls(alg=alg)

    @classmethod
    def from_key_counter(cls, key, counter, alg):
        """A generator from a key (a scalar) and a counter (the other state words)."""
        counter = np.asarray(counter, np.int64).reshape(-1)
        return cls(state=np.concatenate([counter, [np.int64(key)]]), alg=alg)

    @property
    def state(self):
        """The state variable: int64 `[state_size]`."""
        return self._state_var

    @property
    def algorithm(self) -> int:
        """The algorithm's TF value (1: Philox, 2: ThreeFry, 3: auto)."""
        return self._alg.value

    @property
    def key(self):
        """The key: the state's last word."""
        return self._state_var[-1]

    def _seed(self, name="seed"):
        """A [2] seed for a stateless draw; advances the counter (once per run)."""
        delta = np.zeros(_state_size(self._alg), np.int64)
        delta[0] = 1
        state = self._state_var.assign_add(delta, name=name)
        return array_ops.stack([state[-1], state[0]])

    def skip(self, delta):
        """Advances the counter by `delta` draws; returns the op."""
        words = np.zeros(_state_size(self._alg), np.int64)
        step = convert_to_tensor(delta, dtypes.int64)
        return self._state_var.assign_add(
            convert_to_tensor(words) + array_ops.one_hot(0, len(words), dtype=dtypes.int64) * step
        )

    def reset(self, state):
        """Sets the state (an op)."""
        return self._state_var.assign(convert_to_tensor(state, dtypes.int64))

    def reset_from_seed(self, seed):
        """Sets the state from `seed` (an op)."""
        return self.reset(create_rng_state(seed, self._alg))

    def reset_from_key_counter(self, key, counter):
        """Sets the state from a key and counter (an op)."""
        counter = np.asarray(counter, np.int64).reshape(-1)
        return self.reset(np.concatenate([counter, [np.int64(key)]]))

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None):
        """Normally distributed values of `shape`."""
        with name_scope(name, "stateful_normal", [shape, mean, stddev]):
            return stateless_random_ops.stateless_normal(shape, self._seed(), mean, stddev, dtype)

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None):
        """Normal values of `shape`, redrawn beyond two standard deviations."""
        with name_scope(name, "truncated_normal", [shape, mean, stddev]):
            return stateless_random_ops.stateless_truncated_normal(
                shape, self._seed(), mean, stddev, dtype
            )

    def uniform(self, shape, minval=0, maxval=None, dtype=dtypes.float32, name=None):
        """Uniform values in `[minval, maxval)` (`[0, 1)` for floats by default; integers
        need `maxval` unless both bounds are None, the full range)."""
        dtype = dtypes.as_dtype(dtype)
        if dtype.is_integer and maxval is None and minval is not None and minval != 0:
            raise ValueError("Must specify maxval for integer dtype")
        with name_scope(name, "stateful_uniform", [shape, minval, maxval]):
            return stateless_random_ops.stateless_uniform(
                shape, self._seed(), minval, maxval, dtype
            )

    def uniform_full_int(self, shape, dtype=dtypes.int64, name=None):
        """Integers over the whole range of `dtype`."""
        with name_scope(name, "stateful_uniform_full_int", [shape]):
            return stateless_random_ops.stateless_uniform(shape, self._seed(), None, None, dtype)

    def binomial(self, shape, counts, probs, dtype=dtypes.int32, name=None):
        """Binomial draws of `counts` trials with success probability `probs`."""
        with name_scope(name, "binomial", [shape, counts, probs]):
            return stateless_random_ops.stateless_binomial(
                shape, self._seed(), counts, probs, dtype
            )

    def make_seeds(self, count=1):
        """`count` seeds for stateless ops: int64 `[2, count]`."""
        keys = self.uniform_full_int([count], dtype=dtypes.int64)
        return array_ops.stack([keys, array_ops.zeros_like(keys)])

    def split(self, count=1):
        """`count` new generators, each keyed by a draw of this one."""
        keys = self.make_seeds(count)[0]
        zeros = array_ops.zeros([_state_size(self._alg) - 1], dtypes.int64)
        return [
            Generator(state=array_ops.concat([zeros, keys[i : i + 1]], 0), alg=self._alg)
            for i in range(count)
        ]


_global_generators: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def get_global_generator():
    """The global generator of the default graph (created from the OS's entropy on first
    use)."""
    graph = framework_ops.get_default_graph()
    if graph not in _global_generators:
        _global_generators[graph] = Generator.from_non_deterministic_state()
    return _global_generators[graph]


def set_global_generator(generator):
    """Makes `generator` the global generator (of the default graph)."""
    _global_generators[framework_ops.get_default_graph()] = generator


def _keep_mask_dropout(x, rate, sampler, noise_shape, name, default_name):
    with name_scope(name, default_name, [x]):
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_floating:
            raise ValueError(
                f"x has to be a floating point tensor since it's going to be "
                f"scaled. Got a {x.dtype} tensor instead."
            )
        if isinstance(rate, (int, float)) and not 0 <= rate < 1:
            raise ValueError(
                f"rate must be a scalar tensor or a float in the range [0, 1), got {rate}"
            )
        rate = convert_to_tensor(rate, dtype=x.dtype, name="rate")
        shape = array_ops.shape(x) if noise_shape is None else noise_shape
        keep = math_ops.greater_equal(sampler(shape, x.dtype), rate)
        return x * (1 / (1 - rate)) * math_ops.cast(keep, x.dtype)


def stateless_dropout(x, rate, seed, rng_alg=None, noise_shape=None, name=None):
    """Dropout whose mask depends only on `seed` (a [2] int tensor): elements are zeroed
    with probability `rate` and the others scaled by `1 / (1 - rate)`."""

    def sampler(shape, dtype):
        return stateless_random_ops.stateless_uniform(shape, seed, dtype=dtype)

    return _keep_mask_dropout(x, rate, sampler, noise_shape, name, "stateless_dropout")


def general_dropout(x, rate, uniform_sampler, noise_shape=None, name=None):
    """Dropout with the uniform numbers of `uniform_sampler(shape, dtype)` (e.g. a
    `Generator`'s `uniform`): elements whose number is below `rate` are zeroed, the others
    scaled by `1 / (1 - rate)`."""

    def sampler(shape, dtype):
        return uniform_sampler(shape=shape, dtype=dtype)

    return _keep_mask_dropout(x, rate, sampler, noise_shape, name, "general_dropout")
