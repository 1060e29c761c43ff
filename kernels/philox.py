"""TensorFlow's stateful random streams: Philox4x32-10 and the distributions TF draws from it.

A TF1 random op (`RandomUniform`, `RandomStandardNormal`, `TruncatedNormal`,
`RandomUniformInt`) owns a Philox generator made from its `(seed, seed2)` attrs: the key is
`seed`'s two 32-bit halves, the 128-bit counter starts at `seed2 << 64`. Each run fills its
output group by group — group `g` (4 floats, or 2 doubles or 64-bit ints) comes from the
counter advanced by `g` — and then moves the counter past `256 * size` outputs, so the next
run draws new numbers. A truncated normal group instead draws from its own window of 256
outputs, rejecting samples at or beyond 2 standard deviations. `RandomShuffle` and
`Multinomial` draw 32-bit words and uniform doubles as TF's `SimplePhilox`. Everything
here follows TF's CPU kernels (`philox_random.h`, `random_distributions.h`,
`random_op_cpu.h`, `multinomial_op.cc`), so that a seeded TF1 program draws TensorFlow's
numbers.

The state of a node's stream is uint32[6]: the key (2 words), then the counter (4 words, low
word first). A random op inside a function body is given a 2-word key folded out of its
body's key instead; it is used as the Philox key with a zero counter.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

_M0, _M1 = 0xD2511F53, 0xCD9E8D57
_W0, _W1 = np.uint32(0x9E3779B9), np.uint32(0xBB67AE85)
_RESERVED_PER_OUTPUT = 256  # outputs a run reserves per element, as TF's kernels
_TRUNCATE = 2.0  # a truncated normal keeps samples with |x| < 2


def initial_state(seed: int, seed2: int) -> np.ndarray:
    """A stream's first state, as TF's `GuardedPhiloxRandom::Init` makes it from the attrs
    (both 0: random seeds, a fresh stream each session)."""
    if seed == 0 and seed2 == 0:
        seed, seed2 = (int(v) for v in np.random.default_rng().integers(0, 2**63, size=2))
    halves = [seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF]
    return np.array(halves + [0, 0, seed2 & 0xFFFFFFFF, (seed2 >> 32) & 0xFFFFFFFF], np.uint32)


def _split_state(state):
    """(key words, 64-bit low counter, 64-bit high counter) of a 2- or 6-word state."""
    state = jnp.asarray(state, jnp.uint32)
    if state.shape == (2,):
        return state, jnp.uint64(0), jnp.uint64(0)
    lo = state[2].astype(jnp.uint64) | (state[3].astype(jnp.uint64) << 32)
    hi = state[4].astype(jnp.uint64) | (state[5].astype(jnp.uint64) << 32)
    return state[:2], lo, hi


def _add(lo, hi, count):
    """The 128-bit counter (lo, hi) advanced by `count` (uint64, any shape)."""
    new_lo = lo + count
    return new_lo, hi + (new_lo < lo).astype(jnp.uint64)


def _words(lo, hi):
    mask = jnp.uint64(0xFFFFFFFF)
    return [(x & mask).astype(jnp.uint32) for x in (lo, lo >> 32, hi, hi >> 32)]


def _mul_hi_lo(m: int, a):
    """(high, low) 32-bit words of the 64-bit product `m * a`, in 32-bit arithmetic (16-bit
    halves): XLA:CPU vectorizes it, unlike a 64-bit multiply."""
    m_lo, m_hi = jnp.uint32(m & 0xFFFF), jnp.uint32(m >> 16)
    a_lo, a_hi = a & jnp.uint32(0xFFFF), a >> 16
    lo_lo, hi_lo, lo_hi = a_lo * m_lo, a_hi * m_lo, a_lo * m_hi
    cross = (lo_lo >> 16) + (hi_lo & jnp.uint32(0xFFFF)) + lo_hi
    return a_hi * m_hi + (hi_lo >> 16) + (cross >> 16), a * jnp.uint32(m)


def philox(key, lo, hi):
    """Philox4x32-10 of the counters (lo, hi) (uint64 arrays) under `key`: uint32[..., 4]."""

    def round_(_, carry):
        c0, c1, c2, c3, k0, k1 = carry
        hi0, lo0 = _mul_hi_lo(_M0, c0)
        hi1, lo1 = _mul_hi_lo(_M1, c2)
        return hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0, k0 + _W0, k1 + _W1

    # A loop, not ten unrolled rounds: fused whole, XLA would recompute every word for each
    # of its uses, and the work would grow with 2 ** rounds.
    *c, _, _ = jax.lax.fori_loop(0, 10, round_, (*_words(lo, hi), key[0], key[1]))
    return jnp.stack(c, axis=-1)


def _blocks(state, count: int, skip_per_block: int = 1):
    """uint32[count, 4]: the Philox outputs at the state's counter + i * skip_per_block."""
    key, lo, hi = _split_state(state)
    offsets = jnp.arange(count, dtype=jnp.uint64) * jnp.uint64(skip_per_block)
    return philox(key, *_add(lo, hi, offsets))


def advanced(state, size: int):
    """The state after a run of an op with `size` outputs (TF reserves 256 per output).

    A 2-word key (a random op inside a function body) stays as it is: its body folds a new
    one for every call.
    """
    state = jnp.asarray(state, jnp.uint32)
    if state.shape == (2,):
        return state
    key, lo, hi = _split_state(state)
    lo, hi = _add(lo, hi, jnp.uint64(size * _RESERVED_PER_OUTPUT))
    return jnp.concatenate([key, jnp.stack(_words(lo, hi))])


def permutation(state, n: int):
    """RandomShuffle's permutation of `n` rows and the stream's next state, as TF draws it:
    `(n - 1 + 3) // 4` blocks reserved, one 32-bit word per swap of a Fisher-Yates pass from
    the first row up (`swap(v[i], v[i + word % (n - i)])`)."""
    if n <= 1:
        return jnp.arange(n), state
    blocks = (n - 1 + 3) // 4
    words = _blocks(state, blocks).reshape(-1)

    def swap(i, perm):
        j = i + (words[i] % (jnp.uint32(n) - i.astype(jnp.uint32))).astype(jnp.int32)
        a, b = perm[i], perm[j]
        return perm.at[i].set(b).at[j].set(a)

    perm = jax.lax.fori_loop(0, n - 1, swap, jnp.arange(n, dtype=jnp.int32))
    return perm, _skipped(state, blocks)


def _skipped(state, blocks: int):
    """The state `blocks` 128-bit samples on (TF's `ReserveSamples128`)."""
    state = jnp.asarray(state, jnp.uint32)
    if state.shape == (2,):
        return state
    key, lo, hi = _split_state(state)
    lo, hi = _add(lo, hi, jnp.uint64(blocks))
    return jnp.concatenate([key, jnp.stack(_words(lo, hi))])


def _unit_floats(bits, dtype):
    """TF's `Uint32ToFloat` family: [1, 2) from the mantissa bits, minus 1."""
    if dtype == np.float16:
        half = (jnp.uint16(15) << 10) | (bits & 0x3FF).astype(jnp.uint16)
        return half.view(jnp.float16) - jnp.float16(1)
    if dtype == jnp.bfloat16:
        b16 = (jnp.uint16(127) << 7) | (bits & 0x7F).astype(jnp.uint16)
        return b16.view(jnp.bfloat16) - jnp.bfloat16(1)
    return ((jnp.uint32(127) << 23) | (bits & 0x7FFFFF)).view(jnp.float32) - jnp.float32(1)


def _unit_doubles(x0, x1):
    """TF's `Uint64ToDouble`: 20 + 32 mantissa bits, in [0, 1)."""
    man = ((x0 & 0xFFFFF).astype(jnp.uint64) << 32) | x1.astype(jnp.uint64)
    return ((jnp.uint64(1023) << 52) | man).view(jnp.float64) - 1.0


def _box_muller(u1, v, dtype):
    """TF's `BoxMullerFloat`/`BoxMullerDouble` from two uniforms: (sin, cos) times the radius."""
    u1 = jnp.maximum(u1, dtype(1.0e-7))
    theta = (2.0 * np.pi * v.astype(jnp.float64)).astype(dtype)  # TF: 2.0f * M_PI, a double
    radius = jnp.sqrt(dtype(-2.0) * jnp.log(u1))
    sin, cos = (jnp.sin(theta), jnp.cos(theta)) if dtype == np.float64 else _sincos(theta)
    return sin * radius, cos * radius


_SIN = [(-1) ** k / math.factorial(2 * k + 1) for k in range(7)]
_COS = [(-1) ** k / math.factorial(2 * k) for k in range(8)]


def _sincos(theta):
    """float32 sin and cos of float32 angles in [0, 2pi], as `sincosf` rounds them.

    XLA:CPU's own sin and cos are scalar calls, ten times slower than the rest of a draw;
    this is a vectorizable reduction by pi/2 and Taylor series, in float64 (far below a
    float32 ulp), then rounded.
    """
    t = theta.astype(jnp.float64)
    quadrant = jnp.round(t * (2.0 / np.pi))
    a = t - quadrant * (np.pi / 2.0)
    a2 = a * a
    s = a * _polynomial(_SIN, a2)
    c = _polynomial(_COS, a2)
    q = quadrant.astype(jnp.int32) & 3
    sin = jnp.select([q == 0, q == 1, q == 2], [s, c, -s], -c)
    cos = jnp.select([q == 0, q == 1, q == 2], [c, -s, -c], s)
    return sin.astype(theta.dtype), cos.astype(theta.dtype)


def _polynomial(coefficients, x):
    out = jnp.full_like(x, coefficients[-1])
    for c in coefficients[-2::-1]:
        out = out * x + c
    return out


def _normal_pairs(words, dtype):
    """Normals from uint32 words [..., 2k] (float: 2 words a pair) or [..., 4k] (double)."""
    if dtype == np.float64:
        u1 = _unit_doubles(words[..., 0::4], words[..., 1::4])
        v = _unit_doubles(words[..., 2::4], words[..., 3::4])
        f0, f1 = _box_muller(u1, v, np.float64)
    else:
        u1 = _unit_floats(words[..., 0::2], np.float32)
        v = _unit_floats(words[..., 1::2], np.float32)
        f0, f1 = _box_muller(u1, v, np.float32)
    return jnp.stack([f0, f1], axis=-1).reshape(words.shape[:-1] + (-1,))


def _per_group(dtype) -> int:
    """Outputs a Philox output of 4 words gives: 4 (32 bits or less), 2 (64 bits)."""
    return 2 if np.dtype(dtype).itemsize == 8 else 4


def _take(values, size: int, shape):
    return values.reshape(-1)[:size].reshape(shape)


def uniform(state, shape, dtype):
    """RandomUniform's output (floats in [0, 1)) and the stream's next state."""
    size = int(np.prod(shape, dtype=np.int64))
    groups = -(-size // _per_group(dtype))
    words = _blocks(state, groups)
    if np.dtype(dtype) == np.float64:
        values = _unit_doubles(words[:, 0::2], words[:, 1::2])
    else:
        values = _unit_floats(words, np.dtype(dtype) if dtype != jnp.bfloat16 else dtype)
    return _take(values, size, shape), advanced(state, size)


def uniform_int(state, shape, minval, maxval):
    """RandomUniformInt's output: `minval + bits % (maxval - minval)` with TF's bit use."""
    dtype = np.dtype(minval.dtype)
    size = int(np.prod(shape, dtype=np.int64))
    words = _blocks(state, -(-size // _per_group(dtype)))
    if dtype == np.int64:
        bits = words[:, 0::2].astype(jnp.uint64) | (words[:, 1::2].astype(jnp.uint64) << 32)
        span = (maxval.astype(jnp.uint64) - minval.astype(jnp.uint64)).astype(jnp.uint64)
    else:
        bits = words
        span = maxval.astype(jnp.uint32) - minval.astype(jnp.uint32)
    values = minval + (bits % span).astype(dtype)
    return _take(values, size, shape), advanced(state, size)


def normal(state, shape, dtype):
    """RandomStandardNormal's output (Box-Muller, as TF) and the stream's next state."""
    size = int(np.prod(shape, dtype=np.int64))
    wide = np.dtype(dtype) == np.float64
    words = _blocks(state, -(-size // _per_group(dtype)))
    values = _normal_pairs(words, np.float64 if wide else np.float32).astype(dtype)
    return _take(values, size, shape), advanced(state, size)


def truncated_normal(state, shape, dtype):
    """TruncatedNormal's output (normals with |x| < 2, in TF's order) and the next state.

    TF's loop draws until a group has its 4 (or 2) samples. Here each group first draws 3
    Philox outputs (4 for doubles), enough for all but about one group in 10^9; only when
    a group falls short are 6 (10) drawn for every group, short by chance under 1e-24.
    """
    size = int(np.prod(shape, dtype=np.int64))
    per_group = _per_group(dtype)
    groups = -(-size // per_group)
    first, most = (4, 10) if per_group == 2 else (3, 6)
    picked, short = _truncated_groups(state, groups, per_group, first)
    picked = jax.lax.cond(
        short.any(),
        lambda: _truncated_groups(state, groups, per_group, most)[0],
        lambda: picked,
    )
    return _take(picked.astype(dtype), size, shape), advanced(state, size)


def _truncated_groups(state, groups: int, per_group: int, draws: int):
    """([groups, per_group] samples, [groups] bool: whose draws fell short) from the first
    `draws` Philox outputs of each group's own window (TF: 256 outputs a sample)."""
    key, lo, hi = _split_state(state)
    skip = per_group * _RESERVED_PER_OUTPUT // 4
    starts = jnp.arange(groups, dtype=jnp.uint64) * jnp.uint64(skip)
    offsets = starts[:, None] + jnp.arange(draws, dtype=jnp.uint64)[None, :]
    words = philox(key, *_add(lo, hi, offsets)).reshape(groups, -1)  # in draw order
    samples = _normal_pairs(words, np.float64 if per_group == 2 else np.float32)
    slots, columns = jnp.arange(per_group), samples.T  # a column per step: contiguous

    def keep(j, carry):  # TF's loop: take sample j if it is within bounds and room is left
        picked, count = carry
        sample = jax.lax.dynamic_index_in_dim(columns, j, keepdims=False)
        kept = (jnp.abs(sample) < _TRUNCATE) & (count < per_group)
        picked = jnp.where(kept[:, None] & (slots == count[:, None]), sample[:, None], picked)
        return picked, count + kept

    start = (jnp.zeros((groups, per_group), samples.dtype), jnp.zeros((groups,), jnp.int32))
    picked, count = jax.lax.fori_loop(0, samples.shape[1], keep, start)
    return picked, count < per_group


def multinomial(state, logits, num_samples: int, output_dtype, threads: int = 1):
    """Multinomial's draws ([batch, num_samples] class indices) and the stream's next state,
    as TF's CPU kernel (`multinomial_op.cc`) draws them with `threads` intra-op threads.

    Each sample is a uniform double from two consecutive 32-bit words (`SimplePhilox::
    RandDouble`); it picks the first class whose running sum of `exp(logit - max)` (finite
    logits only, in double) exceeds the uniform times the row's total. TF splits the rows
    into shards (`_shard_starts`); a shard's samples follow one another from block
    `start_row * (num_samples + 3) // 4` of the reserved counter. A run reserves
    `batch * 2 * ceil4(num_samples)` outputs (none when the output is empty).
    """
    batch, classes = logits.shape
    if batch * num_samples == 0:
        return jnp.zeros((batch, num_samples), output_dtype), state
    cost = int(50 * (num_samples * math.log(classes) / math.log(2) + classes))
    starts = np.asarray(_shard_starts(batch, cost, threads), np.int64)
    rows = np.arange(batch, dtype=np.int64)
    first = starts[np.searchsorted(starts, rows, side="right") - 1]  # each row's shard
    word = (first * (num_samples + 3) // 4) * 4 + 2 * num_samples * (rows - first)
    word = word[:, None] + 2 * np.arange(num_samples, dtype=np.int64)[None, :]
    words = _blocks(state, int(word.max()) // 4 + 1).reshape(-1)
    uniforms = _unit_doubles(words[word], words[word + 1])
    finite = jnp.isfinite(logits)
    lowest = jnp.asarray(jnp.finfo(logits.dtype).min, logits.dtype)
    top = jnp.max(jnp.where(finite, logits, lowest), axis=1).astype(jnp.float64)
    scaled = jnp.exp(logits.astype(jnp.float64) - top[:, None])
    cdf = jnp.cumsum(jnp.where(finite, scaled, 0.0), axis=1)
    to_find = uniforms * cdf[:, -1:]
    found = jax.vmap(lambda row, x: jnp.searchsorted(row, x, side="right"))(cdf, to_find)
    reserved = batch * 2 * (-(-num_samples // 4) * 4)
    return found.astype(output_dtype), advanced(state, reserved)


def _shard_starts(rows: int, cost_per_row: int, threads: int) -> list[int]:
    """The first rows of the shards TF's `Shard` runs a per-row kernel in: Eigen's
    `parallelFor` (`CostModel` and `CalculateParallelForBlock`) over `threads` threads; one
    shard when the estimated cost is under about 10^5 cycles or there is one thread."""
    if rows <= 1 or threads <= 1 or cost_per_row <= 0:
        return [0]
    if min(max(1, int((rows * cost_per_row - 100000) / 100000 + 0.9)), threads) == 1:
        return [0]
    size = min(rows, max(-(-rows // (4 * threads)), int(40000 / cost_per_row)))
    largest = min(rows, 2 * size)
    count = -(-rows // size)
    efficiency = count / (-(-count // threads) * threads)
    previous = count
    while efficiency < 1.0 and previous > 1:  # coarser blocks while they use threads as well
        coarser = -(-rows // (previous - 1))
        if coarser > largest:
            break
        previous = -(-rows // coarser)
        coarser_efficiency = previous / (-(-previous // threads) * threads)
        if coarser_efficiency + 0.01 >= efficiency:
            size, count = coarser, previous
            efficiency = max(efficiency, coarser_efficiency)
    return list(range(0, rows, size))


_GAMMA_TRIALS = 1024  # a bound on a sample's rejection loop (TF's has none)


def gamma(state, shape, alpha):
    """RandomGamma's samples (`[*shape, *alpha.shape]`) and the stream's next state, as TF's
    CPU kernel (`random_op.cc`) draws them: in double, each sample from its own window of 256
    Philox outputs; an exponential (`-log1p(-u)`) for alpha 1, else Marsaglia and Tsang's
    rejection loop, one Philox output a pair of normals or of uniforms, each pair used from
    its second value.

    Every sample runs its first trial side by side; the few it rejected (about 5%) then
    run their loops in compacted batches of an eighth of the samples.
    """
    per_alpha, num_alphas = int(np.prod(shape, dtype=np.int64)), int(np.prod(alpha.shape))
    out_shape = tuple(shape) + tuple(alpha.shape)
    total = per_alpha * num_alphas
    if total == 0:
        return jnp.zeros(out_shape, alpha.dtype), state
    key, lo, hi = _split_state(state)
    a = jnp.repeat(alpha.reshape(-1).astype(jnp.float64), per_alpha)  # output_idx order
    lanes = jnp.arange(total, dtype=jnp.uint64)
    first = philox(key, *_add(lo, hi, lanes * jnp.uint64(_RESERVED_PER_OUTPUT)))
    exponential = -jnp.log1p(-_unit_doubles(first[:, 2], first[:, 3]))
    zeros, pairs = jnp.zeros(total, jnp.int32), jnp.zeros((total, 2), jnp.float64)
    start = (a == 1.0, jnp.where(a == 1.0, exponential, jnp.nan), zeros, pairs, zeros, pairs, zeros)
    trials = functools.partial(_gamma_trials, key, lo, hi)
    carry = trials(lanes, a, start, 1)
    rest = total // 8 + 1

    def compacted(carry):  # the next `rest` samples not done run their loops to the end
        (index,) = jnp.nonzero(~carry[0], size=rest, fill_value=total)
        valid = index < total
        inside = jnp.minimum(index, total - 1)
        sub = tuple(x[inside] for x in carry)
        sub = trials(lanes[inside], a[inside], (sub[0] | ~valid,) + sub[1:], _GAMMA_TRIALS)
        sub = (sub[0] | valid,) + sub[1:]  # done, or out of trials (NaN)
        return tuple(x.at[index].set(y, mode="drop") for x, y in zip(carry, sub))

    carry = jax.lax.while_loop(lambda carry: ~carry[0].all(), compacted, carry)
    samples = carry[1].reshape(num_alphas, per_alpha).T.astype(alpha.dtype)
    return samples.reshape(out_shape), advanced(state, total)


def _gamma_trials(key, lo, hi, lanes, a, carry, limit: int):
    """Up to `limit` more trials of TF's gamma rejection loop for each sample not yet done.

    `carry`: (done, result, blocks used, normal pair, normals left, uniform pair, uniforms
    left), a row a sample; `lanes`: the samples' output indices (their Philox windows).
    """
    base = lanes.astype(jnp.uint64) * jnp.uint64(_RESERVED_PER_OUTPUT)
    less = a < 1.0
    d = a + jnp.where(less, 2.0 / 3, -1.0 / 3)
    c = 1.0 / 3 / jnp.sqrt(d)

    def block(ptr):
        return philox(key, *_add(lo, hi, base + ptr.astype(jnp.uint64)))

    def pick(pair, left):
        return jnp.take_along_axis(pair, jnp.maximum(left, 0)[:, None], axis=1)[:, 0]

    def draw_uniform(want, ptr, pair, left):
        fresh = want & (left == 0)
        words = block(ptr)
        pair = jnp.where(fresh[:, None], _unit_doubles(words[:, 0::2], words[:, 1::2]), pair)
        left = jnp.where(fresh, 2, left) - want
        return pick(pair, left), ptr + fresh, pair, left

    def trial(state):
        step, (done, result, ptr, normals, n_left, uniforms, u_left) = state
        active = ~done
        fresh = active & (n_left == 0)
        normals = jnp.where(fresh[:, None], _normal_pairs(block(ptr), np.float64), normals)
        ptr, n_left = ptr + fresh, jnp.where(fresh, 2, n_left) - active
        x = pick(normals, n_left)
        v = 1 + c * x
        positive = active & (v > 0)
        v = v * v * v
        u, ptr, uniforms, u_left = draw_uniform(positive, ptr, uniforms, u_left)
        accept = positive & (
            (u < 1 - 0.0331 * (x * x) * (x * x))
            | (jnp.log(u) < 0.5 * x * x + d * (1 - v + jnp.log(v)))
        )
        b, ptr, uniforms, u_left = draw_uniform(accept & less, ptr, uniforms, u_left)
        value = jnp.where(less, d * v * jnp.power(b, 1 / a), d * v)
        result = jnp.where(accept, value, result)
        return step + 1, (done | accept, result, ptr, normals, n_left, uniforms, u_left)

    _, carry = jax.lax.while_loop(
        lambda state: (state[0] < limit) & ~state[1][0].all(), trial, (0, carry)
    )
    return carry
