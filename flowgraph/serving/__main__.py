"""`python -m flowgraph.serving [serve] [flags]`: runs the model server."""

import sys

from flowgraph.serving.main import serve

if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(serve(args[1:] if args[:1] == ["serve"] else args))
