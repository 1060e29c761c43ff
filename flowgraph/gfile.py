"""`tf.gfile` / `tf.io.gfile`: TensorFlow's file API on the local file system, raising
TF's errors (`NotFoundError`, `AlreadyExistsError`, ...) instead of OSError."""

from __future__ import annotations

import collections
import contextlib
import os
import shutil

from kernels import errors
from kernels.file_io import matching_paths, os_error


@contextlib.contextmanager
def _tf_errors(path):
    try:
        yield
    except OSError as e:
        raise os_error(e, os.fsdecode(path)) from None


class GFile:
    """A file (TF's `tf.gfile.GFile`): opened on first use, text or binary by `mode`.

    Example:
      >>> with tf.gfile.GFile("/tmp/out.txt", "w") as f:
      ...     f.write("hello")
    """

    def __init__(self, name, mode="r"):
        self.name, self.mode = os.fsdecode(name), mode
        self._file = None

    def _f(self):
        if self._file is None:
            if "r" in self.mode and not os.path.exists(self.name):
                raise errors.NotFoundError(None, None, f"{self.name}; No such file or directory")
            with _tf_errors(self.name):
                self._file = open(self.name, self.mode)
        return self._file

    def read(self, n=-1):
        """Reads `n` bytes or characters (all that is left when n is -1)."""
        return self._f().read(n)

    def readline(self):
        return self._f().readline()

    def readlines(self):
        return self._f().readlines()

    def write(self, file_content) -> None:
        self._f().write(file_content)

    def seek(self, offset=None, whence=0, position=None):
        return self._f().seek(position if offset is None else offset, whence)

    def tell(self) -> int:
        return self._f().tell()

    def size(self) -> int:
        """The size of the file in bytes."""
        return Stat(self.name).length

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def seekable(self) -> bool:
        return True

    def __iter__(self):
        return iter(self._f())

    def __next__(self):
        return next(self._f())

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


Open = GFile
FastGFile = GFile

FileStatistics = collections.namedtuple("FileStatistics", ["length", "mtime_nsec", "is_directory"])


def Exists(filename) -> bool:
    """Whether a file or directory exists at `filename`."""
    return os.path.exists(filename)


def IsDirectory(dirname) -> bool:
    """Whether `dirname` is a directory."""
    return os.path.isdir(dirname)


def Glob(filename):
    """The sorted paths matching a glob pattern (or a list of patterns)."""
    patterns = [filename] if isinstance(filename, (str, bytes, os.PathLike)) else filename
    return [p for pattern in patterns for p in matching_paths(os.fsdecode(pattern))]


def MkDir(dirname) -> None:
    """Creates a directory; its parent must exist. AlreadyExistsError if it exists."""
    with _tf_errors(dirname):
        os.mkdir(dirname)


def MakeDirs(dirname) -> None:
    """Creates a directory and any missing parents (no error if it exists)."""
    with _tf_errors(dirname):
        os.makedirs(dirname, exist_ok=True)


def ListDirectory(dirname) -> list[str]:
    """The names of the entries of a directory (without `.` and `..`), unordered."""
    if not IsDirectory(dirname):
        raise errors.NotFoundError(None, None, f"Could not find directory {dirname}")
    with _tf_errors(dirname):
        return os.listdir(dirname)


def Remove(filename) -> None:
    """Deletes a file; NotFoundError if it does not exist."""
    with _tf_errors(filename):
        os.remove(filename)


def DeleteRecursively(dirname) -> None:
    """Deletes a directory and everything under it (or one file)."""
    if not Exists(dirname):
        raise errors.NotFoundError(None, None, f"{dirname}; No such file or directory")
    with _tf_errors(dirname):
        if IsDirectory(dirname):
            shutil.rmtree(dirname)
        else:
            os.remove(dirname)


def Rename(oldname, newname, overwrite=False) -> None:
    """Renames a file; AlreadyExistsError if `newname` exists and not `overwrite`."""
    if not overwrite and Exists(newname):
        raise errors.AlreadyExistsError(None, None, f"{newname}; File exists")
    with _tf_errors(oldname):
        os.replace(oldname, newname)


def Copy(oldpath, newpath, overwrite=False) -> None:
    """Copies a file; AlreadyExistsError if `newpath` exists and not `overwrite`."""
    if not overwrite and Exists(newpath):
        raise errors.AlreadyExistsError(None, None, f"{newpath}; File exists")
    with _tf_errors(oldpath):
        shutil.copyfile(oldpath, newpath)


def Stat(filename) -> FileStatistics:
    """The size, modification time (ns) and kind of a file."""
    with _tf_errors(filename):
        st = os.stat(filename)
    return FileStatistics(st.st_size, st.st_mtime_ns, os.path.isdir(filename))


def Walk(top, in_order=True):
    """Yields (dirname, subdirectories, files) under `top`, parents first if `in_order`."""
    yield from os.walk(top, topdown=in_order)


# tf.io.gfile's lowercase names (TF 1.13+).
exists = Exists
glob = Glob
isdir = IsDirectory
listdir = ListDirectory
makedirs = MakeDirs
mkdir = MkDir
remove = Remove
rename = Rename
rmtree = DeleteRecursively
copy = Copy
stat = Stat
walk = Walk
