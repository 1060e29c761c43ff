"""`tf.linalg`: linear-algebra functions under their TF1 `tf.linalg` names.

Its names are exported by `flowgraph/export_table.py`, except `adjoint`, defined here.
"""

from flowgraph.ops import linalg_ops


def adjoint(matrix, name=None):
    """The conjugate transposes of a batch of matrices (the last two dims).

    Example:
      >>> tf.linalg.adjoint(tf.constant([[1 + 1j, 2]]))   # [[1 - 1j], [2]]
    """
    return linalg_ops.matrix_transpose(matrix, name=name or "adjoint", conjugate=True)
