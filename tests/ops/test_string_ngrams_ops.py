"""tf.strings.ngrams / unsorted_segment_join / bytes_split against TF's results."""

from __future__ import annotations

import pytest

import flowgraph as tf
from flowgraph.ops import string_ngrams_ops as sn

OP_TYPES_TESTED = {"StringNGrams", "UnsortedSegmentJoin", "Fingerprint"}
NOT_DIFFERENTIABLE = {t: "strings" for t in OP_TYPES_TESTED}


def test_matches_tf():
    with tf.Graph().as_default():
        d = tf.constant(["a", "b", "c", "d"])
        outs = [
            sn.ngrams(d, 2),
            sn.ngrams(d, [1, 3], separator="-"),
            sn.ngrams(d, 3, pad_values="#"),
            sn.ngrams(d, 3, pad_values=("<", ">"), padding_width=1),
            sn.ngrams(tf.constant([["a", "b", "c"], ["d", "e", "f"]]), 2),
            sn.ngrams(tf.constant(["a"]), 3),
            sn.ngrams(tf.constant(["a", "b"]), 3, preserve_short_sequences=True),
            sn.bytes_split("héllo"),
            sn.unsorted_segment_join(["a", "b", "c", "d"], [1, 0, 1, 3], 4, separator=":"),
        ]
        ragged = sn.ngrams(tf.RaggedTensor.from_row_splits(["a", "b", "c", "d", "e"], [0, 3, 5]), 2)
        split_vector = sn.bytes_split(["ab", "", "xyz"])
        with tf.Session() as sess:
            got = sess.run(outs)
            got_ragged, got_split = sess.run([ragged, split_vector])
    assert got[0].tolist() == [b"a b", b"b c", b"c d"]
    assert got[1].tolist() == [b"a", b"b", b"c", b"d", b"a-b-c", b"b-c-d"]
    assert got[2].tolist() == [b"# # a", b"# a b", b"a b c", b"b c d", b"c d #", b"d # #"]
    assert got[3].tolist() == [b"< a b", b"a b c", b"b c d", b"c d >"]
    assert got[4].tolist() == [[b"a b", b"b c"], [b"d e", b"e f"]]
    assert got[5].tolist() == [] and got[6].tolist() == [b"a b"]
    assert got[7].tolist() == [b"h", b"\xc3", b"\xa9", b"l", b"l", b"o"]
    assert got[8].tolist() == [b"b", b"a:c", b"", b"d"]
    assert got_ragged.to_list() == [[b"a b", b"b c"], [b"d e"]]
    assert got_split.to_list() == [[b"a", b"b"], [], [b"x", b"y", b"z"]]


def test_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="rank>0"):
            sn.ngrams("a", 2)
        bad = sn.unsorted_segment_join(["a", "b"], [0, 5], 2)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
                sess.run(bad)


def test_fingerprint_matches_tf():
    with tf.Graph().as_default():
        outs = [
            sn.fingerprint(tf.constant([[1, 2], [3, 4]], tf.int32)),
            sn.fingerprint(["ab", "c"]),
            sn.fingerprint([["ab", "c"]]),
        ]
        with tf.Session() as sess:
            got = sess.run(outs)
    assert got[0].tolist() == [
        [76, 18, 253, 133, 168, 204, 240, 10],
        [254, 162, 60, 240, 103, 244, 53, 255],
    ]
    assert got[1].tolist() == [
        [30, 165, 173, 66, 82, 110, 141, 170],
        [40, 123, 203, 224, 169, 24, 161, 158],
    ]
    assert got[2].tolist() == [[65, 83, 39, 149, 164, 245, 170, 22]]
