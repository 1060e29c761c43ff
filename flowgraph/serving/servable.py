"""A servable: one version of a model, loaded into its own Graph and Session."""

from __future__ import annotations

import os

from flowgraph.client.session import Session
from flowgraph.framework.ops import Graph
from flowgraph.saved_model import constants, loader
from flowgraph.serving import status
from flowgraph.serving.batching import BatchScheduler
from kernels.errors import OpError


class Servable:
    """One loaded SavedModel version; `run` feeds and fetches its signatures by alias.

    Args:
      name: the model's name.
      version: the version number (the directory's name).
      path: the version's directory (a SavedModel).
      batching: a `BatchingParameters` to batch concurrent runs, or None.
    """

    def __init__(self, name, version, path, batching=None):
        self.name, self.version, self.path = name, version, path
        self.graph = Graph()
        self.session = Session(graph=self.graph)
        # Runs feed as TF Serving's C++ `Session::Run`: a value of another shape than its
        # input's static one is fed as is (half_plus_two's x (?, 1) takes [1., 2., 5.]).
        self.session._check_feed_shapes = False
        meta_graph = loader.load(self.session, [constants.SERVING], path)
        self.signatures = dict(meta_graph.signature_def)
        self._batcher = None
        if batching is not None:
            self._batcher = BatchScheduler(batching, self._run)

    def run(self, signature_name, feeds, output_aliases):
        """Runs signature `signature_name`: `feeds` maps input aliases to arrays; returns a dict
        of the arrays of `output_aliases`. Batches with concurrent calls when enabled.

        Raises:
          ServingError: the run failed (TF's code and message).
        """
        if self._batcher is not None:
            return self._batcher.run(signature_name, feeds, tuple(output_aliases))
        return self._run(signature_name, feeds, tuple(output_aliases))

    def _run(self, signature_name, feeds, output_aliases):
        signature = self.signatures[signature_name]
        feed_dict = {signature.inputs[a].name: value for a, value in feeds.items()}
        fetches = [signature.outputs[a].name for a in output_aliases]
        try:
            values = self.session.run(fetches, feed_dict)
        except OpError as e:
            raise status.from_op_error(e) from None
        except (ValueError, TypeError) as e:
            raise status.invalid_argument(str(e)) from None
        return dict(zip(output_aliases, values))

    def warmup_file(self):
        """The path of `assets.extra/tf_serving_warmup_requests` (which may not exist)."""
        return os.path.join(self.path, "assets.extra", "tf_serving_warmup_requests")

    def close(self):
        """Stops batching and closes the session, freeing the version's buffers."""
        if self._batcher is not None:
            self._batcher.stop()
        self.session.close()
