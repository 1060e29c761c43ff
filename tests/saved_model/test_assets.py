"""SavedModel assets: copied into `assets/`, recorded as AssetFileDefs, fed at load."""

from __future__ import annotations

import json
import os
import pathlib

import pytest

import flowgraph as tf
from flowgraph.saved_model.loader import read_saved_model

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures"
FIXTURE = FIXTURES / "tf_saved_model_assets"
VOCAB = "red\ngreen\nblue\n"
WORDS = ["blue", "mauve", "red"]


def _load_and_lookup(export_dir, words):
    with tf.Graph().as_default() as graph, tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, [tf.saved_model.SERVING], str(export_dir))
        signature = meta.signature_def["serving_default"]
        inputs = graph.get_tensor_by_name(signature.inputs["words"].name)
        ids = graph.get_tensor_by_name(signature.outputs["ids"].name)
        return sess.run(ids, {inputs: words}).tolist()


def test_a_tensorflow_saved_model_with_a_vocabulary_asset_loads_and_runs():
    expected = json.loads((FIXTURE / "expected.json").read_text())
    meta = read_saved_model(str(FIXTURE)).meta_graphs[0]
    assert "saved_model_assets" in meta.collection_def  # where TF1's builder puts them
    assert _load_and_lookup(FIXTURE, expected["words"]) == expected["ids"]


def export(export_dir, vocab_paths):
    """Exports a SavedModel looking words up in tables read from `vocab_paths` (assets)."""
    with tf.Graph().as_default(), tf.Session() as sess:
        words = tf.placeholder(tf.string, [None], name="words")
        words_ids = None
        for i, path in enumerate(vocab_paths):
            table = tf.lookup.StaticHashTable(
                tf.lookup.TextFileInitializer(
                    str(path), tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
                    tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER,
                ),
                default_value=-1,
            )  # fmt: skip
            looked_up = table.lookup(words) * (10**i)
            words_ids = looked_up if words_ids is None else words_ids + looked_up
        ids = tf.identity(words_ids, name="ids")
        sess.run(tf.tables_initializer())
        builder = tf.saved_model.builder.SavedModelBuilder(str(export_dir))
        signature = tf.saved_model.predict_signature_def({"words": words}, {"ids": ids})
        builder.add_meta_graph_and_variables(
            sess,
            [tf.saved_model.SERVING],
            signature_def_map={"serving_default": signature},
            assets_collection=tf.get_collection(tf.GraphKeys.ASSET_FILEPATHS),
            main_op=tf.tables_initializer(),
        )
        builder.save()


def test_assets_are_copied_recorded_and_fed_with_their_new_path(tmp_path):
    vocab = tmp_path / "src" / "vocab.txt"
    vocab.parent.mkdir()
    vocab.write_text(VOCAB)
    export_dir = tmp_path / "model"
    export(export_dir, [vocab])
    assert (export_dir / "assets" / "vocab.txt").read_text() == VOCAB
    meta = read_saved_model(str(export_dir)).meta_graphs[0]
    (asset,) = meta.asset_file_def
    assert asset.filename == "vocab.txt"
    assert asset.tensor_info.name.endswith("asset_filepath:0")
    packed = meta.collection_def["saved_model_assets"].any_list.value
    assert packed[0].type_url == "type.googleapis.com/tensorflow.AssetFileDef"
    vocab.unlink()  # the model no longer needs the original file
    moved = tmp_path / "moved"
    os.rename(export_dir, moved)
    assert _load_and_lookup(moved, WORDS) == [2, -1, 0]


def test_different_files_of_one_name_are_kept_apart(tmp_path):
    first, second = tmp_path / "a" / "vocab.txt", tmp_path / "b" / "vocab.txt"
    for path, text in ((first, "x\ny\n"), (second, "y\nx\n")):
        path.parent.mkdir()
        path.write_text(text)
    export(tmp_path / "model", [first, second])
    assert sorted(os.listdir(tmp_path / "model" / "assets")) == ["vocab.txt", "vocab.txt_1"]
    assert _load_and_lookup(tmp_path / "model", ["x", "y"]) == [0 + 10, 1 + 0]


def test_an_asset_must_be_a_string_constant(tmp_path):
    with tf.Graph().as_default(), tf.Session() as sess:
        path = tf.placeholder(tf.string, [])
        builder = tf.saved_model.builder.SavedModelBuilder(str(tmp_path / "m"))
        with pytest.raises(TypeError, match="Asset path tensor must be of type constant"):
            builder.add_meta_graph_and_variables(sess, ["serve"], assets_collection=[path])
        with pytest.raises(TypeError, match="must be of dtype string"):
            builder.add_meta_graph_and_variables(
                sess, ["serve"], assets_collection=[tf.constant(1.0)]
            )


def test_tensorflow_loaded_our_saved_model_and_its_asset():
    # tests/fixtures/make_tf_import_check.py: TF's loader on a SavedModel export() wrote
    result = json.loads((FIXTURES / "tf_import" / "results.json").read_text())
    checked = result["saved_model_assets"]
    assert checked["loaded"], checked
    assert checked["ids"] == [2, -1, 0]
    assert _load_and_lookup(FIXTURES / "tf_import" / "saved_model_assets", WORDS) == [2, -1, 0]


def test_saved_model_asset_names_its_file_in_a_constant(tmp_path):
    vocab = tmp_path / "words.txt"
    vocab.write_text(VOCAB)
    with tf.Graph().as_default() as graph, tf.Session() as sess:
        asset = tf.saved_model.Asset(vocab)  # os.PathLike, as TF takes it
        assert asset.asset_path.op.type == "Const" and asset.asset_path.graph is graph
        assert sess.run(asset.asset_path) == str(vocab).encode()
        words = tf.placeholder(tf.string, [None], name="words")
        table = tf.lookup.StaticHashTable(
            tf.lookup.TextFileInitializer(asset.asset_path, tf.string, -2, tf.int64, -1), -1
        )
        ids = tf.identity(table.lookup(words), name="ids")
        builder = tf.saved_model.builder.SavedModelBuilder(str(tmp_path / "model"))
        signature = tf.saved_model.predict_signature_def({"words": words}, {"ids": ids})
        builder.add_meta_graph_and_variables(
            sess, [tf.saved_model.SERVING], signature_def_map={"serving_default": signature},
            assets_collection=[asset.asset_path], main_op=tf.tables_initializer(),
        )  # fmt: skip
        builder.save()
    vocab.unlink()
    assert (tmp_path / "model" / "assets" / "words.txt").read_text() == VOCAB
    assert _load_and_lookup(tmp_path / "model", WORDS) == [2, -1, 0]
