"""`tf.strings`: string ops (joining, formatting, hashing, splitting, regexes, parsing)."""

from flowgraph.ops.string_ops import (  # noqa: F401  (re-exports)
    as_string as as_string,
    reduce_join as reduce_join,
    regex_full_match as regex_full_match,
    regex_replace as regex_replace,
    string_format as format,
    string_join as join,
    string_length as length,
    string_lower as lower,
    string_split_v2 as split,
    string_strip as strip,
    string_to_hash_bucket as to_hash_bucket,
    string_to_hash_bucket_fast as to_hash_bucket_fast,
    string_to_hash_bucket_strong as to_hash_bucket_strong,
    string_to_number as to_number,
    string_upper as upper,
    substr as substr,
)
