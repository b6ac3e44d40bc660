"""The console's templates and static files go into the wheel (the image installs the wheel)."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "services" / "isthmus" / "console"


def test_every_template_and_static_file_is_package_data() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    files = [
        p.relative_to(CONSOLE).as_posix() for d in ("templates", "static") for p in (CONSOLE / d).iterdir()
    ]
    assert files
    assert [f for f in files if not any(fnmatch.fnmatch(f, p) for p in patterns)] == []
