"""The built wheel holds every module and data file of the source tree (an editable
install imports from the tree itself, so it would hide a package left out)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "searchkit"


def test_wheel_holds_every_module_and_data_file(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
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
