"""Session fixtures: the chart rendered once per values set (Helm's engine is called a handful of times)."""

from __future__ import annotations

import pytest

from .chartkit import Rendered, load_values, render


@pytest.fixture(scope="session")
def external() -> Rendered:
    """Production shape, defaults otherwise: external PostgreSQL/RabbitMQ through existing Secrets."""
    return render(load_values("external"))


@pytest.fixture(scope="session")
def evaluation() -> Rendered:
    return render(load_values("evaluation"))


@pytest.fixture(scope="session")
def full() -> Rendered:
    """Every optional feature on: TLS + mTLS, HPA, PDB, ServiceMonitor, NetworkPolicy, URLs from values."""
    return render(load_values("full"))


@pytest.fixture(scope="session", params=["external", "evaluation", "full"])
def any_render(request: pytest.FixtureRequest) -> Rendered:
    rendered: Rendered = request.getfixturevalue(request.param)
    return rendered
