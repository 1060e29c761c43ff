"""`tf.resource_loader`: data files found next to the calling module."""

import os

import flowgraph as tf

HERE = os.path.dirname(os.path.abspath(__file__))


def test_paths_are_relative_to_the_caller():
    assert tf.resource_loader.get_data_files_path() == HERE
    assert tf.resource_loader.get_path_to_datafile("fixtures/x.txt") == os.path.join(
        HERE, "fixtures/x.txt"
    )
    assert tf.resource_loader.readahead_file_path("/a/b") == "/a/b"


def test_load_resource_reads_flowgraphs_own_files():
    root = tf.resource_loader.get_root_dir_with_all_resources()
    assert os.path.isfile(os.path.join(root, "export_table.py"))
    assert tf.resource_loader.load_resource("export_table.py").startswith(b'"""The export table')
