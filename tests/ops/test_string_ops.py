"""String ops against Python references and TF's published values: hash buckets, splitting,
substrings, lengths, case, regexes, number parsing, joining along axes, base64, format."""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest

import flowgraph as tf
from kernels.string import fingerprint64, hash64, siphash24

OP_TYPES_TESTED = {
    "StringToHashBucketFast", "StringToHashBucket", "StringToHashBucketStrong", "StringSplit",
    "StringSplitV2", "Substr", "StringLength", "StringLower", "StringUpper", "StringStrip",
    "RegexReplace", "StaticRegexReplace", "RegexFullMatch", "StaticRegexFullMatch",
    "StringToNumber", "ReduceJoin", "EncodeBase64", "DecodeBase64",
}  # fmt: skip
NOT_DIFFERENTIABLE = {
    **{t: "string input" for t in OP_TYPES_TESTED},
    **{t: "string output" for t in ("Substr", "StringLower", "StringUpper", "StringStrip")},
}


def run(fn, *args, feed=None):
    """Builds `fn()` in a fresh graph and runs it."""
    with tf.Graph().as_default() as g:
        out = fn(*args)
        with tf.Session(graph=g) as sess:
            return sess.run(out, feed)


def strs(*values):
    return np.array([v.encode() if isinstance(v, str) else v for v in values], dtype=object)


# -- hashing: TF's own test values (string_to_hash_bucket_op_test.py) ---------------------------


def test_hash_functions_match_tf_values():
    assert [fingerprint64(c) for c in (b"a", b"b", b"c", b"d")] == [
        12917804110809363939, 11795596070477164822, 11430444447143000872, 4470636696479570465,
    ]  # fmt: skip
    assert [hash64(c) for c in (b"a", b"b", b"c")] == [
        2996632905371535868, 5795986006276551370, 14899841994519054197,
    ]  # fmt: skip
    assert [siphash24((98765, 132), c) for c in (b"a", b"b", b"c")] == [
        7157389809176466784, 15805638358933211562, 18100027895074076528,
    ]  # fmt: skip
    # SipHash-2-4's reference vector (key 00..0f, message 00..0e) and farmhash on longer input
    # (every length path: 0-16, 17-32, 33-64, > 64), values from Google's farmhash.
    key = (0x0706050403020100, 0x0F0E0D0C0B0A0908)
    assert siphash24(key, bytes(range(15))) == 0xA129CA6149BE45E5
    assert fingerprint64(b"hello world") == 6381520714923946011
    assert fingerprint64(b"x" * 20) == 8233088228747857348
    assert fingerprint64(b"y" * 40) == 276292113409495006
    text = b"The quick brown fox jumps over the lazy dog, again and again and again!"
    assert fingerprint64(text) == 3085418243975595470


def test_string_to_hash_bucket_ops():

    def build():
        s = tf.placeholder(tf.string, [None])
        build.s = s
        return [
            tf.string_to_hash_bucket_fast(s, 10),
            tf.strings.to_hash_bucket_fast(s, 1),
            tf.string_to_hash_bucket(s, 10),
            tf.strings.to_hash_bucket_strong(s, 10, key=[98765, 132]),
        ]

    with tf.Graph().as_default() as g:
        outs = build()
        assert outs[0].op.name == "StringToHashBucketFast" and outs[0].dtype == tf.int64
        with tf.Session(graph=g) as sess:
            fast, one, legacy, strong = sess.run(outs, {build.s: ["a", "b", "c"]})
            fast4 = sess.run(outs[0], {build.s: ["a", "b", "c", "d"]})
    assert fast4.tolist() == [9, 2, 2, 5]
    assert one.tolist() == [0, 0, 0]
    assert legacy.tolist() == [8, 0, 7]
    assert strong.tolist() == [4, 2, 8]
    assert fast.tolist() == [9, 2, 2]


def test_hash_bucket_build_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="StringToHashBucketFast"):
            tf.string_to_hash_bucket_fast(["a"], 0)
        with pytest.raises(ValueError, match="Key must have 2 elements"):
            tf.string_to_hash_bucket_strong(["a"], 10, key=[98765])
        with pytest.raises(TypeError, match="StringToHashBucketFast"):
            tf.string_to_hash_bucket_fast(tf.constant([1.0]), 10)


# -- splitting ----------------------------------------------------------------------------------


def _dense(sp) -> list[list[bytes]]:
    rows = [[] for _ in range(sp.dense_shape[0])]
    for (i, _), v in zip(sp.indices.tolist(), sp.values):
        rows[i].append(v)
    return rows


@pytest.mark.parametrize(
    "source, kwargs",
    [
        (["hello world", "a  b", "", " x "], {}),
        (["hello world", "a  b", "", " x "], {"skip_empty": False}),
        (["a,b;c", ",,d"], {"delimiter": ",;"}),
        (["a,b;c", ",,d"], {"sep": ",", "skip_empty": False}),
        (["abc", ""], {"delimiter": ""}),
    ],
)
def test_string_split(source, kwargs):
    sp = run(lambda: tf.string_split(source, **kwargs))
    delim = kwargs.get("sep", kwargs.get("delimiter", " ")).encode()
    skip = kwargs.get("skip_empty", True)
    want = []
    for s in (x.encode() for x in source):
        toks = (
            [s[i : i + 1] for i in range(len(s))]
            if not delim
            else re.split(b"[" + re.escape(delim) + b"]", s)
        )
        want.append([t for t in toks if t or not skip])
    assert _dense(sp) == want
    assert sp.dense_shape.tolist() == [len(source), max(len(w) for w in want)]
    assert sp.indices.dtype == np.int64


def test_strings_split_is_python_split():
    source = ["hello  world ", "a,b,,c", "", "  "]
    for sep, maxsplit in [(None, -1), (",", -1), (",", 1), (None, 1)]:
        sp = run(lambda s=sep, m=maxsplit: tf.strings.split(source, sep=s, maxsplit=m))
        want = [s.encode().split(sep and sep.encode(), maxsplit) for s in source]
        assert _dense(sp) == want


def test_string_split_needs_a_vector():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.string)
        sp = tf.string_split(x)
        with tf.Session(graph=g) as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="input must be a vector"):
                sess.run(sp, {x: [["a"]]})


# -- substrings and lengths ---------------------------------------------------------------------


def test_substr_bytes_and_broadcasting():
    words = ["hello", "world", "tf"]
    assert run(lambda: tf.substr(words, 1, 3)).tolist() == [b"ell", b"orl", b"f"]
    assert run(lambda: tf.strings.substr(words, -2, 2)).tolist() == [b"lo", b"ld", b"tf"]
    got = run(lambda: tf.substr(words, [0, 1, 2], [1, 2, 5]))
    assert got.tolist() == [b"h", b"or", b""]
    grid = run(lambda: tf.substr([["abc"], ["xyz"]], [0, 1, 2], [1, 1, 1]))
    assert grid.shape == (2, 3) and grid.tolist() == [[b"a", b"b", b"c"], [b"x", b"y", b"z"]]
    with tf.Graph().as_default() as g:
        out = tf.substr(words, 4, 1)
        assert out.op.name == "Substr" and out.shape.as_list() == [3]
        with tf.Session(graph=g) as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="pos 4 out of range"):
                sess.run(out)


def test_substr_utf8():
    s = ["héllo wörld"]
    assert run(lambda: tf.substr(s, 1, 4, unit="UTF8_CHAR")).tolist() == ["éllo".encode()]
    assert run(lambda: tf.substr(s, -5, 3, unit="UTF8_CHAR")).tolist() == ["wör".encode()]
    assert run(lambda: tf.substr(s, 1, 4)).tolist() == ["é".encode() + b"ll"]
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="'Substr'"):
            tf.substr(s, 0, 1, unit="CHAR")


def test_length_case_strip():
    s = ["héllo", " AbC\t", ""]
    assert run(lambda: tf.strings.length(s)).tolist() == [6, 5, 0]
    assert run(lambda: tf.strings.length(s, unit="UTF8_CHAR")).tolist() == [5, 5, 0]
    assert run(lambda: tf.strings.lower(s)).tolist() == [x.encode().lower() for x in s]
    assert run(lambda: tf.strings.upper(s)).tolist() == ["HéLLO".encode(), b" ABC\t", b""]
    assert run(lambda: tf.strings.upper(s, encoding="utf-8")).tolist()[0] == "HÉLLO".encode()
    assert run(lambda: tf.string_strip(s)).tolist() == [x.strip().encode() for x in s]
    assert run(lambda: tf.strings.strip([[" a "]])).tolist() == [[b"a"]]


# -- regular expressions ------------------------------------------------------------------------


def test_regex_replace_static_and_dynamic():
    s = ["aabbcc", "abcabc", "xyz"]
    got = run(lambda: tf.regex_replace(s, "b+", r"<\0>"))
    assert got.tolist() == [re.sub("b+", r"<\g<0>>", x).encode() for x in s]
    got = run(lambda: tf.strings.regex_replace(s, "(a)(b)", r"\2\1", replace_global=False))
    assert got.tolist() == [re.sub("(a)(b)", r"\2\1", x, count=1).encode() for x in s]
    with tf.Graph().as_default() as g:
        pattern = tf.placeholder(tf.string, [])
        out = tf.regex_replace(s, pattern, tf.constant("-"))
        assert out.op.type == "RegexReplace"
        with tf.Session(graph=g) as sess:
            assert sess.run(out, {pattern: "[ac]"}).tolist() == [b"--bb--", b"-b--b-", b"xyz"]
            with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid pattern"):
                sess.run(out, {pattern: "(a"})


def test_regex_full_match():
    s = ["abc", "abcd", "12"]
    assert run(lambda: tf.strings.regex_full_match(s, "a.c")).tolist() == [True, False, False]
    with tf.Graph().as_default() as g:
        p = tf.placeholder(tf.string, [])
        out = tf.strings.regex_full_match(s, p)
        assert out.op.type == "RegexFullMatch" and out.dtype == tf.bool
        with tf.Session(graph=g) as sess:
            assert sess.run(out, {p: r"\d+"}).tolist() == [False, False, True]


# -- numbers ------------------------------------------------------------------------------------


def test_string_to_number():
    s = ["1.5", " -2e3", "inf", "7"]
    got = run(lambda: tf.string_to_number(s))
    assert got.dtype == np.float32 and got.tolist() == [1.5, -2000.0, np.inf, 7.0]
    got = run(lambda: tf.strings.to_number(["12", "-3", " 4"], out_type=tf.int64))
    assert got.dtype == np.int64 and got.tolist() == [12, -3, 4]
    for bad, dtype in [("1.5", tf.int32), ("abc", tf.float32), ("1_0", tf.float64),
                       ("3000000000", tf.int32)]:  # fmt: skip
        with tf.Graph().as_default() as g:
            out = tf.string_to_number([bad], out_type=dtype)
            with tf.Session(graph=g) as sess:
                with pytest.raises(tf.errors.InvalidArgumentError, match="could not correctly"):
                    sess.run(out)
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="StringToNumber"):
            tf.string_to_number(["1"], out_type=tf.int8)


# -- joining along axes -------------------------------------------------------------------------


def test_reduce_join_tf_doc_examples():
    a = [["a", "b"], ["c", "d"]]
    assert run(lambda: tf.reduce_join(a, 0)).tolist() == [b"ac", b"bd"]
    assert run(lambda: tf.reduce_join(a, 1)).tolist() == [b"ab", b"cd"]
    assert run(lambda: tf.reduce_join(a, -2)).tolist() == [b"ac", b"bd"]
    assert run(lambda: tf.reduce_join(a, 0, keep_dims=True)).tolist() == [[b"ac", b"bd"]]
    assert run(lambda: tf.reduce_join(a, 1, separator=".")).tolist() == [b"a.b", b"c.d"]
    assert run(lambda: tf.reduce_join(a, [0, 1])) == b"acbd"
    assert run(lambda: tf.reduce_join(a, [1, 0])) == b"abcd"
    assert run(lambda: tf.reduce_join(a)) == b"abcd"
    assert run(lambda: tf.strings.reduce_join(a, [])).tolist() == [[b"a", b"b"], [b"c", b"d"]]
    with tf.Graph().as_default():
        out = tf.reduce_join(a, 0, keep_dims=True)
        assert out.shape.as_list() == [1, 2]
        with pytest.raises(ValueError, match="ReduceJoin"):
            tf.reduce_join(a, 2)


# -- base64 -------------------------------------------------------------------------------------


def test_base64_round_trip_web_safe():
    data = [b"", b"a", b"ab", b"abc", b"\xfb\xff\xfe hello?>"]
    enc = run(lambda: tf.encode_base64(strs(*data)))
    assert enc.tolist() == [base64.urlsafe_b64encode(d).rstrip(b"=") for d in data]
    padded = run(lambda: tf.encode_base64(strs(*data), pad=True))
    assert padded.tolist() == [base64.urlsafe_b64encode(d) for d in data]
    assert run(lambda: tf.decode_base64(enc)).tolist() == data
    assert run(lambda: tf.decode_base64(padded)).tolist() == data
    with tf.Graph().as_default() as g:
        out = tf.decode_base64(["ab+/"])
        with tf.Session(graph=g) as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid character"):
                sess.run(out)


# -- format and join ----------------------------------------------------------------------------


def test_strings_format_and_join():
    got = run(lambda: tf.strings.format("x={} y={}", [tf.constant([1, 2]), tf.constant("s")]))
    assert got == b"x=[1 2] y=s"
    got = run(lambda: tf.strings.format("{}", tf.range(10), summarize=2))
    assert got == b"[0 1 ... 8 9]"
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="StringFormat"):
            tf.strings.format("{} {}", [tf.constant(1)])
    assert run(lambda: tf.strings.join(["a", "b"], separator="-")) == b"a-b"
    assert run(lambda: tf.strings.as_string([1, 2])).tolist() == [b"1", b"2"]
