"""The built wheel holds every module and data file of the source tree (an editable
install imports from the tree itself, so it would hide a package left out)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "searchkit"


def test_wheel_holds_every_module_and_data_file(tmp_path: Path) -> None:
    # Built from a copy: setuptools keeps a build/ folder in the tree it builds, and
    # files left there by an older layout would go into the wheel.
    source = tmp_path / "source"
    for name in ("pyproject.toml", "README.md"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(PACKAGE, source / "searchkit", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        cwd=tmp_path,  # not the project: the build must not depend on the current folder
    )
    (wheel,) = tmp_path.glob("searchkit_passages-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = {name for name in archive.namelist() if name.startswith("searchkit/")}
    wanted = {
        path.relative_to(ROOT).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo")
    }
    assert "searchkit/py.typed" in wanted and "searchkit/static/index.html" in wanted
    assert wanted - shipped == set(), "left out of the wheel"
    assert shipped - wanted == set(), "in the wheel but not in the source tree"
