"""`tf.app`: `run` a program's `main` after parsing its flags (absl's app, as TF1's)."""

from __future__ import annotations

import sys

from absl import app as _absl_app

from flowgraph import flags as flags


def _parse_flags_tolerate_undef(argv):
    """Parses the flags it knows and leaves the rest in argv (absl's default is to fail)."""
    return flags.FLAGS(sys.argv if argv is None else argv, known_only=True)


def run(main=None, argv=None):
    """Runs the program with an optional 'main' function and 'argv' list.

    Parses the flags from `argv` (default `sys.argv`), calls `main(argv)` with the
    arguments left over, and exits with its return value.

    Example:
      >>> def main(argv):
      ...     print(tf.app.flags.FLAGS.learning_rate)
      >>> if __name__ == "__main__":
      ...     tf.app.run()          # calls __main__.main
    """
    main = main or sys.modules["__main__"].main
    _absl_app.run(main=main, argv=argv, flags_parser=_parse_flags_tolerate_undef)
