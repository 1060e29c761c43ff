"""The TensorFlow-made checkpoints of tests/fixtures/tf_checkpoints and the values TF saved."""

from __future__ import annotations

import json
import os

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "tf_checkpoints")


def path(name: str, prefix: str = "model.ckpt") -> str:
    """The prefix of fixture `name`'s checkpoint."""
    return os.path.join(ROOT, name, prefix)


def raw(name: str) -> dict:
    """Fixture `name`'s expected.json as written by generate.py."""
    with open(os.path.join(ROOT, name, "expected.json")) as f:
        return json.load(f)


def expected(name: str) -> dict[str, np.ndarray]:
    """`{tensor name: the value TensorFlow saved}` of fixture `name`."""
    return {key: _array(item) for key, item in raw(name).items()}


def _array(item: dict) -> np.ndarray:
    if item["dtype"] == "string":
        values = [v.encode("latin-1") for v in item["value"]]
        return np.array(values, dtype=object).reshape(item["shape"])
    values = item["value"]
    if item["dtype"].startswith("complex"):
        values = [complex(re, im) for re, im in values]
    return np.array(values, dtype=item["dtype"]).reshape(item["shape"])
