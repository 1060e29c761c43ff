"""Short TF1 programs of the kinds users write, as a table: each builds its graph with the
`tf` module it is given (flowgraph, or TensorFlow's `tf.compat.v1`), runs it and returns
what it saw: values, static shapes, names, errors. `tests/fixtures/make_tf1_programs.py`
records TensorFlow's answers; `tests/test_tf1_programs.py` compares flowgraph's."""

from __future__ import annotations

import numpy as np

PROGRAMS = {}

X = np.arange(12, dtype=np.float32).reshape(4, 3) / 10.0 - 0.5
Y = np.array([[1.0], [0.0], [1.0], [0.5]], np.float32)
LABELS = np.array([0, 2, 1, 2], np.int32)


def program(fn):
    PROGRAMS[fn.__name__] = fn
    return fn


def shape(t):
    """A tensor's static shape as TF prints it (None: unknown rank)."""
    return None if t.shape.ndims is None else t.shape.as_list()


def error(fn):
    """`{"error": [class name, message]}` of what `fn()` raises (None if it returns)."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001  (any class: the class is the answer)
        return {"error": [type(e).__name__, getattr(e, "message", None) or str(e)]}
    return None


def session(tf):
    sess = tf.Session()
    sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
    return sess


# -- tf.layers training -------------------------------------------------------------------------


@program
def dense_training(tf):
    x = tf.placeholder(tf.float32, [None, 3])
    h = tf.layers.dense(x, 4, tf.nn.relu, kernel_initializer=tf.constant_initializer(0.3))
    y = tf.layers.dense(h, 1, kernel_initializer=tf.ones_initializer(), name="out")
    loss = tf.losses.mean_squared_error(Y, y)
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    sess = session(tf)
    losses = [sess.run([loss, train], {x: X})[0] for _ in range(3)]
    return {
        "losses": losses,
        "shapes": [shape(h), shape(y), shape(loss)],
        "variables": [v.name for v in tf.trainable_variables()],
        "names": [h.name, y.name, loss.name],
        "kernel": sess.run(tf.trainable_variables()[0]),
    }


@program
def conv_training(tf):
    x = tf.constant(np.arange(2 * 5 * 5 * 2, dtype=np.float32).reshape(2, 5, 5, 2) / 50.0)
    c = tf.layers.conv2d(
        x, 3, 3, strides=2, padding="same", kernel_initializer=tf.ones_initializer()
    )
    v = tf.layers.conv2d(
        x,
        2,
        (2, 3),
        padding="valid",
        use_bias=False,
        kernel_initializer=tf.constant_initializer(0.1),
    )
    p = tf.layers.max_pooling2d(c, 2, 1)
    f = tf.layers.flatten(p)
    loss = tf.reduce_mean(tf.square(f)) + tf.reduce_mean(v)
    train = tf.train.AdamOptimizer(0.01).minimize(loss)
    sess = session(tf)
    # Fetched in runs of their own: in the training run TF's ref reads race the updates
    # (an Adam update of the second kernel may run before the conv that reads it).
    losses = [sess.run(loss) for _ in range(2) if sess.run(train) is None]
    return {
        "losses": losses,
        "shapes": [shape(c), shape(v), shape(p), shape(f)],
        "names": [c.name, v.name, p.name, f.name],
        "variables": sorted(v.name for v in tf.global_variables()),
    }


@program
def batch_norm_training(tf):
    x = tf.constant(X * 3.0 + 1.0)
    training = tf.placeholder_with_default(True, [])
    y = tf.layers.batch_normalization(x, momentum=0.9, training=training)
    loss = tf.reduce_sum(tf.square(y - 1.0))
    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    with tf.control_dependencies(update_ops):
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    sess = session(tf)
    for _ in range(2):
        sess.run(train)
    names = sorted(v.name for v in tf.global_variables())
    moving = [v for v in tf.global_variables() if "moving" in v.name]
    return {
        "update_ops": len(update_ops),
        "variables": names,
        "moving": sess.run(moving),
        "inference": sess.run(y, {training: False}),
        "shape": shape(y),
    }


@program
def dropout_and_dense_layers(tf):
    x = tf.placeholder(tf.float32, [None, 3])
    layer = tf.layers.Dense(2, kernel_initializer=tf.constant_initializer(0.5), name="d")
    y = layer(tf.layers.dropout(x, 0.5, training=False))
    z = layer(x)  # the same layer again: its variables shared
    sess = session(tf)
    return {
        "y": sess.run(y, {x: X}),
        "same": sess.run(z, {x: X}),
        "variables": [v.name for v in tf.global_variables()],
        "names": [y.name, z.name],
    }


# -- tf.losses -------------------------------------------------------------------------------


@program
def losses_reductions(tf):
    pred = tf.constant(X[:, :1] * 2.0)
    weights = tf.constant([[1.0], [0.0], [2.0], [0.5]])
    losses, shapes = {}, {}
    for r in ("NONE", "SUM", "MEAN", "SUM_OVER_BATCH_SIZE", "SUM_BY_NONZERO_WEIGHTS"):
        reduction = getattr(tf.losses.Reduction, r)
        losses[r] = tf.losses.mean_squared_error(Y, pred, weights, reduction=reduction)
        shapes[r] = shape(losses[r])
    losses["scalar_weight"] = tf.losses.absolute_difference(Y, pred, 3.0)
    sess = session(tf)
    result = {"values": sess.run(losses), "shapes": shapes}
    result["collection"] = len(tf.get_collection(tf.GraphKeys.LOSSES))
    result["names"] = [t.name for t in tf.get_collection(tf.GraphKeys.LOSSES)]
    return result


@program
def losses_classification(tf):
    logits = tf.constant(X)
    onehot = tf.one_hot(LABELS, 3)
    w = tf.constant([1.0, 2.0, 0.0, 1.0])
    losses = {
        "softmax": tf.losses.softmax_cross_entropy(onehot, logits, label_smoothing=0.1),
        "sparse": tf.losses.sparse_softmax_cross_entropy(LABELS, logits, weights=w),
        "sigmoid": tf.losses.sigmoid_cross_entropy(onehot, logits, label_smoothing=0.2),
        "hinge": tf.losses.hinge_loss(onehot, logits),
        "huber": tf.losses.huber_loss(onehot, logits * 4.0, delta=0.5),
        "log": tf.losses.log_loss(onehot, tf.nn.sigmoid(logits)),
        "cosine": tf.losses.cosine_distance(
            tf.nn.l2_normalize(onehot, 1), tf.nn.l2_normalize(logits, 1), axis=1
        ),
        "pairwise": tf.losses.mean_pairwise_squared_error(onehot, logits),
    }
    reg = tf.get_variable("w", initializer=tf.constant([1.0, -2.0]), regularizer=tf.nn.l2_loss)
    losses["total"] = tf.losses.get_total_loss()
    losses["regularization"] = tf.losses.get_regularization_loss()
    sess = session(tf)
    del reg
    return {**sess.run(losses), "names": {k: v.name for k, v in losses.items()}}


# -- tf.metrics ------------------------------------------------------------------------------


@program
def metrics_streaming(tf):
    labels = tf.placeholder(tf.int64, [None])
    preds = tf.placeholder(tf.int64, [None])
    scores = tf.placeholder(tf.float32, [None])
    metrics = {
        "accuracy": tf.metrics.accuracy(labels, preds),
        "precision": tf.metrics.precision(labels, preds),
        "recall": tf.metrics.recall(labels, preds),
        "mean": tf.metrics.mean(scores, weights=tf.cast(labels, tf.float32) + 1.0),
        "auc": tf.metrics.auc(labels, scores, num_thresholds=11),
        "mean_iou": tf.metrics.mean_iou(labels, preds, 2),
        "rmse": tf.metrics.root_mean_squared_error(tf.cast(labels, tf.float32), scores),
        "mae": tf.metrics.mean_absolute_error(tf.cast(labels, tf.float32), scores),
    }
    values = {k: v[0] for k, v in metrics.items()}
    updates = [v[1] for v in metrics.values()]
    sess = session(tf)
    feeds = [
        ([1, 0, 1, 1], [1, 1, 0, 1], [0.9, 0.6, 0.3, 0.8]),
        ([0, 0, 1], [0, 1, 1], [0.2, 0.7, 0.95]),
    ]
    for a, b, c in feeds:
        sess.run(updates, {labels: a, preds: b, scores: c})
    return {
        **sess.run(values),
        "locals": sorted(v.name for v in tf.local_variables()),
        "names": {k: [t.name for t in v] for k, v in metrics.items()},
    }


# -- tf.nn -----------------------------------------------------------------------------------


@program
def nn_edge_cases(tf):
    inf = np.float32(np.inf)
    big = tf.constant([[1000.0, 0.0, -1000.0], [-inf, 0.0, 1.0]])
    zeros = tf.zeros([2, 3])
    out = {
        "softmax": tf.nn.softmax(big),
        "log_softmax": tf.nn.log_softmax(tf.constant([[1000.0, 0.0, -1000.0]])),
        "l2_normalize_zeros": tf.nn.l2_normalize(zeros, 1),
        "moments": tf.nn.moments(tf.constant(X), [0]),
        "top_k": tf.nn.top_k(tf.constant([3.0, 1.0, 3.0, 2.0, 3.0]), 2),
        "in_top_k": tf.nn.in_top_k(tf.constant(X), LABELS, 1),
        "relu6": tf.nn.relu6(tf.constant([-1.0, 3.0, 7.0])),
        "leaky": tf.nn.leaky_relu(tf.constant([-2.0, 2.0]), alpha=0.3),
        "softplus": tf.nn.softplus(tf.constant([-100.0, 0.0, 100.0])),
        "sigmoid_xent": tf.nn.sigmoid_cross_entropy_with_logits(
            labels=tf.constant([0.0, 1.0, 0.5]), logits=tf.constant([-50.0, 50.0, 0.0])
        ),
        "weighted_xent": tf.nn.weighted_cross_entropy_with_logits(
            tf.constant([1.0, 0.0]), tf.constant([0.5, -0.5]), 3.0
        ),
        "softmax_xent_v2": tf.nn.softmax_cross_entropy_with_logits_v2(
            labels=tf.one_hot(LABELS, 3), logits=tf.constant(X)
        ),
        "bias_add": tf.nn.bias_add(tf.constant(X), tf.constant([1.0, 2.0, 3.0])),
        "elu_selu": [tf.nn.elu(tf.constant([-1.0, 1.0])), tf.nn.selu(tf.constant([-1.0, 1.0]))],
        "zero_fraction": tf.nn.zero_fraction(tf.constant([0.0, 1.0, 0.0, 2.0])),
    }
    sess = session(tf)
    return sess.run(out)


@program
def nn_pooling_and_conv_shapes(tf):
    x = tf.constant(np.arange(1 * 5 * 5 * 1, dtype=np.float32).reshape(1, 5, 5, 1))
    w = tf.constant(np.ones((3, 3, 1, 2), np.float32))
    out = {
        "avg_same": tf.nn.avg_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME"),
        "max_valid": tf.nn.max_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], "VALID"),
        "conv_same_s2": tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME"),
        "conv_transpose": tf.nn.conv2d_transpose(
            tf.ones([1, 3, 3, 2]), w, [1, 6, 6, 1], [1, 2, 2, 1], "SAME"
        ),
        "depthwise": tf.nn.depthwise_conv2d(x, tf.ones([2, 2, 1, 2]), [1, 1, 1, 1], "VALID"),
        "atrous": tf.nn.atrous_conv2d(x, w, 2, "SAME"),
    }
    shapes = {k: shape(v) for k, v in out.items()}
    sess = session(tf)
    return {"values": sess.run(out), "shapes": shapes, "names": {k: v.name for k, v in out.items()}}


@program
def embedding_lookups(tf):
    p0 = tf.constant([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    p1 = tf.constant([[10.0, 11.0], [12.0, 13.0]])
    ids = tf.constant([0, 1, 2, 3, 4])
    sp = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], tf.constant([1, 3, 4], tf.int64), [2, 2])
    w = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], tf.constant([1.0, 3.0, 2.0]), [2, 2])
    out = {
        "mod": tf.nn.embedding_lookup([p0, p1], ids),
        "div": tf.nn.embedding_lookup([p0, p1], ids, partition_strategy="div"),
        "max_norm": tf.nn.embedding_lookup(p0, [2], max_norm=1.0),
        "sparse_mean": tf.nn.embedding_lookup_sparse([p0, p1], sp, w, combiner="mean"),
        "sparse_sqrtn": tf.nn.embedding_lookup_sparse([p0, p1], sp, None, combiner="sqrtn"),
    }
    return session(tf).run(out)


# -- strings and sparse ----------------------------------------------------------------------


@program
def string_ops(tf):
    s = tf.constant(["hello world", "a  b", ""])
    split = tf.string_split(s)
    out = {
        "split_indices": split.indices,
        "split_values": split.values,
        "split_shape": split.dense_shape,
        "substr": tf.substr(s[:2], 1, 3),
        "join": tf.string_join([s, tf.constant("!")], separator="-"),
        "regex": tf.regex_replace(s, "o", "0"),
        "number": tf.string_to_number(tf.constant(["1.5", "-2", "3e2"])),
        "as_string": tf.as_string(tf.constant([1.23456, 2.0]), precision=2),
        "reduce_join": tf.reduce_join(tf.constant([["a", "b"], ["c", "d"]]), 1, separator=","),
        "length": tf.strings.length(s),
        "hash": tf.string_to_hash_bucket_fast(s, 100),
        "upper": tf.strings.upper(s),
    }
    sess = session(tf)
    return {**sess.run(out), "substr_past_end": error(lambda: sess.run(tf.substr(s, 1, 3)))}


@program
def sparse_ops(tf):
    a = tf.SparseTensor([[0, 1], [1, 0], [2, 2]], [1.0, 2.0, 3.0], [3, 3])
    b = tf.SparseTensor([[0, 1], [2, 0]], [10.0, 20.0], [3, 3])
    unordered = tf.SparseTensor([[2, 2], [0, 1]], [5.0, 6.0], [3, 3])
    out = {
        "dense": tf.sparse_tensor_to_dense(a),
        "reduce_sum": tf.sparse_reduce_sum(a, 1),
        "add": tf.sparse_tensor_to_dense(tf.sparse_add(a, b)),
        "reorder": tf.sparse_reorder(unordered).indices,
        "matmul": tf.sparse_tensor_dense_matmul(a, tf.constant(X[:3])),
        "concat": tf.sparse_tensor_to_dense(tf.sparse_concat(1, [a, b])),
        "retain": tf.sparse_retain(a, [True, False, True]).values,
        "to_dense_default": tf.sparse_to_dense([[0], [2]], [4], [5, 6], default_value=-1),
        "softmax": tf.sparse_softmax(a).values,
    }
    return session(tf).run(out)


# -- gather and scatter ----------------------------------------------------------------------


@program
def gather_scatter(tf):
    params = tf.constant(X)
    v = tf.Variable(tf.zeros([4, 2]))
    scatter = tf.scatter_add(v, [0, 2, 0], tf.ones([3, 2]))
    out = {
        "gather_axis1": tf.gather(params, [2, 0], axis=1),
        "gather_nd": tf.gather_nd(params, [[0, 1], [3, 2]]),
        "batch_gather": tf.batch_gather(params, [[0], [1], [2], [0]]),
        "scatter_nd": tf.scatter_nd([[1], [3], [1]], [1.0, 2.0, 3.0], [5]),
        "tensor_scatter": tf.tensor_scatter_update(params, [[0, 0]], [9.0]),
        "segment_sum": tf.unsorted_segment_sum(params, [1, 0, 1, 2], 3),
        "segment_mean": tf.segment_mean(params, [0, 0, 1, 1]),
        "dynamic_partition": tf.dynamic_partition(params, [0, 1, 0, 1], 2),
        "dynamic_stitch": tf.dynamic_stitch([[0, 2], [1]], [[1.0, 2.0], [3.0]]),
    }
    sess = session(tf)
    values = sess.run(out)
    values["scatter_add"] = sess.run(scatter)
    values["update"] = sess.run(tf.scatter_update(v, [1], [[5.0, 6.0]]))
    values["shapes"] = {k: shape(t) for k, t in out.items() if not isinstance(t, list)}
    return values


# -- tf.image --------------------------------------------------------------------------------


@program
def image_ops(tf):
    img = tf.constant(np.arange(4 * 4 * 3, dtype=np.float32).reshape(4, 4, 3))
    batch = tf.expand_dims(img, 0)
    out = {
        "bilinear": tf.image.resize_images(batch, [6, 5]),
        "bilinear_align": tf.image.resize_bilinear(batch, [3, 3], align_corners=True),
        "nearest": tf.image.resize_images(batch, [2, 6], tf.image.ResizeMethod.NEAREST_NEIGHBOR),
        "crop_or_pad": tf.image.resize_image_with_crop_or_pad(img, 3, 6),
        "central_crop": tf.image.central_crop(img, 0.5),
        "crop_box": tf.image.crop_to_bounding_box(img, 1, 0, 2, 3),
        "flip": tf.image.flip_left_right(img),
        "standardize": tf.image.per_image_standardization(img),
        "gray": tf.image.rgb_to_grayscale(img),
        "brightness": tf.image.adjust_brightness(img / 48.0, 0.25),
        "convert": tf.image.convert_image_dtype(tf.constant([[0, 128, 255]], tf.uint8), tf.float32),
        "pad_to_box": tf.image.pad_to_bounding_box(img, 1, 1, 6, 5),
    }
    shapes = {k: shape(v) for k, v in out.items()}
    return {"values": session(tf).run(out), "shapes": shapes}


# -- tf.train schedules and averages -----------------------------------------------------------


@program
def learning_rate_decays(tf):
    step = tf.train.get_or_create_global_step()
    rates = {
        "exponential": tf.train.exponential_decay(0.1, step, 3, 0.5),
        "staircase": tf.train.exponential_decay(0.1, step, 3, 0.5, staircase=True),
        "piecewise": tf.train.piecewise_constant(step, [2, 5], [1.0, 0.5, 0.1]),
        "polynomial": tf.train.polynomial_decay(0.1, step, 4, 0.01, power=2.0),
        "polynomial_cycle": tf.train.polynomial_decay(0.1, step, 4, 0.01, cycle=True),
        "inverse_time": tf.train.inverse_time_decay(0.1, step, 2, 0.5),
        "natural_exp": tf.train.natural_exp_decay(0.1, step, 2, 0.5, staircase=True),
        "cosine": tf.train.cosine_decay(0.1, step, 6, alpha=0.1),
        "cosine_restarts": tf.train.cosine_decay_restarts(0.1, step, 3),
        "linear_cosine": tf.train.linear_cosine_decay(0.1, step, 6),
    }
    inc = tf.assign_add(step, 1)
    sess = session(tf)
    seen = []
    for _ in range(7):
        seen.append(sess.run(rates))
        sess.run(inc)
    return {
        "rates": {k: [s[k] for s in seen] for k in rates},
        "step": step.name,
        "names": {k: v.name for k, v in rates.items()},
    }


@program
def moving_averages(tf):
    w = tf.Variable(1.0, name="w")
    b = tf.Variable([2.0, 4.0], name="b")
    step = tf.Variable(0, trainable=False)
    ema = tf.train.ExponentialMovingAverage(0.9, num_updates=step)
    train = tf.group(w.assign_add(1.0), b.assign(b * 0.5), step.assign_add(1))
    with tf.control_dependencies([train]):
        apply = ema.apply([w, b])
    sess = session(tf)
    for _ in range(3):
        sess.run(apply)
    return {
        "averages": sess.run([ema.average(w), ema.average(b)]),
        "names": [ema.average_name(w), ema.average(b).name],
        "restore": sorted(ema.variables_to_restore().keys()),
        "moving_collection": len(tf.moving_average_variables()),
    }


@program
def optimizers(tf):
    out = {}
    for name, make in [
        ("momentum", lambda: tf.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True)),
        ("rmsprop", lambda: tf.train.RMSPropOptimizer(0.01, momentum=0.5, centered=True)),
        ("adagrad", lambda: tf.train.AdagradOptimizer(0.1)),
        ("adadelta", lambda: tf.train.AdadeltaOptimizer(1.0)),
        ("ftrl", lambda: tf.train.FtrlOptimizer(0.1, l1_regularization_strength=0.01)),
        ("adam", lambda: tf.train.AdamOptimizer(0.1)),
    ]:
        with tf.variable_scope(name):
            v = tf.get_variable("v", initializer=tf.constant([1.0, -2.0]))
            step = tf.Variable(0, trainable=False, name="step")
            opt = make()
            train = opt.minimize(tf.reduce_sum(tf.square(v) * [1.0, 3.0]), global_step=step)
        out[name] = (v, step, train, opt.get_slot_names())
    sess = session(tf)
    result = {}
    for name, (v, step, train, slots) in out.items():
        for _ in range(3):
            sess.run(train)
        result[name] = {"value": sess.run(v), "step": sess.run(step), "slots": sorted(slots)}
    result["variables"] = sorted(v.name for v in tf.global_variables())
    return result


@program
def gradient_clipping(tf):
    a = tf.constant([3.0, 4.0])
    b = tf.constant([[1.0, 2.0], [2.0, 4.0]])
    clipped, norm = tf.clip_by_global_norm([a, b], 2.0)
    out = {
        "global": clipped,
        "norm": norm,
        "by_norm": tf.clip_by_norm(b, 1.0, axes=[1]),
        "by_value": tf.clip_by_value(a, 3.5, 10.0),
        "average_norm": tf.clip_by_average_norm(a, 1.0),
    }
    return session(tf).run(out)


# -- scopes and collections ------------------------------------------------------------------


@program
def variable_scopes(tf):
    with tf.variable_scope("model"):
        a = tf.get_variable("a", [2], initializer=tf.zeros_initializer())
        with tf.name_scope("ns"):
            c = tf.get_variable("c", [1])
            op = tf.add(a, 1.0, name="plus")
    with tf.variable_scope("model", reuse=True):
        a2 = tf.get_variable("a", [2])
    with tf.variable_scope("model", reuse=tf.AUTO_REUSE):
        a3 = tf.get_variable("a", [2])
        d = tf.get_variable("d", [3])
    with tf.variable_scope("model") as scope:
        scope.reuse_variables()
        a4 = tf.get_variable("a")

    def again():
        with tf.variable_scope("model"):
            tf.get_variable("a", [2])

    def missing():
        with tf.variable_scope("model", reuse=True):
            tf.get_variable("zzz", [2])

    def wrong_shape():
        with tf.variable_scope("model", reuse=True):
            tf.get_variable("a", [3])

    with tf.variable_scope("outer", default_name="x"):
        e = tf.Variable(1.0, name="e")
        f = tf.layers.dense(tf.zeros([1, 2]), 1, name="layer")
    return {
        "names": [a.name, c.name, op.name, d.name, e.name, f.name],
        "same": [a2 is a, a3 is a, a4 is a],
        "again": error(again),
        "missing": error(missing),
        "wrong_shape": error(wrong_shape),
        "variables": [v.name for v in tf.global_variables()],
    }


@program
def collections(tf):
    x = tf.placeholder(tf.float32, [None, 2])
    tf.layers.dense(x, 3, kernel_regularizer=lambda w: 0.1 * tf.reduce_sum(tf.abs(w)), name="reg")
    tf.add_to_collection("mine", tf.constant(1.0, name="one"))
    tf.add_to_collections(["mine", "other"], tf.constant(2.0, name="two"))
    v = tf.Variable(
        0.0, trainable=False, name="counter", collections=[tf.GraphKeys.LOCAL_VARIABLES]
    )
    with tf.name_scope("scope_a"):
        tf.add_to_collection("scoped", tf.constant(3.0, name="three"))
    step = tf.train.get_or_create_global_step()
    keys = [
        tf.GraphKeys.REGULARIZATION_LOSSES,
        tf.GraphKeys.TRAINABLE_VARIABLES,
        tf.GraphKeys.GLOBAL_STEP,
    ]
    return {
        "mine": [t.name for t in tf.get_collection("mine")],
        "other": [t.name for t in tf.get_collection("other")],
        "scoped": [t.name for t in tf.get_collection("scoped", scope="scope_a")],
        "unscoped": len(tf.get_collection("scoped", scope="nope")),
        "locals": [t.name for t in tf.local_variables()],
        "by_key": {k: [t.name for t in tf.get_collection(k)] for k in keys},
        "global_step": [step.name, tf.train.get_global_step().name],
        "counter": v.name,
    }


# -- static shapes and build-time errors -------------------------------------------------------


@program
def static_shapes(tf):
    x = tf.placeholder(tf.float32, [None, 3])
    u = tf.placeholder(tf.float32)
    z = tf.zeros([2, 0])
    parts = tf.split(tf.zeros([6, 4]), [1, 2, 3])
    shapes = {
        "reshape": tf.reshape(x, [-1, 3, 1]),
        "reshape_infer": tf.reshape(tf.zeros([4, 6]), [-1, 8]),
        "concat": tf.concat([x, x], 1),
        "tile": tf.tile(x, [2, 2]),
        "matmul": tf.matmul(x, tf.zeros([3, 5])),
        "reduce_keep": tf.reduce_sum(x, 1, keepdims=True),
        "stack": tf.stack([x, x], axis=1),
        "split": parts[2],
        "transpose": tf.transpose(x),
        "unknown_rank": u + 1.0,
        "zero_dim": z * 2.0,
        "zero_dim_reduce": tf.reduce_sum(z, 1),
        "shape_of": tf.shape(x),
        "one_hot": tf.one_hot(tf.placeholder(tf.int32, [None]), 4),
        "where": tf.where(tf.placeholder(tf.bool, [None, 2])),
        "boolean_mask": tf.boolean_mask(x, tf.placeholder(tf.bool, [None])),
        "squeeze": tf.squeeze(tf.zeros([1, 3, 1])),
        "expand": tf.expand_dims(x, -1),
        "slice": tf.slice(x, [0, 1], [-1, 2]),
        "strided": x[:, 1:],
        "gather": tf.gather(x, [0, 1, 1]),
        "pad": tf.pad(x, [[1, 1], [0, 2]]),
        "argmax": tf.argmax(x, 1),
        "cast_scalar": tf.cast(tf.constant(3), tf.float32),
        "range": tf.range(5),
        "fill": tf.fill([2, 3], 1.0),
        "sequence_mask": tf.sequence_mask([1, 3], 4),
    }
    return {k: shape(v) for k, v in shapes.items()}


@program
def build_errors(tf):
    x = tf.placeholder(tf.float32, [None, 3])
    return {
        "matmul": error(lambda: tf.matmul(x, tf.zeros([4, 2]))),
        "matmul_rank": error(lambda: tf.matmul(tf.zeros([3]), tf.zeros([3, 2]))),
        "add": error(lambda: tf.add(tf.zeros([2, 3]), tf.zeros([4]))),
        "reshape": error(lambda: tf.reshape(tf.zeros([2, 3]), [4, 2])),
        "concat": error(lambda: tf.concat([tf.zeros([2, 3]), tf.zeros([2, 3, 1])], 0)),
        "where": error(lambda: tf.where(tf.zeros([2], tf.bool), tf.zeros([3]), tf.zeros([3]))),
        "dtype": error(lambda: tf.add(tf.zeros([2]), tf.zeros([2], tf.int32))),
        "dtype_operator": error(lambda: tf.zeros([2]) + tf.zeros([2], tf.int32)),
        "assign": error(lambda: tf.Variable(tf.zeros([2])).assign(tf.zeros([3]))),
        "gather_axis": error(lambda: tf.gather(tf.zeros([2, 3]), [0], axis=2)),
        "squeeze": error(lambda: tf.squeeze(tf.zeros([2, 3]), [0])),
    }


@program
def run_errors(tf):
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.reshape(x, [2, 3])
    sess = session(tf)
    return {
        "reshape": error(lambda: sess.run(y, {x: X})),
        "feed_shape": error(lambda: sess.run(x, {x: np.zeros([2, 4])})),
        "missing_feed": error(lambda: sess.run(x * 2.0)),
        "uninitialized": error(lambda: tf.Session().run(tf.Variable(1.0, name="fresh"))),
    }


# -- math ------------------------------------------------------------------------------------


@program
def math_semantics(tf):
    i = tf.constant([7, -7, 7, -7])
    j = tf.constant([2, 2, -2, -2])
    out = {
        "div": tf.div(i, j),
        "truediv": tf.truediv(i, j),
        "floordiv": tf.floordiv(i, j),
        "mod": tf.mod(i, j),
        "truncatemod": tf.truncatemod(i, j),
        "round": tf.round(tf.constant([0.5, 1.5, 2.5, -0.5])),
        "cumsum": tf.cumsum(tf.constant([1, 2, 3]), exclusive=True, reverse=True),
        "cumprod": tf.cumprod(tf.constant([1.0, 2.0, 3.0]), exclusive=True),
        "mean_int": tf.reduce_mean(tf.constant([1, 2])),
        "argmax_ties": tf.argmax(tf.constant([1.0, 3.0, 3.0])),
        "unique": list(tf.unique(tf.constant([4, 1, 4, 2, 1]))),
        "setdiff": list(tf.setdiff1d([1, 2, 3, 4], [2, 4])),
        "bincount": tf.bincount(tf.constant([1, 1, 3])),
        "count_nonzero": tf.count_nonzero(tf.constant([[0, 1], [2, 0]]), 1),
        "logsumexp": tf.reduce_logsumexp(tf.constant([[1000.0, 1000.0], [-np.inf, -np.inf]]), 1),
        "pow_int": tf.pow(tf.constant([2, 3]), 3),
        "sign": tf.sign(tf.constant([-0.0, 2.0, -3.0])),
        "segment_ids": tf.math.segment_max(tf.constant([1.0, 5.0, 2.0]), [0, 0, 1]),
        "einsum": tf.einsum("ij,jk->ik", tf.constant(X), tf.constant(X.T)),
        "tensordot": tf.tensordot(tf.constant(X), tf.constant(X), [[0], [0]]),
        "batch_matmul": tf.matmul(tf.ones([2, 2, 3]), tf.ones([2, 3, 1])),
    }
    types = {k: v.dtype.name for k, v in out.items() if not isinstance(v, list)}
    return {"values": session(tf).run(out), "dtypes": types}


@program
def array_manipulation(tf):
    x = tf.constant(X)
    out = {
        "one_hot_axis0": tf.one_hot([0, 2], 3, on_value=5.0, off_value=-1.0, axis=0),
        "sequence_mask": tf.sequence_mask([1, 3], 4),
        "boolean_mask": tf.boolean_mask(x, [True, False, True, False]),
        "where1": tf.where(tf.constant([[True, False], [False, True]])),
        "reverse_sequence": tf.reverse_sequence(x, [1, 2, 3, 0], seq_axis=1, batch_axis=0),
        "matrix_band": tf.matrix_band_part(tf.ones([3, 3]), 0, 1),
        "space_to_depth": tf.space_to_depth(tf.reshape(tf.range(16.0), [1, 4, 4, 1]), 2),
        "meshgrid": tf.meshgrid([1, 2], [3, 4, 5]),
        "roll": tf.roll(tf.range(5), 2, 0),
        "unstack": tf.unstack(x, axis=1),
        "diag": tf.diag([1.0, 2.0]),
        "invert_permutation": tf.invert_permutation([2, 0, 1]),
        "broadcast_to": tf.broadcast_to([1, 2], [2, 2]),
    }
    return session(tf).run(out)


# -- control flow and gradients ------------------------------------------------------------------


@program
def control_flow_training(tf):
    x = tf.constant([1.0, 2.0])
    w = tf.Variable([0.5, -0.5])
    p = tf.placeholder(tf.bool, [])
    y = tf.cond(p, lambda: tf.reduce_sum(w * x), lambda: tf.reduce_sum(tf.square(w)))
    i, acc = tf.while_loop(
        lambda i, a: i < 3, lambda i, a: [i + 1, a * 2.0 + y], [0, 0.0], maximum_iterations=10
    )
    train = tf.train.GradientDescentOptimizer(0.1).minimize(acc)
    sess = session(tf)
    out = []
    for flag in (True, False, True):
        out.append(sess.run([acc, train], {p: flag})[0])
    return {"acc": out, "w": sess.run(w), "names": [y.name, acc.name]}


@program
def gradients(tf):
    x = tf.constant([1.0, 2.0])
    y = tf.constant(3.0)
    a = x * y
    b = tf.stop_gradient(a) * x + tf.reduce_sum(tf.square(x))
    g = tf.gradients([a, b], [x, y], grad_ys=[tf.constant([1.0, 0.5]), None])
    unconnected = tf.gradients(b, tf.constant(1.0))
    zero = tf.gradients(b, [y, tf.constant(1.0)], unconnected_gradients="zero")
    hess = tf.hessians(tf.reduce_sum(x**3), x)
    sess = session(tf)
    return {
        "g": sess.run(g),
        "unconnected": unconnected[0] is None,
        "zero": sess.run(zero),
        "hessian": sess.run(hess),
        "names": [t.name for t in g],
    }


@program
def rnn_cells(tf):
    x = tf.constant(np.arange(2 * 3 * 2, dtype=np.float32).reshape(2, 3, 2) / 10.0)
    init = tf.constant_initializer(0.1)
    with tf.variable_scope("rnn", initializer=init):
        cell = tf.nn.rnn_cell.BasicLSTMCell(3)
        out, state = tf.nn.dynamic_rnn(cell, x, sequence_length=[3, 2], dtype=tf.float32)
    with tf.variable_scope("gru", initializer=init):
        gout, gstate = tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(2), x, dtype=tf.float32)
    sess = session(tf)
    return {
        "out": sess.run(out),
        "state": sess.run(list(state)),
        "gru": sess.run([gout, gstate]),
        "shapes": [shape(out), shape(state.c), shape(gout)],
        "variables": [v.name for v in tf.global_variables()],
    }


@program
def initialized_value_chains(tf):
    v = tf.Variable([1.0, 2.0], name="v")
    w = tf.Variable(v.initialized_value() * 2.0, name="w")
    u = tf.get_variable("u", initializer=w.initialized_value() + 1.0)
    sess = session(tf)
    sess.run(v.assign([5.0, 5.0]))
    return {
        "values": sess.run([v, w, u, v.initialized_value()]),
        "shape": shape(w.initialized_value()),
    }


@program
def print_and_asserts(tf):
    x = tf.constant([1.0, 2.0])
    with tf.control_dependencies([tf.assert_positive(x), tf.assert_equal(tf.shape(x), [2])]):
        y = tf.identity(x)
    fed = tf.placeholder(tf.float32, [2])
    bad = tf.assert_less(fed, 1.5, message="too big")
    sess = session(tf)
    return {
        "y": sess.run(y),
        "static": error(lambda: tf.assert_less(x, 1.5, message="too big")),
        "bad": error(lambda: sess.run(bad, {fed: [1.0, 2.0]})),
    }


@program
def queues(tf):
    q = tf.FIFOQueue(5, [tf.float32, tf.int32], shapes=[[2], []])
    enqueue = q.enqueue_many([tf.constant(X[:3, :2]), tf.constant([1, 2, 3])])
    many = q.dequeue_many(2)
    one = q.dequeue()
    close = q.close()
    sess = session(tf)
    sess.run(enqueue)
    size = sess.run(q.size())
    values = sess.run(many)
    sess.run(close)
    last = sess.run(one)
    return {
        "size": size,
        "many": values,
        "last": last,
        "closed": error(lambda: sess.run(one)),
        "shapes": [shape(t) for t in many] + [shape(t) for t in one],
        "names": [t.name for t in many],
    }


@program
def datasets(tf):
    data = tf.data.Dataset.from_tensor_slices((X, LABELS)).map(lambda x, y: (x * 2.0, y + 1))
    batched = data.batch(3).repeat(2)
    it = tf.data.make_one_shot_iterator(batched)
    x, y = it.get_next()
    sess = tf.Session()
    seen = [sess.run([x, y]) for _ in range(4)]
    return {
        "seen": seen,
        "end": error(lambda: sess.run(x)),
        "shapes": [shape(x), shape(y)],
        "types": [x.dtype.name, y.dtype.name],
    }


@program
def fused_batch_norm(tf):
    x = tf.constant(np.arange(2 * 2 * 2 * 3, dtype=np.float32).reshape(2, 2, 2, 3) / 7.0)
    scale, offset = tf.constant([1.0, 2.0, 0.5]), tf.constant([0.0, 1.0, -1.0])
    y, mean, var = tf.nn.fused_batch_norm(x, scale, offset, epsilon=0.01)
    y2, _, _ = tf.nn.fused_batch_norm(x, scale, offset, mean, var, is_training=False)
    m, v = tf.nn.moments(x, [0, 1, 2])
    y3 = tf.nn.batch_normalization(x, m, v, offset, scale, 0.01)
    return {"values": session(tf).run([y, mean, var, y2, y3]), "shapes": [shape(mean), shape(y)]}


@program
def tensor_arrays(tf):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True, clear_after_read=False)

    def body(i, ta):
        return i + 1, ta.write(i, tf.cast(i, tf.float32) * 2.0)

    _, ta = tf.while_loop(lambda i, ta: i < 4, body, [0, ta])
    stacked = ta.stack()
    fixed = tf.TensorArray(tf.float32, size=3, element_shape=[2]).unstack(X[:3, :2])
    return {
        "stacked": session(tf).run([stacked, ta.size(), ta.read(2), fixed.concat()]),
        "shapes": [shape(stacked), shape(fixed.concat()), shape(fixed.read(0))],
    }


@program
def functional_ops(tf):
    x = tf.constant(X)
    out = {
        "map_fn": tf.map_fn(lambda r: tf.reduce_sum(r) * 2.0, x),
        "map_fn_tuple": tf.map_fn(lambda r: (r[0], r[1] + 1.0), x, dtype=(tf.float32, tf.float32)),
        "scan": tf.scan(lambda a, r: a + r, x),
        "scan_init": tf.scan(lambda a, r: a * 0.5 + r, x, initializer=tf.ones([3])),
        "foldl": tf.foldl(lambda a, r: a + tf.reduce_max(r), x, initializer=0.0),
        "foldr": tf.foldr(lambda a, r: a - r, tf.constant([1.0, 2.0, 3.0])),
    }
    shapes = {k: shape(v) for k, v in out.items() if not isinstance(v, tuple)}
    return {"values": session(tf).run(out), "shapes": shapes}


@program
def saver_roundtrip(tf):
    import tempfile

    v = tf.Variable([1.0, 2.0], name="v")
    with tf.variable_scope("s"):
        w = tf.get_variable("w", initializer=tf.constant(3))
    saver = tf.train.Saver()
    sess = session(tf)
    with tempfile.TemporaryDirectory() as d:
        path = saver.save(sess, d + "/model", global_step=7)
        sess.run([v.assign([5.0, 6.0]), w.assign(9)])
        saver.restore(sess, path)
        listed = tf.train.list_variables(path)
        latest = tf.train.latest_checkpoint(d)
        missing = error(lambda: saver.restore(sess, d + "/nothing"))
        missing["error"][1] = missing["error"][1].replace(d, "DIR")
        return {
            "restored": sess.run([v, w]),
            "listed": listed,
            "path": path[len(d) :],
            "latest": latest[len(d) :],
            "missing": missing,
        }


# -- wider sweep: kinds the programs above leave out ------------------------------------------


@program
def dead_branch_updates(tf):
    p = tf.placeholder(tf.bool, [])
    v = tf.Variable([1.0, 2.0, 3.0])
    w = tf.Variable([1.0, 2.0, 3.0])
    u = tf.Variable([2.0, 2.0, 2.0])
    made = {}

    def true_fn():
        made["rows"] = tf.constant([10.0, 20.0]) * 2.0
        return tf.constant(0.0)

    tf.cond(p, true_fn, lambda: tf.constant(1.0))
    updates = [
        tf.scatter_add(v, [0, 2], made["rows"]),
        tf.scatter_update(w, [1, 2], made["rows"]),
        tf.scatter_mul(u, [0, 1], made["rows"]),
    ]
    sess = session(tf)
    seen = []
    for taken in (False, True, False):
        sess.run([t.op for t in updates], {p: taken})
        seen.append(sess.run([v, w, u]))
    return {"seen": seen, "fetch_dead": error(lambda: sess.run(updates[0], {p: False}))}


@program
def seeded_random(tf):
    tf.set_random_seed(1234)
    out = {
        "uniform": tf.random_uniform([3], seed=7),
        "normal": tf.random_normal([2, 2], seed=8),
        "truncated": tf.truncated_normal([3], seed=9),
        "int": tf.random_uniform([4], 0, 10, dtype=tf.int32, seed=10),
        "dropout": tf.nn.dropout(tf.ones([8]), keep_prob=0.5, seed=11),
        "shuffle": tf.random_shuffle(tf.range(6), seed=12),
    }
    sess = tf.Session()
    first, second = sess.run(out), sess.run(out)
    return {"first": first, "second": second, "shapes": {k: shape(t) for k, t in out.items()}}


@program
def sampled_losses(tf):
    weights = tf.constant(np.arange(24, dtype=np.float32).reshape(6, 4) / 24.0)
    biases = tf.constant(np.linspace(-0.5, 0.5, 6, dtype=np.float32))
    inputs = tf.constant(X[:, :2].repeat(2, axis=1))
    labels = tf.constant([[0], [2], [5], [1]], tf.int64)
    sampled = (tf.constant([1, 3, 4], tf.int64), tf.ones([4]), tf.ones([3]))
    nce = tf.nn.nce_loss(weights, biases, labels, inputs, 3, 6, sampled_values=sampled)
    softmax = tf.nn.sampled_softmax_loss(
        weights, biases, labels, inputs, 3, 6, sampled_values=sampled, remove_accidental_hits=True
    )
    return {"values": tf.Session().run([nce, softmax]), "shapes": [shape(nce), shape(softmax)]}


@program
def gradient_options(tf):
    x = tf.constant([1.0, 2.0, 3.0])
    y = tf.constant([0.5, -1.0, 2.0])
    a = x * y
    b = a * a + x
    z = tf.reduce_sum(b)
    unused = tf.constant(1.0)
    out = {
        "grad_ys": tf.gradients(b, x, grad_ys=tf.constant([1.0, 0.0, 2.0])),
        "stop": tf.gradients(z, x, stop_gradients=[a]),
        "many": tf.gradients([z, tf.reduce_sum(a)], x),
        "zero": tf.gradients(z, [x, unused], unconnected_gradients="zero"),
    }
    none = tf.gradients(z, [unused, y], stop_gradients=[a])
    sess = tf.Session()
    return {"values": sess.run(out), "none": none}


@program
def sequence_losses(tf):
    inputs = tf.constant(np.linspace(-1, 1, 2 * 4 * 3, dtype=np.float32).reshape(2, 4, 3))
    lengths = tf.constant([4, 2])
    cell = tf.nn.rnn_cell.BasicRNNCell(5)
    with tf.variable_scope("rnn", initializer=tf.constant_initializer(0.1)):
        outputs, state = tf.nn.dynamic_rnn(cell, inputs, lengths, dtype=tf.float32)
    kernel = np.linspace(-0.6, 0.6, 15).reshape(5, 3).tolist()
    logits = tf.layers.dense(outputs, 3, kernel_initializer=tf.constant_initializer(kernel))
    targets = tf.constant([[0, 1, 2, 1], [2, 2, 0, 0]])
    mask = tf.sequence_mask(lengths, 4, dtype=tf.float32)
    xent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits)
    loss = tf.reduce_sum(xent * mask) / tf.reduce_sum(mask)
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    sess = session(tf)
    losses = [sess.run([loss, train])[0] for _ in range(3)]
    return {
        "losses": losses,
        "mask": sess.run(mask),
        "state": sess.run(state),
        "shapes": [shape(outputs), shape(state), shape(logits), shape(mask)],
        "variables": [v.name for v in tf.trainable_variables()],
    }


@program
def ema_restore(tf):
    import tempfile

    v = tf.Variable([1.0, 2.0], name="v")
    ema = tf.train.ExponentialMovingAverage(0.5, name="avg")
    with tf.control_dependencies([v.assign_add([2.0, 2.0])]):
        step = ema.apply([v])
    sess = session(tf)
    for _ in range(2):
        sess.run(step)
    restore = ema.variables_to_restore()
    saver = tf.train.Saver()
    with tempfile.TemporaryDirectory() as d:
        path = saver.save(sess, d + "/m")
        with tf.Session() as other:
            tf.train.Saver(restore).restore(other, path)
            restored = other.run(v)
    return {
        "average": sess.run(ema.average(v)),
        "names": sorted(restore),
        "average_name": ema.average_name(v),
        "restored": restored,
    }


@program
def py_funcs(tf):
    def scale(a, k):
        return (a * k).astype(np.float32), np.int64(a.size)

    x = tf.constant(X)
    y, n = tf.py_func(scale, [x, 3.0], [tf.float32, tf.int64])
    z = tf.py_func(lambda a: a.sum(axis=1), [y], tf.float32, stateful=False)
    return {
        "values": tf.Session().run([y, n, z]),
        "shapes": [shape(y), shape(n), shape(z)],
        "types": [y.op.type, z.op.type],
    }


@program
def loops_with_slices(tf):
    x = tf.constant(np.arange(12, dtype=np.float32))

    def body(i, total):
        t = i + 1
        return t, total + tf.reduce_sum(x[:t]) + tf.reduce_sum(x[t : 2 * t])

    _, total = tf.while_loop(lambda i, _: i < 4, body, [0, 0.0])
    n = tf.placeholder(tf.int32, [])
    acc = tf.while_loop(
        lambda i, a: i < n,
        lambda i, a: (i + 1, tf.concat([a, [tf.cast(i, tf.float32)]], 0)),
        [0, tf.zeros([0])],
        shape_invariants=[tf.TensorShape([]), tf.TensorShape([None])],
    )[1]
    limited = tf.while_loop(lambda i: i < 100, lambda i: i + 3, [0], maximum_iterations=5)
    sess = tf.Session()
    return {
        "total": sess.run(total),
        "acc": sess.run(acc, {n: 4}),
        "limited": sess.run(limited),
        "shapes": [shape(total), shape(acc), shape(x[:n])],
        "sliced": sess.run(x[1:n], {n: 4}),
    }


@program
def linalg_ops(tf):
    a = tf.constant([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
    b = tf.constant([[1.0], [2.0], [3.0]])
    out = {
        "einsum": tf.einsum("ij,jk->ik", a, b),
        "einsum_trace": tf.einsum("ii", a),
        "inverse": tf.matrix_inverse(a),
        "det": tf.matrix_determinant(a),
        "cholesky": tf.cholesky(a),
        "solve": tf.matrix_solve(a, b),
        "triangular": tf.matrix_triangular_solve(tf.cholesky(a), b),
        "band": tf.matrix_band_part(a, 0, 1),
        "diag": tf.matrix_diag_part(a),
        "transpose": tf.matrix_transpose(tf.reshape(tf.range(6.0), [1, 2, 3])),
        "norm": tf.norm(a, ord="fro", axis=[0, 1]),
        "tensordot": tf.tensordot(a, b, axes=1),
    }
    return {"values": tf.Session().run(out), "shapes": {k: shape(t) for k, t in out.items()}}


@program
def casts_and_reductions(tf):
    f = tf.constant([-1.7, -0.5, 0.5, 1.5, 300.0])
    i = tf.constant([[1, 2, 3], [4, 5, 6]])
    out = {
        "to_int": tf.cast(f, tf.int32),
        "to_uint8": tf.cast(tf.constant([-1, 255, 256]), tf.uint8),
        "saturate": tf.saturate_cast(f, tf.uint8),
        "bitcast": tf.bitcast(tf.constant([1.0]), tf.int32),
        "to_bool": tf.cast(tf.constant([0.0, 0.1]), tf.bool),
        "sum_keep": tf.reduce_sum(i, axis=-1, keepdims=True),
        "prod_neg": tf.reduce_prod(i, axis=-2),
        "mean_empty": tf.reduce_mean(tf.zeros([0, 2]), axis=0),
        "max_empty": tf.reduce_max(tf.zeros([2, 0]), axis=1),
        "any": tf.reduce_any(tf.constant([[True, False], [False, False]]), 1),
        "argmin64": tf.argmin(f, output_type=tf.int64),
        "l2": tf.nn.l2_normalize(tf.constant([3.0, 4.0]), 0),
        "std": tf.math.reduce_std(tf.constant([1.0, 2.0, 4.0])),
    }
    return {"values": tf.Session().run(out), "shapes": {k: shape(t) for k, t in out.items()}}


@program
def variable_updates(tf):
    v = tf.Variable(tf.zeros([3, 2]))
    c = tf.Variable(0, name="counter")
    grow = tf.Variable([1.0], validate_shape=False)
    ops = {
        "nd_update": tf.scatter_nd_update(v, [[0, 1], [2, 0]], [5.0, 6.0]),
        "nd_add": tf.scatter_nd_add(v, [[0, 1]], [1.0]),
        "count": tf.count_up_to(c, 2),
        "grow": tf.assign(grow, [1.0, 2.0, 3.0], validate_shape=False),
    }
    sess = session(tf)
    seen = [sess.run(ops["nd_update"]), sess.run(ops["nd_add"]), sess.run(ops["grow"])]
    counts = [sess.run(ops["count"]) for _ in range(2)]
    return {
        "seen": seen,
        "counts": counts,
        "limit": error(lambda: sess.run(ops["count"])),
        "shapes": {k: shape(t) for k, t in ops.items()},
    }
