"""Unicode ops (`tf.strings.unicode_*`) against Python's own codecs: decoding with byte
offsets, encoding, splitting and transcoding in UTF-8, UTF-16-BE and UTF-32-BE, TF's error
policies, and the ragged shapes of the results."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf

OP_TYPES_TESTED = {"UnicodeDecode", "UnicodeDecodeWithOffsets", "UnicodeEncode", "UnicodeTranscode"}
NOT_DIFFERENTIABLE = {t: "string input or output, integer code points" for t in OP_TYPES_TESTED}

ENCODINGS = {"UTF-8": "utf-8", "UTF-16-BE": "utf-16-be", "UTF-32-BE": "utf-32-be"}
TEXTS = ["héllo", "", "日本語", "a😀b", "\u00e9\U0010fffd\ufffe", "plain ascii"]


def run(fn, feed=None):
    with tf.Graph().as_default() as g:
        out = fn()
        with tf.Session(graph=g) as sess:
            return sess.run(out, feed)


def offsets(text: str, codec: str) -> list[int]:
    """The byte offset where each character of `text` starts once encoded."""
    return list(np.cumsum([0] + [len(c.encode(codec)) for c in text])[:-1])


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_decode_matches_python(encoding):
    codec = ENCODINGS[encoding]
    data = [t.encode(codec) for t in TEXTS]
    chars, starts = run(lambda: tf.strings.unicode_decode_with_offsets(data, encoding))
    assert chars.to_list() == [[ord(c) for c in t] for t in TEXTS]
    assert starts.to_list() == [offsets(t, codec) for t in TEXTS]
    assert chars.flat_values.dtype == np.int32 and starts.flat_values.dtype == np.int64
    assert chars.row_splits.dtype == np.int64


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_encode_matches_python(encoding):
    codes = [[ord(c) for c in t] for t in TEXTS]
    out = run(lambda: tf.strings.unicode_encode(tf.ragged.constant(codes), encoding))
    assert list(out) == [t.encode(ENCODINGS[encoding]) for t in TEXTS]


MALFORMED = {  # input -> (TF's code points with errors="replace", their byte offsets)
    "UTF-8": [
        (b"ab\xe2\x82", [97, 98, 0xFFFD], [0, 1, 2]),  # truncated sequence: one error
        (b"\xff\xfea", [0xFFFD, 0xFFFD, 97], [0, 1, 2]),
        (b"\xc0\xafz", [0xFFFD, 0xFFFD, 122], [0, 1, 2]),  # overlong
        (b"\xed\xa0\x80x", [0xFFFD] * 3 + [120], [0, 1, 2, 3]),  # an encoded surrogate
        (b"\xf4\x90\x80\x80", [0xFFFD] * 4, [0, 1, 2, 3]),  # above U+10FFFF
    ],
    "UTF-16-BE": [
        (b"\x00a\xd8\x00", [97, 0xFFFD], [0, 2]),  # lone high surrogate at the end
        (b"\xdc\x00\x00a", [0xFFFD, 97], [0, 2]),  # lone low surrogate
        (b"\x00a\x00", [97, 0xFFFD], [0, 2]),  # odd length
    ],
    "UTF-32-BE": [
        (b"\x00\x11\x00\x00\x00\x00\x00a", [0xFFFD, 97], [0, 4]),
        (b"\x00\x00\xd8\x00", [0xFFFD], [0]),
        (b"\x00\x00\x00a\x00", [97, 0xFFFD], [0, 4]),
    ],
}
MALFORMED_CASES = [(enc, *case) for enc, cases in MALFORMED.items() for case in cases]


@pytest.mark.parametrize("encoding, data, codes, starts", MALFORMED_CASES)
def test_decode_malformed_replace_and_ignore(encoding, data, codes, starts):
    codec = ENCODINGS[encoding]
    # Python's codecs cut malformed input into the same errors as TF's ICU.
    assert [ord(c) for c in data.decode(codec, "replace")] == codes
    got = run(lambda: tf.strings.unicode_decode_with_offsets(data, encoding))
    assert got[0].tolist() == codes and got[1].tolist() == starts
    got = run(lambda: tf.strings.unicode_decode_with_offsets(data, encoding, replacement_char=63))
    assert got[0].tolist() == [63 if c == 0xFFFD else c for c in codes]
    got = run(lambda: tf.strings.unicode_decode_with_offsets(data, encoding, errors="ignore"))
    kept = [i for i, c in enumerate(codes) if c != 0xFFFD]
    assert got[0].tolist() == [ord(c) for c in data.decode(codec, "ignore")]
    assert got[1].tolist() == [starts[i] for i in kept]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid formatting on input"):
        run(lambda: tf.strings.unicode_decode(data, encoding, errors="strict"))


def test_decode_replace_control_characters():
    data = b"a\x01\x1f\x7f\xc2\x85b"  # only the C0 controls (<= U+001F) are replaced
    decode = tf.strings.unicode_decode_with_offsets
    chars, starts = run(lambda: decode(data, "UTF-8", replace_control_characters=True))
    assert chars.tolist() == [97, 0xFFFD, 0xFFFD, 0x7F, 0x85, 98]
    assert starts.tolist() == [0, 1, 2, 3, 4, 6]
    chars, starts = run(lambda: decode(data, "UTF-8", "ignore", replace_control_characters=True))
    assert chars.tolist() == [97, 0x7F, 0x85, 98] and starts.tolist() == [0, 3, 4, 6]
    chars = run(lambda: tf.strings.unicode_decode(data, "UTF-8", "strict"))
    assert chars.tolist() == [97, 1, 0x1F, 0x7F, 0x85, 98]


def test_decode_shapes():
    scalar = run(lambda: tf.strings.unicode_decode("hé", "UTF-8"))
    assert isinstance(scalar, np.ndarray) and scalar.tolist() == [104, 233]
    matrix = [["ab", "c"], ["", "é"]]
    with tf.Graph().as_default():
        rt = tf.strings.unicode_decode(matrix, "UTF-8")
        assert isinstance(rt, tf.RaggedTensor) and rt.ragged_rank == 2
        assert rt.shape.as_list() == [2, None, None]
        with tf.Session() as sess:
            assert sess.run(rt).to_list() == [[[97, 98], [99]], [[], [233]]]
    ragged = tf.ragged.constant_value([["ab"], [], ["c", "é"]])
    got = run(lambda: tf.strings.unicode_decode(ragged, "UTF-8"))
    assert got.to_list() == [[[97, 98]], [], [[99], [233]]]


def test_decode_fed_strings():
    with tf.Graph().as_default():
        p = tf.placeholder(tf.string, [None])
        rt = tf.strings.unicode_decode(p, "UTF-16-BE")
        with tf.Session() as sess:
            for texts in (["ab", "ü"], ["😀"]):
                data = [t.encode("utf-16-be") for t in texts]
                assert sess.run(rt, {p: data}).to_list() == [[ord(c) for c in t] for t in texts]


INVALID = [104, -1, 0xD800, 0x110000, 0xFFFE, 0x1F600]  # noncharacters are valid, as in TF


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_encode_error_policies(encoding):
    codec = ENCODINGS[encoding]
    encode = lambda errors: tf.strings.unicode_encode(  # noqa: E731
        tf.ragged.constant([INVALID, []]), encoding, errors=errors, replacement_char=0x42
    )
    assert list(run(lambda: encode("replace"))) == ["hBBB\ufffe😀".encode(codec), b""]
    assert list(run(lambda: encode("ignore"))) == ["h\ufffe😀".encode(codec), b""]
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range for Unicode"):
        run(lambda: encode("strict"))


def test_encode_shapes():
    assert run(lambda: tf.strings.unicode_encode([104, 105], "UTF-8")) == b"hi"
    dense = np.array([[[104, 105], [106, 107]], [[97, 98], [99, 100]]], np.int32)
    assert run(lambda: tf.strings.unicode_encode(dense, "UTF-8")).tolist() == [
        [b"hi", b"jk"],
        [b"ab", b"cd"],
    ]
    nested = tf.ragged.constant_value([[[104, 105], [106]], [], [[107]]], dtype=tf.int32)
    got = run(lambda: tf.strings.unicode_encode(nested, "UTF-8"))
    assert got.to_list() == [[b"hi", b"j"], [], [b"k"]]


def test_decode_then_encode_round_trips():
    def build():
        for encoding, codec in ENCODINGS.items():
            data = [t.encode(codec) for t in TEXTS]
            yield tf.strings.unicode_encode(tf.strings.unicode_decode(data, encoding), "UTF-8")

    for out in run(lambda: list(build())):
        assert [o.decode("utf-8") for o in out] == TEXTS


def test_split_and_split_with_offsets():
    texts = ["héllo", "", "a😀"]
    got = run(lambda: tf.strings.unicode_split(texts, "UTF-8"))
    assert got.to_list() == [[c.encode() for c in t] for t in texts]
    assert run(lambda: tf.strings.unicode_split("hé", "UTF-8")).tolist() == [b"h", b"\xc3\xa9"]
    data = [t.encode("utf-16-be") for t in texts]
    chars, starts = run(lambda: tf.strings.unicode_split_with_offsets(data, "UTF-16-BE"))
    assert chars.to_list() == [[c.encode("utf-16-be") for c in t] for t in texts]
    assert starts.to_list() == [offsets(t, "utf-16-be") for t in texts]


@pytest.mark.parametrize("source", ENCODINGS)
@pytest.mark.parametrize("target", ENCODINGS)
def test_transcode_matches_python(source, target):
    texts = np.array([["héllo", "日本"], ["a😀", ""]])
    data = np.vectorize(lambda t: t.encode(ENCODINGS[source]), otypes=[object])(texts)
    got = run(lambda: tf.strings.unicode_transcode(data, source, target))
    assert got.shape == (2, 2)
    assert got.tolist() == [[t.encode(ENCODINGS[target]) for t in row] for row in texts]


def test_transcode_errors_and_controls():
    data = [b"\x01a\xff", b"\xe2\x82"]
    got = run(lambda: tf.strings.unicode_transcode(data, "UTF-8", "UTF-16-BE"))
    assert got.tolist() == [b"\x00\x01\x00a\xff\xfd", b"\xff\xfd"]
    got = run(
        lambda: tf.strings.unicode_transcode(
            data, "UTF-8", "UTF-8", replacement_char=0x41, replace_control_characters=True
        )
    )
    assert got.tolist() == [b"AaA", b"A"]
    got = run(lambda: tf.strings.unicode_transcode(data, "UTF-8", "UTF-8", errors="ignore"))
    assert got.tolist() == [b"\x01a", b""]


def test_invalid_attrs_are_rejected_when_built():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="'errors'"):
            tf.strings.unicode_decode("a", "UTF-8", errors="bogus")
        with pytest.raises(ValueError, match="replacement_char out of unicode codepoint range"):
            tf.strings.unicode_encode([97], "UTF-8", replacement_char=0x110000)
        with pytest.raises(ValueError, match="not supported"):
            tf.strings.unicode_transcode("a", "UTF-8", "Latin-1")
        with pytest.raises(TypeError, match="int32"):
            tf.strings.unicode_encode(tf.constant([97], tf.int64), "UTF-8")
        with pytest.raises(TypeError, match="string"):
            tf.strings.unicode_decode(tf.constant([97]), "UTF-8")
