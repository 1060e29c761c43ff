"""Version directories: only complete ones count, nothing outside the base path, policies."""

import os
import shutil

import pytest

from flowgraph.serving import apis
from flowgraph.serving.storage import aspired_versions, is_complete, versions_on_disk
from tests.serving.server_process import export_mlp


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    return export_mlp(tmp_path_factory.mktemp("exported") / "model")


def test_a_version_is_complete_only_when_every_file_reads_back(exported, tmp_path):
    target = tmp_path / "1"
    (target / "variables").mkdir(parents=True)
    assert not is_complete(target)
    pb = (exported / "saved_model.pb").read_bytes()
    (target / "saved_model.pb").write_bytes(pb[: len(pb) // 2])
    assert not is_complete(target)  # truncated proto
    (target / "saved_model.pb").write_bytes(pb)
    assert not is_complete(target)  # no variables yet
    shutil.copy(exported / "variables" / "variables.index", target / "variables")
    assert not is_complete(target)  # the index names a data file that is missing
    data = (exported / "variables" / "variables.data-00000-of-00001").read_bytes()
    (target / "variables" / "variables.data-00000-of-00001").write_bytes(data[:-4])
    assert not is_complete(target)  # truncated data
    (target / "variables" / "variables.data-00000-of-00001").write_bytes(data)
    assert is_complete(target)


def test_only_integer_directories_inside_the_base_path_are_versions(exported, tmp_path):
    base, outside = tmp_path / "base", tmp_path / "outside"
    shutil.copytree(exported, base / "3")
    shutil.copytree(exported, outside / "7")
    (base / "tmp-4").mkdir()
    (base / "5").write_text("a file")
    os.symlink(outside / "7", base / "7")
    assert versions_on_disk(base) == {3: str(base / "3")}
    assert versions_on_disk(tmp_path / "missing") == {}


@pytest.mark.parametrize("policy, expected", [
    ("", {9}), ("latest { num_versions: 2 }", {4, 9}), ("all {}", {1, 4, 9}),
    ("specific { versions: 1 versions: 5 }", {1}),
])  # fmt: skip
def test_version_policies(policy, expected):
    from google.protobuf import text_format

    parsed = text_format.Parse(policy, apis.ServableVersionPolicy())
    assert aspired_versions(parsed, {1, 4, 9}) == expected
