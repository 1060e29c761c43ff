"""Embedding lookups (`tf.nn.embedding_lookup`, `embedding_lookup_sparse`): gathers from one
table or a table sharded over several tensors, "mod" or "div" partitioned."""

from __future__ import annotations

from flowgraph.framework import dtypes, tensor_shape
from flowgraph.framework.ops import Tensor
from flowgraph.framework.scopes import name_scope
from flowgraph.framework.sparse_tensor import SparseTensor
from flowgraph.ops import array_ops, clip_ops, math_ops, sparse_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.partitioned_variables import PartitionedVariable


def _clip(params: Tensor, ids: Tensor, max_norm) -> Tensor:
    """Clips each looked-up embedding (the dims after the ids' dims) to `max_norm`."""
    if max_norm is None:
        return params
    if ids.shape.ndims is not None and params.shape.ndims is not None:
        axes = list(range(ids.shape.ndims, params.shape.ndims))
    else:
        axes = array_ops.range(array_ops.rank(ids), array_ops.rank(params))
    return clip_ops.clip_by_norm(params, max_norm, axes=axes)


def _partition(flat_ids: Tensor, params: list, partition_strategy: str):
    """Which shard each id lives in, and its row there."""
    n = len(params)
    if partition_strategy == "mod":
        return flat_ids % n, flat_ids // n
    if partition_strategy != "div":
        raise ValueError(f"Unrecognized partition strategy: {partition_strategy}")
    sizes = [p.shape[0].value if p.shape.ndims else None for p in params]
    if None not in sizes:
        total = convert_to_tensor(sum(sizes), dtype=flat_ids.dtype)
    else:
        total = math_ops.reduce_sum(
            math_ops.cast(array_ops.stack([array_ops.shape(p)[0] for p in params]), flat_ids.dtype)
        )
    per_part, extras = total // n, total % n
    assignments = math_ops.maximum(flat_ids // (per_part + 1), (flat_ids - extras) // per_part)
    in_extras = math_ops.cast(assignments < extras, flat_ids.dtype)
    new_ids = in_extras * (flat_ids % (per_part + 1)) + (1 - in_extras) * (
        (flat_ids - extras) % per_part
    )
    return assignments, new_ids


def embedding_lookup(
    params, ids, partition_strategy="mod", name=None, validate_indices=True, max_norm=None
) -> Tensor:
    """The rows of `params` (one tensor or a list of shards) at `ids`; shape
    `ids.shape + params.shape[1:]`. Its gradient is IndexedSlices (only the rows read)."""
    if params is None or (isinstance(params, (list, tuple)) and not params):
        raise ValueError("Need at least one param")
    if isinstance(params, (list, tuple, PartitionedVariable)):
        params = list(params)  # a PartitionedVariable's slices are the shards
    else:
        params = [params]
    with name_scope(name, "embedding_lookup", params + [ids]) as scope:
        params = [convert_to_tensor(p, name="params") for p in params]
        ids = convert_to_tensor(ids, name="ids")
        if len(params) == 1:
            result = _clip(array_ops.gather(params[0], ids, name=scope), ids, max_norm)
            return array_ops.identity(result)
        flat_ids = array_ops.reshape(ids, [-1])
        original_indices = array_ops.range(array_ops.size(flat_ids))
        assignments, new_ids = _partition(flat_ids, params, partition_strategy)
        assignments = math_ops.cast(assignments, dtypes.int32)
        gather_ids = array_ops.dynamic_partition(new_ids, assignments, len(params))
        pindices = array_ops.dynamic_partition(original_indices, assignments, len(params))
        parts = [array_ops.gather(p, i) for p, i in zip(params, gather_ids)]
        ret = array_ops.dynamic_stitch(pindices, parts, name=scope)
        element_shape = tensor_shape.TensorShape(
            params[0].shape.as_list()[1:] if params[0].shape.ndims is not None else None
        )
        for p in params[1:]:
            if p.shape.ndims is not None:
                element_shape = element_shape.merge_with(p.shape.as_list()[1:])
        if element_shape.is_fully_defined():
            tail = convert_to_tensor(element_shape.as_list(), dtype=dtypes.int32)
        else:
            tail = array_ops.strided_slice(array_ops.shape(params[0]), [1], [2**31 - 1])
        ret = array_ops.reshape(ret, array_ops.concat([array_ops.shape(ids), tail], 0))
        ret = _clip(ret, ids, max_norm)
        ret.set_shape(ids.shape.concatenate(element_shape))
        return ret


def embedding_lookup_sparse(
    params, sp_ids, sp_weights, partition_strategy="mod", name=None, combiner=None, max_norm=None
) -> Tensor:
    """Per row of `sp_ids`, the `combiner` ("sum", "mean", "sqrtn") of its embeddings,
    weighted by `sp_weights` (None: weight 1)."""
    combiner = "mean" if combiner is None else combiner
    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError("combiner must be one of 'mean', 'sqrtn' or 'sum'")
    params = list(params) if isinstance(params, (list, tuple, PartitionedVariable)) else [params]
    if not isinstance(sp_ids, SparseTensor):
        raise TypeError("sp_ids must be SparseTensor")
    if sp_weights is not None and not isinstance(sp_weights, SparseTensor):
        raise TypeError("sp_weights must be either None or SparseTensor")
    with name_scope(name, "embedding_lookup_sparse", params + [sp_ids]) as scope:
        segment_ids = math_ops.cast(sp_ids.indices[:, 0], dtypes.int32)
        ids, idx = array_ops.unique(sp_ids.values)
        embeddings = embedding_lookup(
            params, ids, partition_strategy=partition_strategy, max_norm=max_norm
        )
        if embeddings.dtype.base_dtype in (dtypes.float16, dtypes.bfloat16):
            embeddings = math_ops.cast(embeddings, dtypes.float32)
        embeddings = array_ops.gather(embeddings, idx)
        if sp_weights is None:
            weights = array_ops.ones_like(math_ops.cast(idx, embeddings.dtype))
        else:
            weights = math_ops.cast(sp_weights.values, embeddings.dtype)
        if embeddings.shape.ndims is not None:
            weights = array_ops.reshape(weights, [-1] + [1] * (embeddings.shape.ndims - 1))
        else:
            ones = array_ops.fill(array_ops.expand_dims(array_ops.rank(embeddings) - 1, 0), 1)
            weights = array_ops.reshape(weights, array_ops.concat([[-1], ones], 0))
        summed = math_ops.segment_sum(embeddings * weights, segment_ids)
        if combiner == "sum":
            return array_ops.identity(summed, name=scope)
        if combiner == "mean":
            return math_ops.divide(summed, math_ops.segment_sum(weights, segment_ids), name=scope)
        norm = math_ops.sqrt(math_ops.segment_sum(weights * weights, segment_ids))
        return math_ops.divide(summed, norm, name=scope)


def safe_embedding_lookup_sparse(
    embedding_weights,
    sparse_ids,
    sparse_weights=None,
    combiner="mean",
    default_id=None,
    name=None,
    partition_strategy="div",
    max_norm=None,
    allow_fast_lookup=False,
) -> Tensor:
    """`embedding_lookup_sparse` that tolerates invalid ids and empty rows.

    Ids below 0 (and, unless `combiner` is "sum", weights of 0 or less) are dropped; rows
    left empty get the embedding of `default_id`, or zeros when it is None. `sparse_ids`
    may have any rank >= 2: the result has its shape without the last dimension, followed
    by the embedding dimensions.
    """
    if isinstance(embedding_weights, (list, tuple, PartitionedVariable)):
        embedding_weights = list(embedding_weights)
    else:
        embedding_weights = [embedding_weights]
    if not embedding_weights:
        raise ValueError("Missing embedding_weights.")
    with name_scope(name, "embedding_lookup", embedding_weights + [sparse_ids]) as scope:
        shape = sparse_ids.dense_shape
        rank = sparse_ids.dense_shape.shape.as_list()[0]
        outer = shape[: rank - 1] if rank is not None else shape[:-1]
        rows = math_ops.reduce_prod(outer)
        sparse_ids = sparse_ops.sparse_reshape(sparse_ids, array_ops.stack([rows, shape[-1]]))
        if sparse_weights is not None:
            sparse_weights = SparseTensor(
                sparse_ids.indices, sparse_weights.values, sparse_ids.dense_shape
            )
        sparse_ids, sparse_weights = _prune(
            sparse_ids, sparse_weights, math_ops.greater_equal, "ids"
        )
        if combiner != "sum" and sparse_weights is not None:
            sparse_ids, sparse_weights = _prune(
                sparse_ids, sparse_weights, math_ops.greater, "weights"
            )
        sparse_ids, is_row_empty = sparse_ops.sparse_fill_empty_rows(sparse_ids, default_id or 0)
        if sparse_weights is not None:
            sparse_weights, _ = sparse_ops.sparse_fill_empty_rows(sparse_weights, 1.0)
        result = embedding_lookup_sparse(
            embedding_weights,
            sparse_ids,
            sparse_weights,
            combiner=combiner,
            partition_strategy=partition_strategy,
            max_norm=max_norm,
        )
        if default_id is None:
            empty = array_ops.reshape(is_row_empty, [-1, 1])
            empty = array_ops.tile(empty, array_ops.stack([1, array_ops.shape(result)[1]]))
            result = array_ops.where(empty, array_ops.zeros_like(result), result)
        tail = array_ops.shape(result)[1:]
        out_shape = array_ops.concat([math_ops.cast(outer, dtypes.int32), tail], 0)
        return array_ops.reshape(result, out_shape, name=scope)


def _prune(sparse_ids, sparse_weights, keep, what):
    """Drops the entries whose id (or weight) fails `keep(value, 0)`."""
    values = sparse_ids.values if what == "ids" else sparse_weights.values
    valid = keep(values, array_ops.zeros_like(values))
    sparse_ids = sparse_ops.sparse_retain(sparse_ids, valid)
    if sparse_weights is not None:
        sparse_weights = sparse_ops.sparse_retain(sparse_weights, valid)
    return sparse_ids, sparse_weights
