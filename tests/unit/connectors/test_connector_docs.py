"""Every hook is documented in docs/plugin-hooks.md and exercised by a test (as datasette does)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from isthmus.connectors import hookspecs

ROOT = Path(__file__).resolve().parents[3]
HOOKS = sorted(
    name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, "isthmus_spec")
)


def test_there_are_hooks() -> None:
    assert {"register_connectors", "transform_record", "register_match_comparators"} <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook: str) -> None:
    headings = re.findall(r"^## (\w+)$", (ROOT / "docs" / "plugin-hooks.md").read_text(), re.M)
    assert hook in headings, f"docs/plugin-hooks.md has no '## {hook}' section"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_tested(hook: str) -> None:
    tests = (ROOT / "tests" / "unit" / "connectors" / "test_connector_plugins.py").read_text()
    assert re.search(rf"def test_\w*{hook}\w*\(", tests), f"no test named after {hook}"
