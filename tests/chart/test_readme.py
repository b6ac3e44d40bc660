"""charts/isthmus/README.md documents every value the chart takes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from .chartkit import CHART

# Objects documented as one value (their inner keys are plain Kubernetes or obvious).
WHOLE = {"resources", "startup", "readiness", "liveness"}
WHOLE_PATHS = {"evaluation.postgresql.image", "evaluation.rabbitmq.image"}


def documented_keys(values: dict[str, Any], prefix: str = "") -> Iterator[str]:
    for key, value in values.items():
        path = f"{prefix}{key}"
        if prefix == "services.":
            # Every component takes the same keys: documented once as services.<component>.*
            yield from (f"services.<component>.{k}" for k in value)
        elif isinstance(value, dict) and value and key not in WHOLE and path not in WHOLE_PATHS:
            yield from documented_keys(value, path + ".")
        else:
            yield path


def test_every_value_is_in_the_readme_table() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    readme = (CHART / "README.md").read_text()

    keys = set(documented_keys(values))

    assert len(keys) > 90
    assert sorted(k for k in keys if f"| `{k}` |" not in readme) == []


def test_every_component_is_named_in_the_readme() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    readme = (CHART / "README.md").read_text()
    assert [c for c in values["services"] if f"`{c}`" not in readme] == []
