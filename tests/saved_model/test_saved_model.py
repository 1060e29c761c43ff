"""`tf.saved_model`: build, save and load a SavedModel; signatures; TF's proto parses."""

import json
import os
import pathlib

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.saved_model.loader import read_saved_model

FIXTURE = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf_saved_model"


def _model():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    w = tf.Variable([[1.0], [2.0]], name="w")
    return x, w, tf.matmul(x, w, name="y")


def test_simple_save_then_load_and_run_the_signature(tmp_path):
    export_dir = str(tmp_path / "model")
    with tf.Graph().as_default(), tf.Session() as sess:
        x, w, y = _model()
        sess.run(tf.global_variables_initializer())
        sess.run(w.assign([[3.0], [4.0]]))
        tf.saved_model.simple_save(sess, export_dir, {"x": x}, {"y": y})
    assert tf.saved_model.contains_saved_model(export_dir)
    assert os.listdir(os.path.join(export_dir, "variables"))
    with tf.Graph().as_default() as graph, tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, [tf.saved_model.tag_constants.SERVING], export_dir)
        signature = meta.signature_def[tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY]
        assert signature.method_name == "tensorflow/serving/predict"
        x = tf.saved_model.utils.get_tensor_from_tensor_info(signature.inputs["x"], graph)
        y = tf.saved_model.get_tensor_from_tensor_info(signature.outputs["y"])
        np.testing.assert_allclose(sess.run(y, {x: [[1.0, 1.0]]}), [[7.0]])


def test_builder_with_two_meta_graphs_and_a_main_op(tmp_path):
    export_dir = str(tmp_path / "model")
    builder = tf.saved_model.builder.SavedModelBuilder(export_dir)
    with tf.Graph().as_default(), tf.Session() as sess:
        x, w, y = _model()
        counter = tf.Variable(0, name="counter", trainable=False,
                              collections=[tf.GraphKeys.LOCAL_VARIABLES])  # fmt: skip
        sess.run(tf.global_variables_initializer())
        with pytest.raises(AssertionError, match="has not been saved yet"):
            builder.add_meta_graph(["eval"])
        builder.add_meta_graph_and_variables(
            sess, ["train"], main_op=tf.group(tf.local_variables_initializer(),
                                              tf.assign(counter, 5).op),
        )  # fmt: skip
        with pytest.raises(AssertionError, match="already been saved"):
            builder.add_meta_graph_and_variables(sess, ["x"])
        builder.add_meta_graph([tf.saved_model.SERVING, tf.saved_model.GPU])
    path = builder.save(as_text=True)
    assert path.endswith("saved_model.pbtxt")
    saved = read_saved_model(export_dir)
    assert [list(m.meta_info_def.tags) for m in saved.meta_graphs] == [["train"], ["serve", "gpu"]]
    with tf.Graph().as_default() as graph, tf.Session() as sess:
        tf.saved_model.load(sess, ["train"], export_dir)
        assert sess.run(graph.get_tensor_by_name("counter:0")) == 5
        np.testing.assert_allclose(sess.run(graph.get_tensor_by_name("w:0")), [[1.0], [2.0]])
    with tf.Graph().as_default(), tf.Session() as sess:
        with pytest.raises(RuntimeError, match="could not be found in SavedModel"):
            tf.saved_model.loader.load(sess, ["serve"], export_dir)
    with pytest.raises(AssertionError, match="isn't empty"):
        tf.saved_model.Builder(export_dir)


def test_legacy_init_op_runs_after_the_restore_as_a_main_op(tmp_path):
    export_dir = str(tmp_path / "model")
    with tf.Graph().as_default(), tf.Session() as sess:
        _model()
        counter = tf.Variable(0, name="counter", trainable=False,
                              collections=[tf.GraphKeys.LOCAL_VARIABLES])  # fmt: skip
        sess.run(tf.global_variables_initializer())
        legacy = tf.group(tf.local_variables_initializer(), tf.assign(counter, 7).op)
        builder = tf.saved_model.builder.SavedModelBuilder(export_dir)
        builder.add_meta_graph_and_variables(sess, ["serve"], legacy_init_op=legacy)
        builder.save()
    saved = read_saved_model(export_dir)
    collections = saved.meta_graphs[0].collection_def
    assert tf.saved_model.constants.MAIN_OP_KEY in collections  # where TF 2.x's builder puts it
    with tf.Graph().as_default() as graph, tf.Session() as sess:
        tf.saved_model.loader.load(sess, ["serve"], export_dir)
        assert sess.run(graph.get_tensor_by_name("counter:0")) == 7
    # Older TF1 builders wrote it to the `legacy_init_op` collection: the loader runs it too.
    meta = saved.meta_graphs[0]
    meta.collection_def[tf.saved_model.constants.LEGACY_INIT_OP_KEY].CopyFrom(
        meta.collection_def.pop(tf.saved_model.constants.MAIN_OP_KEY)
    )
    pathlib.Path(export_dir, "saved_model.pb").write_bytes(saved.SerializeToString())
    with tf.Graph().as_default() as graph, tf.Session() as sess:
        tf.saved_model.loader.load(sess, ["serve"], export_dir)
        assert sess.run(graph.get_tensor_by_name("counter:0")) == 7


def test_missing_saved_model_is_an_os_error(tmp_path):
    assert not tf.saved_model.loader.maybe_saved_model_directory(str(tmp_path))
    with tf.Graph().as_default(), tf.Session() as sess:
        with pytest.raises(OSError, match="SavedModel file does not exist"):
            tf.saved_model.loader.load(sess, ["serve"], str(tmp_path))


def test_signatures_and_their_validation():
    with tf.Graph().as_default():
        examples = tf.placeholder(tf.string, [None], name="examples")
        scores = tf.placeholder(tf.float32, [None, 3], name="scores")
        classes = tf.placeholder(tf.string, [None, 3], name="classes")
        sparse = tf.sparse_placeholder(tf.float32, name="sp")
        classify = tf.saved_model.classification_signature_def(examples, classes, scores)
        regress = tf.saved_model.regression_signature_def(examples, scores)
        predict = tf.saved_model.predict_signature_def({"in": sparse}, {"out": scores})
        info = tf.saved_model.build_tensor_info(scores)
        assert (info.name, info.dtype) == ("scores:0", tf.float32.as_datatype_enum)
        assert [d.size for d in info.tensor_shape.dim] == [-1, 3]
        assert predict.inputs["in"].coo_sparse.values_tensor_name == sparse.values.name
        restored = tf.saved_model.get_tensor_from_tensor_info(predict.inputs["in"])
        assert isinstance(restored, tf.SparseTensor)
        assert set(classify.outputs) == {"classes", "scores"}
        assert [tf.saved_model.is_valid_signature(s) for s in (classify, regress, predict)] == [
            True, True, True,
        ]  # fmt: skip
        regress.outputs["outputs"].dtype = tf.string.as_datatype_enum
        assert not tf.saved_model.is_valid_signature(regress)
        assert not tf.saved_model.is_valid_signature(tf.saved_model.build_signature_def())
        with pytest.raises(ValueError, match="examples must be a string Tensor"):
            tf.saved_model.classification_signature_def(scores, classes, None)
        with pytest.raises(ValueError, match="classes and scores cannot both be None"):
            tf.saved_model.classification_signature_def(examples, None, None)
        with pytest.raises(ValueError, match="predictions must be a float Tensor"):
            tf.saved_model.regression_signature_def(examples, classes)
        with pytest.raises(ValueError, match="Prediction inputs cannot be None or empty"):
            tf.saved_model.predict_signature_def({}, {"out": scores})


def test_tensorflows_saved_model_proto_parses():
    saved = read_saved_model(str(FIXTURE))
    assert saved.saved_model_schema_version == 1
    (meta,) = saved.meta_graphs
    assert list(meta.meta_info_def.tags) == ["serve"]
    signature = meta.signature_def["serving_default"]
    assert signature.inputs["x"].name == "x:0" and signature.outputs["y"].name == "y:0"
    serving = tf.graph_util.extract_sub_graph(meta.graph_def, ["y"])  # not TF's saver ops
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(serving, name="")
        assert graph.get_tensor_by_name("y:0").op.type == "MatMul"


def test_main_op_initializes_global_and_local_variables():
    with tf.Graph().as_default() as graph:
        v = tf.Variable(2.0, name="v")
        local = tf.Variable(3.0, name="local", collections=[tf.GraphKeys.LOCAL_VARIABLES])
        op = tf.saved_model.main_op.main_op()
        saver = tf.train.Saver([v])
        restore_name = saver.saver_def.restore_op_name
        after_restore = tf.saved_model.main_op_with_restore(restore_name)
        assert graph.get_operation_by_name(restore_name) in after_restore.control_inputs
        with tf.Session() as sess:
            sess.run(op)
            assert sess.run([v, local]) == [2.0, 3.0]


def test_method_name_updater(tmp_path):
    export_dir, new_dir = str(tmp_path / "model"), str(tmp_path / "renamed")
    with tf.Graph().as_default(), tf.Session() as sess:
        x, w, y = _model()
        sess.run(tf.global_variables_initializer())
        tf.saved_model.simple_save(sess, export_dir, {"x": x}, {"y": y})
    updater = tf.saved_model.signature_def_utils.MethodNameUpdater(export_dir)
    with pytest.raises(ValueError, match="does not have a signature_def with key: 'nope'"):
        updater.replace_method_name("nope", "regress")
    with pytest.raises(ValueError, match="could not be found in SavedModel"):
        updater.replace_method_name("serving_default", "regress", tags="train")
    updater.replace_method_name("serving_default", "tensorflow/serving/regress", tags="serve")
    updater.save(new_dir)
    (meta,) = read_saved_model(new_dir).meta_graphs
    assert meta.signature_def["serving_default"].method_name == "tensorflow/serving/regress"
    (original,) = read_saved_model(export_dir).meta_graphs
    assert original.signature_def["serving_default"].method_name.endswith("predict")


def test_a_saved_model_exported_by_tensorflow_loads_and_computes_tensorflows_values():
    expected = json.loads((FIXTURE / "expected.json").read_text())
    with tf.Session(graph=tf.Graph()) as sess:
        meta = tf.saved_model.loader.load(
            sess, [tf.saved_model.tag_constants.SERVING], str(FIXTURE)
        )
        signature = meta.signature_def["serving_default"]
        got = sess.run(signature.outputs["y"].name, {signature.inputs["x"].name: expected["x"]})
        (w,) = tf.global_variables()
        assert w.op.name == "w" and sess.run(w).tolist() == [[1.0], [2.0]]
    np.testing.assert_allclose(got, expected["y"])
