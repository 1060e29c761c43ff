"""TensorFlow's error classes and codes (`tf.errors`).

Its names are exported by `flowgraph/export_table.py`, except
`raise_exception_on_not_ok_status`, defined here.
"""

from kernels.errors import OK, exception_type_from_error_code


class _Status:
    """A status a block may set (`code`, `message`); OK unless it does."""

    def __init__(self):
        self.code, self.message = OK, ""


class raise_exception_on_not_ok_status:  # noqa: N801  (TF1's name)
    """Context manager that raises the `OpError` of a status set to a non-OK code.

    Example:
      >>> with tf.errors.raise_exception_on_not_ok_status() as status:
      ...     status.code, status.message = tf.errors.NOT_FOUND, "no such file"
      Traceback (most recent call last):
      NotFoundError: no such file
    """

    def __enter__(self):
        self.status = _Status()
        return self.status

    def __exit__(self, exc_type, exc_value, traceback):
        if exc_type is None and self.status.code != OK:
            error = exception_type_from_error_code(self.status.code)
            raise error(None, None, self.status.message)
        return False
