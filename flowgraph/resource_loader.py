"""`tf.resource_loader`: paths of data files next to the code that uses them."""

from __future__ import annotations

import inspect
import os
import sys

_ROOT = os.path.dirname(os.path.abspath(__file__))  # flowgraph's package directory


def get_data_files_path():
    """The directory of the calling module's file: where its data files live."""
    return os.path.dirname(inspect.getfile(sys._getframe(1)))


def get_root_dir_with_all_resources():
    """The root directory of flowgraph's own resources (its package directory)."""
    return _ROOT


def get_path_to_datafile(path):
    """The path of `path` relative to the calling module's directory.

    Example:
      >>> tf.resource_loader.get_path_to_datafile("testdata/vocab.txt")
    """
    return os.path.join(os.path.dirname(inspect.getfile(sys._getframe(1))), path)


def load_resource(path):
    """The contents (bytes) of the resource at `path`, relative to flowgraph's package.

    Raises:
      IOError: if the path is not found or the resource can't be opened.
    """
    with open(os.path.join(_ROOT, path), "rb") as f:
        return f.read()


def readahead_file_path(path, readahead="128M"):
    """Readahead files are not supported; simply returns the given path."""
    return path
