"""SavedModels and a V1 checkpoint written by TensorFlow 1.0-1.14 (TensorFlow Serving's test
data, `tests/fixtures/tf1_serving/README.md`): they load, every signature computes what the
scripts that wrote them define, their variables read back, their assets resolve.

The models compute y = a*x + b, y2 = a*x + c, y3 = a2*x2 + c2 (a = a2 = 0.5, b = 2,
c = c2 = 3; x and x2 parsed from tf.Example features, x2 defaulting to 0); the counter's
signatures get, increment, increment by `delta` and reset one variable.
"""

import os
import pathlib
import shutil

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.saved_model import assets

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf1_serving"

# model directory -> the TensorFlow version that wrote it (meta_info_def)
MODELS = {
    "saved_model_half_plus_two_cpu/00000123": "1.14.0",  # snappy-compressed .index blocks
    "saved_model_half_plus_two_mkl/00000123": "1.12.0-rc0",  # resource variables, Conv2D
    "saved_model_half_plus_two_gpu/00000123": "1.9.0",  # ops placed on /gpu:0
    "saved_model_half_plus_two_2_versions/00000123": "1.1.0-rc2",
    "saved_model_half_plus_three/00000123": "1.0.0-rc2",  # GraphDef version 21
    "saved_model_counter/00000123": "1.5.0-rc1",
}


def _example(x=None, x2=None):
    feature = {}
    if x is not None:
        feature["x"] = tf.train.Feature(float_list=tf.train.FloatList(value=[x]))
    if x2 is not None:
        feature["x2"] = tf.train.Feature(float_list=tf.train.FloatList(value=[x2]))
    example = tf.train.Example(features=tf.train.Features(feature=feature))
    return example.SerializeToString()


def _load(model):
    config = tf.ConfigProto(allow_soft_placement=True)  # TF Serving's: the GPU model on CPU
    sess = tf.Session(graph=tf.Graph(), config=config)
    meta_graph = tf.saved_model.loader.load(sess, ["serve"], str(FIXTURES / model))
    return sess, meta_graph


def _run(sess, signature, feeds):
    graph = sess.graph
    feed_dict = {graph.get_tensor_by_name(signature.inputs[k].name): v for k, v in feeds.items()}
    fetches = {k: graph.get_tensor_by_name(v.name) for k, v in signature.outputs.items()}
    return sess.run(fetches, feed_dict)


def _expected(name, examples, x2=None):
    """What signature `name` answers for Examples with these `x` (or for x2 fed directly)."""
    xs = np.array([[x] for x in examples], np.float32)
    if name in ("regress_x_to_y", "classify_x_to_y", "tensorflow/serving/regress"):
        return 0.5 * xs + (3 if name == "tensorflow/serving/regress" else 2)
    if name == "regress_x_to_y2":
        return 0.5 * xs + 3
    return 0.5 * np.asarray(x2, np.float32) + 3  # regress_x2_to_y3, classify_x2_to_y3


@pytest.mark.parametrize("model", [m for m in MODELS if "counter" not in m])
def test_half_plus_two_models_load_and_run_every_signature(model):
    sess, meta_graph = _load(model)
    with sess:
        version = meta_graph.meta_info_def.tensorflow_version
        assert version.startswith("1.") and version == MODELS[model]
        assert list(meta_graph.meta_info_def.tags) == ["serve"]
        three = "half_plus_three" in model
        x = np.array([[1.0], [2.0], [5.0]], np.float32)
        y = _run(sess, meta_graph.signature_def["serving_default"], {"x": x})["y"]
        np.testing.assert_allclose(y, 0.5 * x + (3 if three else 2))
        examples = [1.0, 4.0]
        serialized = np.array([_example(v, x2=7.0) for v in examples], object)
        checked = 1
        for name, signature in meta_graph.signature_def.items():
            if name == "serving_default":
                continue
            key = "inputs"
            assert set(signature.inputs) == {key}
            (out_key,) = signature.outputs
            assert out_key == ("scores" if "classify" in signature.method_name else "outputs")
            method = signature.method_name.rsplit("/", 1)[1]
            assert method in name or name == "tensorflow/serving/regress"
            if "mkl" in model and name in ("regress_x_to_y2", "regress_x2_to_y3"):
                continue  # they add a whole Conv2D output: test_mkl_model_...
            if "x2" in name:
                x2 = np.array([[7.0], [-2.0]], np.float32)
                got = _run(sess, signature, {key: x2})[out_key]
                expected = _expected(name, examples, x2)
            else:
                got = _run(sess, signature, {key: serialized})[out_key]
                expected = _expected(name, examples)
            np.testing.assert_allclose(got, expected, rtol=1e-6, err_msg=name)
            checked += 1
        assert checked == len(meta_graph.signature_def) - (2 if "mkl" in model else 0)


def test_mkl_model_y2_and_y3_add_the_whole_conv_output_as_tensorflow_does():
    """As TF 1.12 wrote this model, y2 and y3 add the whole (zero) (1, 10, 10, 1) Conv2D
    output, not its [0, 0, 0, 0] element (`add_3` reads `conv2d_1/BiasAdd`): TF answers a
    (1, 10, 10, 1) tensor for one input and fails on two."""
    sess, meta_graph = _load("saved_model_half_plus_two_mkl/00000123")
    with sess:
        sigs = meta_graph.signature_def
        got = _run(sess, sigs["regress_x2_to_y3"], {"inputs": [[7.0]]})["outputs"]
        np.testing.assert_allclose(got, np.full((1, 10, 10, 1), 6.5, np.float32))
        got = _run(sess, sigs["regress_x_to_y2"], {"inputs": [_example(4.0)]})["outputs"]
        np.testing.assert_allclose(got, np.full((1, 10, 10, 1), 5.0, np.float32))
        with pytest.raises(tf.errors.InvalidArgumentError, match="Incompatible shapes"):
            _run(sess, sigs["regress_x2_to_y3"], {"inputs": [[7.0], [1.0]]})


def test_a_missing_feature_takes_its_default_and_a_missing_required_one_fails():
    sess, meta_graph = _load("saved_model_half_plus_two_cpu/00000123")
    with sess:
        signature = meta_graph.signature_def["regress_x_to_y"]
        x2 = sess.run("x2:0", {"tf_example:0": [_example(3.0)]})
        np.testing.assert_array_equal(x2, [[0.0]])  # FixedLenFeature default_value=[0.0]
        with pytest.raises(tf.errors.InvalidArgumentError, match="x"):
            _run(sess, signature, {"inputs": [_example(x2=1.0)]})


def test_counter_signatures_run_in_sequence():
    sess, meta_graph = _load("saved_model_counter/00000123")
    with sess:
        assert meta_graph.meta_info_def.tensorflow_version == "1.5.0-rc1"
        sigs = meta_graph.signature_def
        assert {s.method_name for s in sigs.values()} == {"tensorflow/serving/predict"}

        def call(name, **feeds):
            return float(_run(sess, sigs[name], feeds)["output"])

        assert call("get_counter") == 0.0
        assert call("incr_counter") == 1.0
        assert call("incr_counter") == 2.0
        assert call("incr_counter_by", delta=np.float32(3.5)) == 5.5
        assert call("get_counter") == 5.5
        assert call("reset_counter") == 0.0
        assert call("incr_counter_by", delta=np.float32(-2.0)) == -2.0


@pytest.mark.parametrize(
    "model, values",
    [
        ("saved_model_half_plus_two_cpu/00000123", {"a": 0.5, "b": 2.0, "c": 3.0, "a2": 0.5,
                                                    "c2": 3.0}),  # fmt: skip
        ("saved_model_half_plus_three/00000123", {"a": 0.5, "b": 3.0, "c": 3.0}),
        ("saved_model_counter/00000123", {"counter": 0.0}),
    ],
)
def test_variables_read_back_with_the_checkpoint_reader_and_saver(model, values):
    prefix = str(FIXTURES / model / "variables" / "variables")
    listed = dict(tf.train.list_variables(prefix))
    for name, value in values.items():
        assert listed[name] == []
        assert tf.train.load_variable(prefix, name) == np.float32(value)
    reader = tf.train.NewCheckpointReader(prefix)
    assert all(reader.get_tensor(n) == np.float32(v) for n, v in values.items())
    with tf.Graph().as_default(), tf.Session() as sess:
        variables = {n: tf.Variable(np.float32(-1.0), name=n) for n in values}
        tf.train.Saver(variables).restore(sess, prefix)
        assert sess.run(variables) == pytest.approx(values)


@pytest.mark.parametrize(
    "model",
    ["saved_model_half_plus_two_cpu/00000123", "saved_model_half_plus_three/00000123"],
)
def test_assets_resolve_into_the_export_directory(model):
    sess, meta_graph = _load(model)
    with sess:
        (tensor, path), = assets.asset_tensors(meta_graph, str(FIXTURES / model)).items()
        assert path == str(FIXTURES / model / "assets" / "foo.txt")
        with open(path) as f:
            assert f.read() == "asset-file-contents"
        # The main op (legacy_init_op in TF 1.0) ran: it assigns the asset's file name.
        assert sess.run("filename_tensor:0") == b"foo.txt"
        assert sess.run(tensor, {tensor: path}) == path.encode()


def test_v1_checkpoint_of_a_session_bundle_export_restores():
    """`bad_half_plus_two` (TF Serving's session-bundle export): `export.meta` holds a
    graph of TF 1.x's `Variable` ops with a V1 Saver (SaveSlices / RestoreSlice), and
    `export` is a V1 checkpoint (one snappy-compressed table of SavedTensorSlices)."""
    directory = FIXTURES / "bad_half_plus_two" / "00000123"
    prefix = str(directory / "export")
    assert tf.train.list_variables(prefix) == [("Variable", []), ("Variable_1", [])]
    reader = tf.train.NewCheckpointReader(prefix)
    assert reader.get_variable_to_shape_map() == {"Variable": [], "Variable_1": []}
    assert reader.get_variable_to_dtype_map()["Variable"] == tf.float32
    assert reader.get_tensor("Variable") == np.float32(0.5)
    assert reader.get_tensor("Variable_1") == np.float32(2.0)
    with tf.Graph().as_default() as graph, tf.Session() as sess:
        saver = tf.train.import_meta_graph(str(directory / "export.meta"))
        assert graph.get_operation_by_name("save/restore_slice").type == "RestoreSlice"
        saver.restore(sess, prefix)
        x = graph.get_tensor_by_name("Placeholder:0")
        y = graph.get_tensor_by_name("Add:0")
        np.testing.assert_allclose(sess.run(y, {x: [1.0, 4.0]}), [2.5, 4.0])
        with pytest.raises(ValueError, match="not a valid checkpoint"):
            saver.restore(sess, str(directory / "missing"))


def test_the_model_server_serves_a_tf1_model_over_rest(tmp_path):
    from tests.serving.server_process import ServerProcess

    base = tmp_path / "half_plus_two"
    shutil.copytree(FIXTURES / "saved_model_half_plus_two_2_versions", base)
    with ServerProcess("--model_name=half_plus_two", f"--model_base_path={base}") as server:
        code, doc = server.rest("/v1/models/half_plus_two")
        assert code == 200
        assert [s["version"] for s in doc["model_version_status"]] == ["124"]
        code, doc = server.rest("/v1/models/half_plus_two:predict",
                                {"instances": [[1.0], [2.0], [5.0]]})  # fmt: skip
        assert code == 200, doc
        np.testing.assert_allclose(doc["predictions"], [[2.5], [3.0], [4.5]])
        body = {"signature_name": "regress_x_to_y2", "examples": [{"x": 1.0}, {"x": 4.0}]}
        code, doc = server.rest("/v1/models/half_plus_two:regress", body)
        assert code == 200, doc
        np.testing.assert_allclose(np.reshape(doc["result"], -1), [3.5, 5.0])
        body = {"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]}
        code, doc = server.rest("/v1/models/half_plus_two:classify", body)
        assert code == 200, doc
        ((label_and_score,),) = doc["result"]
        assert label_and_score[-1] == pytest.approx(3.0), doc
    assert os.path.isdir(base / "00000124")
