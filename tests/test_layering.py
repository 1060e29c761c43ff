"""The layering contract: flowgraph → device → kernels, never upward."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
FORBIDDEN = {"kernels": {"device", "flowgraph"}, "device": {"flowgraph"}}


def _imported_packages(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_do_not_import_upper_layers(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no sources found for {package}"
    for path in files:
        bad = _imported_packages(path) & FORBIDDEN[package]
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_contract_catches_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from flowgraph.framework import ops\nimport device.ir\n")
    assert _imported_packages(bad) == {"flowgraph", "device"}


def test_import_linter_contract_is_declared():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'layers = ["flowgraph", "device", "kernels"]' in text


def test_import_linter_keeps_the_contract():
    import shutil
    import subprocess
    import sys

    beside = pathlib.Path(sys.executable).parent / "lint-imports"
    exe = str(beside) if beside.exists() else shutil.which("lint-imports")
    assert exe, "import-linter is part of the test extras"
    result = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout
