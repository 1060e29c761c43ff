"""tf.app.run, tf.app.flags / tf.flags (absl flags with TF1's ways) and tf.logging."""

from __future__ import annotations

import logging as std_logging
import os
import subprocess
import sys
import textwrap

import pytest

import flowgraph as tf
from flowgraph import flags as fg_flags


@pytest.fixture
def flag_values():
    return tf.flags.FlagValues()


def test_define_functions_and_tf1_argument_names(flag_values):
    f = tf.app.flags
    f.DEFINE_string("name", "x", "a string", flag_values=flag_values)
    f.DEFINE_integer(
        flag_name="steps", default_value=10, docstring="old names", flag_values=flag_values
    )
    f.DEFINE_float("lr", 0.1, "a float", flag_values=flag_values)
    f.DEFINE_boolean("verbose", False, "a bool", flag_values=flag_values)
    f.DEFINE_bool("fast", True, "another bool", flag_values=flag_values)
    f.DEFINE_list("layers", "1,2", "a list", flag_values=flag_values)
    f.DEFINE_enum("mode", "train", ["train", "eval"], "an enum", flag_values=flag_values)
    f.DEFINE_multi_string("tag", [], "repeatable", flag_values=flag_values)
    rest = flag_values(
        ["prog", "--name=y", "--steps", "7", "--lr=0.5", "--verbose", "--nofast",
         "--layers=3,4,5", "--mode=eval", "--tag=a", "--tag=b", "positional"]
    )  # fmt: skip
    assert rest == ["prog", "positional"]
    got = (flag_values.name, flag_values.steps, flag_values.lr, flag_values.verbose)
    assert got == ("y", 7, 0.5, True)
    assert flag_values.fast is False
    assert flag_values.layers == ["3", "4", "5"] and flag_values.mode == "eval"
    assert flag_values.tag == ["a", "b"]
    with pytest.raises(tf.flags.IllegalFlagValueError):
        flag_values(["prog", "--mode=predict"])
    assert tf.flags is tf.app.flags


def test_required_flags_fail_without_a_value(flag_values):
    tf.flags.DEFINE_string("data_dir", None, "required", flag_values=flag_values)
    tf.flags.mark_flag_as_required("data_dir", flag_values=flag_values)
    with pytest.raises(tf.flags.IllegalFlagValueError, match="data_dir"):
        flag_values(["prog"])
    flag_values(["prog", "--data_dir=/d"])
    assert flag_values.data_dir == "/d"


def test_flags_parse_sys_argv_on_first_read_ignoring_unknown(flag_values, monkeypatch):
    tf.flags.DEFINE_integer("batch", 32, "batch size", flag_values=flag_values)
    wrapped = fg_flags._FlagValuesWrapper(flag_values)
    monkeypatch.setattr(sys, "argv", ["prog", "--batch=8", "--not_defined=1"])
    assert not wrapped.is_parsed()  # asking does not parse
    assert wrapped.batch == 8
    assert wrapped.is_parsed() and "batch" in wrapped
    wrapped.batch = 4
    assert flag_values.batch == 4


def test_app_run_parses_flags_calls_main_and_exits_with_its_status(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(
        textwrap.dedent(
            """
            import flowgraph as tf

            tf.app.flags.DEFINE_string("greeting", "hi", "what to say")
            tf.app.flags.DEFINE_integer("times", 1, "how often")
            FLAGS = tf.app.flags.FLAGS

            def main(argv):
                print(FLAGS.greeting * FLAGS.times, argv[1:])
                return 3

            if __name__ == "__main__":
                tf.app.run()
            """
        )
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root, JAX_PLATFORMS="cpu")
    env.pop("XLA_FLAGS", None)
    out = subprocess.run(
        [sys.executable, str(script), "--greeting=ab", "--times", "2", "--unknown=1", "rest"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 3, out.stderr
    assert out.stdout.strip() == "abab ['--unknown=1', 'rest']"


@pytest.fixture
def verbosity():
    old = tf.logging.get_verbosity()
    yield
    tf.logging.set_verbosity(old)


def _messages(caplog) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records]


def test_levels_and_verbosity(verbosity, caplog):
    levels = (tf.logging.DEBUG, tf.logging.INFO, tf.logging.WARN, tf.logging.ERROR)
    assert levels + (tf.logging.FATAL,) == (10, 20, 30, 40, 50)
    caplog.set_level(std_logging.DEBUG)
    tf.logging.set_verbosity(tf.logging.WARN)
    assert tf.logging.get_verbosity() == tf.logging.WARN
    tf.logging.info("hidden %d", 1)
    tf.logging.warn("shown %d", 2)
    tf.logging.set_verbosity(tf.logging.DEBUG)
    assert tf.logging.get_verbosity() == 10
    tf.logging.debug("debug")
    tf.logging.info("info")
    tf.logging.warning("warning")
    tf.logging.error("error")
    tf.logging.fatal("fatal, and the process goes on")
    tf.logging.vlog(tf.logging.INFO, "vlog %s", "x")
    tf.logging.log_if(tf.logging.ERROR, "if true", True)
    tf.logging.log_if(tf.logging.ERROR, "if false", False)
    tf.logging.flush()
    assert _messages(caplog) == [
        (30, "shown 2"),
        (10, "debug"),
        (20, "info"),
        (30, "warning"),
        (40, "error"),
        (50, "fatal, and the process goes on"),
        (20, "vlog x"),
        (40, "if true"),
    ]
    assert {r.filename for r in caplog.records} == {os.path.basename(__file__)}


def test_log_every_n_and_first_n_count_per_call_site(verbosity, caplog):
    caplog.set_level(std_logging.INFO)
    tf.logging.set_verbosity(tf.logging.INFO)
    for i in range(10):
        tf.logging.log_every_n(tf.logging.INFO, "every %d", 3, i)
        tf.logging.log_first_n(tf.logging.WARN, "first %d", 2, i)
    assert _messages(caplog) == [
        (20, "every 0"),
        (30, "first 0"),
        (30, "first 1"),
        (20, "every 3"),
        (20, "every 6"),
        (20, "every 9"),
    ]
    assert {r.filename for r in caplog.records} == {os.path.basename(__file__)}


def test_info_logs_of_a_checkpoint_save_are_ours_not_orbaxs(verbosity, caplog, tmp_path):
    caplog.set_level(std_logging.DEBUG)
    tf.logging.set_verbosity(tf.logging.INFO)
    with tf.Graph().as_default():
        v = tf.Variable(1.0, name="v")
        with tf.Session() as sess:
            sess.run(v.initializer)
            tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"))
            tf.logging.info("saved")
    assert not [r for r in caplog.records if "orbax" in r.pathname]
    assert (20, "saved") in _messages(caplog)
    logger = tf.logging.get_logger()
    record = std_logging.LogRecord("absl", 30, "/x/orbax/checkpoint/y.py", 1, "warn", (), None)
    assert logger.filter(record)  # orbax's warnings still show


def test_get_logger_is_the_logger_tf_logging_writes_to(caplog):
    logger = tf.get_logger()
    assert logger is tf.logging.get_logger() and isinstance(logger, std_logging.Logger)
    old = logger.level
    try:
        logger.setLevel(std_logging.ERROR)
        with caplog.at_level(std_logging.ERROR, logger=logger.name):
            tf.logging.info("hidden")
            tf.logging.error("shown %d", 7)
        assert [r.getMessage() for r in caplog.records] == ["shown 7"]
    finally:
        logger.setLevel(old)
