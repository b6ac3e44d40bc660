"""The test kit must fail connectors with the classic incremental bugs, not only pass good ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from isthmus_connector_template import TemplateConnector
from isthmus_connector_template.simulator import TemplateSource

from isthmus.connectors import StreamState
from isthmus.connectors.testkit import connector_test_class


class InclusiveCursor(TemplateConnector):
    """Reads ``>= cursor``: re-delivers the last records on every run."""

    def read(self, stream: str, state: StreamState) -> Iterator[Any]:
        loose = StreamState(state.cursor, "0") if state.cursor else state
        yield from super().read(stream, loose)


class CursorOnly(TemplateConnector):
    """Reads ``> cursor`` without the tie-breaker: drops records sharing the last timestamp."""

    def read(self, stream: str, state: StreamState) -> Iterator[Any]:
        strict = StreamState(state.cursor, "999999999") if state.cursor else state
        yield from super().read(stream, strict)


class SwallowsBadLines(TemplateConnector):
    """Skips lines it cannot parse without reporting them."""

    def read(self, stream: str, state: StreamState) -> Iterator[Any]:
        for item in super().read(stream, state):
            if isinstance(item, dict):
                yield item


def run(kit_cls: type, test: str, tmp_path: Path, **extra: Any) -> None:
    kit = kit_cls()
    source = TemplateSource(tmp_path)
    connector = kit_cls.connector_class(source.config())
    getattr(kit, test)(source=source, connector=connector, stream_name="customers", **extra)


@pytest.mark.parametrize("broken", [InclusiveCursor, CursorOnly])
def test_kit_fails_a_connector_whose_incremental_reads_duplicate_or_lose(
    broken: type, tmp_path: Path
) -> None:
    kit_cls = connector_test_class(broken, source=TemplateSource)
    with pytest.raises(AssertionError):
        run(kit_cls, "test_incremental_reads_neither_duplicate_nor_lose", tmp_path)


def test_kit_fails_a_connector_that_hides_bad_records(tmp_path: Path) -> None:
    kit_cls = connector_test_class(SwallowsBadLines, source=TemplateSource)
    with pytest.raises(AssertionError, match="not reported"):
        run(kit_cls, "test_bad_record_is_dead_lettered_and_the_sync_goes_on", tmp_path)


def test_kit_passes_the_template(tmp_path: Path) -> None:
    kit_cls = connector_test_class(TemplateConnector, source=TemplateSource)
    run(kit_cls, "test_incremental_reads_neither_duplicate_nor_lose", tmp_path)
