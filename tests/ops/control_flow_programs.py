"""Small TF1 control-flow programs (cond / while_loop / case idioms from real code), each
run the same way in flowgraph and, by `tests/fixtures/make_control_flow_programs.py`, in
TensorFlow 2.21's `tf.compat.v1` with v1 control flow: the results must agree.

A program takes the TF1 module and returns `(fetches, feeds)`: a dict name -> tensor and
a list of feed dicts (placeholder -> value), each fetch run once per feed dict.
"""

from __future__ import annotations

import collections

import numpy as np


def branch_tensor_used_outside(tf):
    x = tf.placeholder(tf.float32, [])
    p = tf.placeholder(tf.bool, [])
    made = {}

    def true_fn():
        made["y"] = x * 2.0
        return made["y"] + 1.0

    r = tf.cond(p, true_fn, lambda: x - 1.0)
    y = made["y"]
    z = y * 3.0
    fetches = {
        "r": r,
        "z": z,
        "y_plus_r": y + r,
        "r_and_z": [r, z],
        "z_and_r": [z, r],
        "z_through_a_stack": tf.reduce_sum(tf.stack([z, x])),
        "z_in_a_cond_on_the_same_pred": tf.cond(p, lambda: z, lambda: x),
        "gradient_through_the_branch": tf.gradients(z, x)[0],
    }
    return fetches, [{x: 2.0, p: True}, {x: 2.0, p: False}]


def nested_branch_tensor_used_outside(tf):
    x = tf.placeholder(tf.float32, [])
    p = tf.placeholder(tf.bool, [])
    q = tf.placeholder(tf.bool, [])
    made = {}

    def true_fn():
        made["y"] = x * 2.0

        def inner():
            made["u"] = made["y"] + 10.0
            return made["u"]

        return tf.cond(q, inner, lambda: made["y"])

    r = tf.cond(p, true_fn, lambda: x - 1.0)
    fetches = {"r": r, "u": made["u"] * 1.0, "y_grad": tf.gradients(made["y"] * 3.0, x)[0]}
    feeds = [{x: 2.0, p: True, q: True}, {x: 2.0, p: True, q: False}]
    return fetches, feeds + [{x: 2.0, p: False, q: True}]


def case_branch_tensors_used_outside(tf):
    x = tf.placeholder(tf.float32, [])
    k = tf.placeholder(tf.int32, [])
    made = {}

    def branch(name, scale):
        def fn():
            made[name] = x * scale
            return made[name]

        return fn

    c = tf.case(
        [(tf.equal(k, 1), branch("a", 5.0)), (tf.equal(k, 2), branch("b", 7.0))],
        default=lambda: x,
        exclusive=True,
    )
    fetches = {"c": c, "a": made["a"] + 0.0, "b": made["b"] + 0.0}
    return fetches, [{x: 2.0, k: 1}, {x: 2.0, k: 2}, {x: 2.0, k: 3}]


def nested_conds_in_a_loop_writing_a_tensor_array(tf):
    n = tf.placeholder(tf.int32, [])

    def body(i, ta):
        odd = tf.cond(i > 2, lambda: -1.0, lambda: 1.0)
        v = tf.cond(tf.equal(i % 2, 0), lambda: tf.cast(i, tf.float32) * 2.0, lambda: odd)
        return i + 1, ta.write(i, v)

    ta = tf.TensorArray(tf.float32, size=n)
    _, ta = tf.while_loop(lambda i, ta: i < n, body, [0, ta])
    return {"stacked": ta.stack()}, [{n: 6}, {n: 1}]


def loop_growing_a_vector_with_shape_invariants(tf):
    n = tf.placeholder(tf.int32, [])
    i0, v0 = tf.constant(0), tf.zeros([1])

    def body(i, v):
        return i + 1, tf.concat([v, tf.fill([1], tf.cast(i, tf.float32))], 0)

    _, v = tf.while_loop(
        lambda i, v: i < n,
        body,
        [i0, v0],
        shape_invariants=[i0.get_shape(), tf.TensorShape([None])],
    )
    static = tf.constant([-1 if d is None else d for d in v.shape.as_list()])
    return {"v": v, "static_shape": static}, [{n: 4}, {n: 0}]


def cond_on_a_python_bool(tf):
    return {"r": tf.cond(True, lambda: tf.constant(1), lambda: tf.constant(2))}, [{}]


def case_exclusive_with_two_true_predicates(tf):
    x = tf.placeholder(tf.int32, [])
    c = tf.case(
        [(x > 0, lambda: tf.constant(1)), (x > 1, lambda: tf.constant(2))],
        default=lambda: tf.constant(0),
        exclusive=True,
    )
    return {"c": c}, [{x: 1}, {x: 5}, {x: -1}]


def case_without_default_and_dict_form(tf):
    x = tf.placeholder(tf.int32, [])
    pairs = {tf.less(x, 0): lambda: tf.constant(-1), tf.greater(x, 0): lambda: tf.constant(1)}
    c = tf.case(pairs)
    return {"c": c}, [{x: -4}, {x: 4}, {x: 0}]


def loop_joining_strings(tf):
    n = tf.placeholder(tf.int32, [])

    def body(i, s):
        return i + 1, tf.strings.join([s, tf.as_string(i)], separator="-")

    _, s = tf.while_loop(lambda i, s: i < n, body, [0, tf.constant("x")])
    return {"s": s}, [{n: 3}, {n: 0}]


def int64_counter_and_fibonacci(tf):
    n = tf.placeholder(tf.int64, [])

    def body(i, a, b):
        return i + 1, b, a + b

    one = tf.constant(1, tf.int64)
    i, a, _ = tf.while_loop(lambda i, a, b: i < n, body, [tf.constant(0, tf.int64), one, one])
    return {"i": i, "fib": a}, [{n: 50}, {n: 1}]


def nested_loops_with_inner_bound_from_outer_counter(tf):
    def outer(i, total):
        _, s = tf.while_loop(lambda j, s: j < i, lambda j, s: (j + 1, s + j), [0, 0])
        return i + 1, total + s

    return {"total": tf.while_loop(lambda i, t: i < 6, outer, [0, 0])[1]}, [{}]


def cond_returning_nested_structures(tf):
    p = tf.placeholder(tf.bool, [])
    r = tf.cond(
        p,
        lambda: {"a": tf.constant(1.0), "b": (tf.constant(2), tf.constant([3.0, 4.0]))},
        lambda: {"a": tf.constant(-1.0), "b": (tf.constant(-2), tf.constant([-3.0, -4.0]))},
    )
    return {"r": r}, [{p: True}, {p: False}]


def cond_strict_singletons(tf):
    p = tf.placeholder(tf.bool, [])
    strict = tf.cond(p, lambda: [tf.constant(1)], lambda: [tf.constant(2)], strict=True)
    loose = tf.cond(p, lambda: [tf.constant(1)], lambda: [tf.constant(2)])
    return {"strict": strict, "loose": loose}, [{p: False}]


def loop_with_nested_loop_variables(tf):
    def body(i, pair):
        a, b = pair
        return i + 1, (a * 2.0, b + a)

    r = tf.while_loop(lambda i, pair: i < 4, body, [0, (tf.constant(1.0), tf.constant(0.0))])
    return {"r": r}, [{}]


def loop_with_maximum_iterations_and_a_cond(tf):
    x = tf.placeholder(tf.float32, [])

    def body(v):
        return tf.cond(v > 10.0, lambda: v - 3.0, lambda: v * 2.0)

    r = tf.while_loop(lambda v: v > 0.0, body, [x], maximum_iterations=7)
    return {"r": r, "grad": tf.gradients(r, x)[0]}, [{x: 1.0}, {x: -1.0}]


def loop_gradient_through_a_cond(tf):
    x = tf.placeholder(tf.float32, [])
    n = tf.placeholder(tf.int32, [])

    def body(i, acc):
        return i + 1, tf.cond(i % 2 > 0, lambda: acc * x, lambda: acc + x)

    _, r = tf.while_loop(lambda i, a: i < n, body, [0, tf.constant(1.0)])
    return {"r": r, "grad": tf.gradients(r, x)[0]}, [{x: 1.5, n: 5}, {x: 2.0, n: 0}]


def variable_assigned_in_a_branch(tf):
    p = tf.placeholder(tf.bool, [])
    v = tf.Variable(1.0, name="v")

    def bump():
        with tf.control_dependencies([tf.assign_add(v, 10.0)]):
            return tf.identity(v)

    r = tf.cond(p, bump, lambda: tf.identity(v))
    with tf.control_dependencies([r]):
        after = tf.identity(v)
    return {"r_then_v": [r, after]}, [{p: True}, {p: False}, {p: True}]


def branches_of_different_dtypes(tf):
    p = tf.placeholder(tf.bool, [])
    return {"r": tf.cond(p, lambda: tf.constant(1), lambda: tf.constant(1.0))}, [{p: True}]


def loop_returning_a_python_number(tf):
    r = tf.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, 7), [0, 0])
    return {"r": r}, [{}]


def loop_over_tensor_array_unstacked_input(tf):
    xs = tf.placeholder(tf.float32, [None, 2])
    ta = tf.TensorArray(tf.float32, size=tf.shape(xs)[0]).unstack(xs)

    def body(i, acc):
        return i + 1, acc + ta.read(i) * tf.cast(i + 1, tf.float32)

    _, acc = tf.while_loop(lambda i, a: i < tf.shape(xs)[0], body, [0, tf.zeros([2])])
    return {"acc": acc}, [{xs: np.arange(6, dtype=np.float32).reshape(3, 2)}]


def decode_with_dynamic_size_tensor_array(tf):
    limit = tf.placeholder(tf.int32, [])

    def body(step, value, ta):
        ta = ta.write(step, value)
        return step + 1, value * 3 % 17, ta

    ta = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
    steps, _, ta = tf.while_loop(
        lambda s, v, ta: tf.logical_and(v != 1, s < limit), body, [0, 5, ta]
    )
    return {"steps": steps, "tokens": ta.stack()}, [{limit: 100}, {limit: 3}]


def map_fn_with_a_cond_inside(tf):
    xs = tf.placeholder(tf.float32, [None])
    r = tf.map_fn(lambda x: tf.cond(x > 0, lambda: x * 2.0, lambda: -x), xs)
    return {"r": r}, [{xs: np.array([1.0, -2.0, 3.0], np.float32)}]


def scan_and_foldl_with_cond(tf):
    xs = tf.constant([1.0, 2.0, 3.0, 4.0])
    s = tf.scan(lambda a, x: tf.cond(x > 2.0, lambda: a + x, lambda: a * x), xs, initializer=1.0)
    f = tf.foldl(lambda a, x: a + tf.cond(x > 2.0, lambda: x, lambda: 0.0), xs, initializer=0.0)
    return {"scan": s, "foldl": f}, [{}]


def cond_returning_no_ops(tf):
    p = tf.placeholder(tf.bool, [])
    v = tf.Variable(0)
    r = tf.cond(p, lambda: tf.assign_add(v, 1).op, lambda: tf.no_op())
    with tf.control_dependencies([r]):
        after = tf.identity(v)
    return {"after": after}, [{p: True}, {p: False}, {p: True}]


def while_loop_namedtuple_state(tf):
    State = collections.namedtuple("State", ["i", "acc"])
    r = tf.while_loop(
        lambda s: s.i < 5,
        lambda s: State(s.i + 1, s.acc * 2.0),
        [State(tf.constant(0), tf.constant(1.0))],
    )
    return {"r": list(r[0]) if isinstance(r, list) else list(r)}, [{}]


def int64_maximum_iterations_tensor(tf):
    m = tf.placeholder(tf.int64, [])
    r = tf.while_loop(lambda i: i < 100, lambda i: i + 2, [tf.constant(0)], maximum_iterations=m)
    return {"r": r}, [{m: 7}, {m: 0}]


def loop_assigning_a_variable(tf):
    v = tf.Variable(1.0)

    def body(i):
        with tf.control_dependencies([tf.assign(v, v * 2.0)]):
            return i + 1

    r = tf.while_loop(lambda i: i < 4, body, [0])
    with tf.control_dependencies([r]):
        out = tf.identity(v)
    return {"v": out}, [{}, {}]


def case_inside_a_loop(tf):
    def body(i, acc):
        c = tf.case(
            [(tf.equal(i % 3, 0), lambda: acc + 1), (tf.equal(i % 3, 1), lambda: acc * 2)],
            default=lambda: acc - 1,
        )
        return i + 1, c

    return {"r": tf.while_loop(lambda i, a: i < 7, body, [0, 1])}, [{}]


def cond_with_placeholder_with_default_pred(tf):
    p = tf.placeholder_with_default(False, [])
    x = tf.constant(3.0)
    return {"r": tf.cond(p, lambda: x, lambda: -x)}, [{}, {p: True}]


def while_loop_cond_on_tensor_array_size(tf):
    ta = tf.TensorArray(tf.float32, size=4)

    def body(i, ta):
        return i + 1, ta.write(i, tf.cast(i * i, tf.float32))

    _, ta = tf.while_loop(lambda i, ta: i < ta.size(), body, [0, ta])
    return {"r": ta.stack()}, [{}]


def loop_with_a_string_tensor_array(tf):
    words = tf.constant(["a", "bb", "ccc"])

    def body(i, ta):
        return i + 1, ta.write(i, tf.strings.join([words[i], "!"]))

    _, ta = tf.while_loop(lambda i, ta: i < 3, body, [0, tf.TensorArray(tf.string, size=3)])
    return {"r": ta.stack()}, [{}]


def loop_with_gradient_wrt_variable_and_unknown_trips(tf):
    w = tf.Variable(1.5)
    x = tf.placeholder(tf.float32, [])

    def body(v):
        return v * w + 1.0

    r = tf.while_loop(lambda v: v < x, body, [tf.constant(1.0)])
    return {"r": r, "g": tf.gradients(r, w)[0]}, [{x: 10.0}]


def nested_cond_sharing_predicate(tf):
    p = tf.placeholder(tf.bool, [])
    x = tf.constant(2.0)
    r = tf.cond(p, lambda: tf.cond(p, lambda: x * 10, lambda: x * 100), lambda: x)
    return {"r": r}, [{p: True}, {p: False}]



def string_tensor_array_outside_loops(tf):
    ta = tf.TensorArray(tf.string, size=3).write(0, "a").write(2, "c").write(1, "b")
    unstacked = tf.TensorArray(tf.string, size=2).unstack(tf.constant(["x", "y"]))
    fetches = {
        "stack": ta.stack(),
        "read": ta.read(2),
        "gather": ta.gather([2, 0]),
        "unstacked": unstacked.stack(),
    }
    return fetches, [{}]


PROGRAMS = {
    name: fn
    for name, fn in dict(globals()).items()
    if callable(fn) and getattr(fn, "__module__", None) == __name__ and not name.startswith("_")
}


def run_program(tf, build) -> dict:
    """`{"build": [error class, first line]}` if building fails, else per feed dict
    (in order) the results of each fetch: `["value", nested lists]` or `["error", class,
    message]`."""
    with tf.Graph().as_default():
        try:
            fetches, feeds = build(tf)
        except Exception as e:  # noqa: BLE001  (recording whatever is raised)
            return {"build": [type(e).__name__, str(e).splitlines()[0]]}
        init = tf.global_variables_initializer()
        out = []
        with tf.Session() as sess:
            sess.run(init)
            for feed in feeds:
                out.append({name: _result(sess, f, feed) for name, f in fetches.items()})
        return {"runs": out}


def _result(sess, fetch, feed) -> list:
    try:
        return ["value", _plain(sess.run(fetch, feed))]
    except Exception as e:  # noqa: BLE001  (recording whatever is raised)
        return ["error", type(e).__name__, _core(str(e))]


def _core(message: str) -> str:
    """The kernel's own text of an error: the line after TF's "Node: '...'", or the first
    one after "Graph execution error:", else the first line."""
    lines = [x for x in message.split("\n") if x.strip()]
    after = [lines[i + 1] for i, x in enumerate(lines[:-1]) if x.startswith("Node: ")]
    if after:
        return after[0].strip()
    if lines[0].startswith("Graph execution error") and len(lines) > 1:
        return lines[1].strip()
    return lines[0].strip()


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode()
    value = np.asarray(value)
    if value.dtype.kind in "SOU":
        return [_plain(v) for v in value.tolist()] if value.ndim else _plain(value.item())
    return value.tolist()
