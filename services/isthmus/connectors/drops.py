"""Files a source drops into a directory: which are complete, and which were not read yet.

A file is complete once its ``<file>.done`` marker exists (unless the source moves finished files in,
``marker=False``). A file is remembered, in the stream's state, by its size and modification time
while it stays in the inbox, and by its content's digest: a file that did not change is skipped
without being read again, a file dropped again with the same content (under its name or another) is
skipped, and one dropped again with new content is read again. However many files the inbox keeps,
none is read twice because older ones were forgotten; the state holds one entry per file present.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from isthmus.connectors.sdk import StreamState

DONE = ".done"
# Digests of files read, beyond those still in the inbox: a file dropped again after the source
# removed the first copy is still recognised (the last this many).
KEEP_DIGESTS = 1000


def complete(inbox: Path, pattern: str, *, marker: bool = True) -> list[Path]:
    """The complete files of ``pattern`` in ``inbox``, in name order."""
    return [
        p
        for p in sorted(inbox.glob(pattern))
        if p.is_file() and not p.name.endswith(DONE) and (not marker or p.with_name(p.name + DONE).exists())
    ]


def touched(inbox: Path, pattern: str, state: StreamState, *, marker: bool = True) -> list[Path]:
    """The complete files whose size or modification time is not what the state remembers: those
    ``unread`` reads, and those it only recognises by their digest. Without reading any file: a
    sync's rough estimate (``Connector.estimate``)."""
    known: Mapping[str, Any] = state.extra.get("files") or {}
    return [p for p in complete(inbox, pattern, marker=marker) if not _unchanged(known.get(p.name), p.stat())]


def _unchanged(entry: Sequence[Any] | None, stat: os.stat_result) -> bool:
    return entry is not None and list(entry[:2]) == [stat.st_size, stat.st_mtime_ns]


def unread(
    inbox: Path, pattern: str, state: StreamState, *, marker: bool = True
) -> Iterator[tuple[Path | None, StreamState]]:
    """The complete files not read before, in name order, each with the state to save once its records
    are delivered (yield it as the file's ``Checkpoint``); last, when files were only skipped or
    removed since, ``None`` with the state that remembers so (a checkpoint of its own)."""
    digests: list[str] = list(state.extra.get("digests") or [])
    known: dict[str, Any] = dict(state.extra.get("files") or {})
    files = complete(inbox, pattern, marker=marker)
    present = {p.name for p in files}
    # What the source removed is forgotten but for its digest.
    seen = {name: entry for name, entry in known.items() if name in present}
    cursor, changed = state.cursor, len(seen) != len(known)
    for path in files:
        stat = path.stat()
        entry = seen.get(path.name)
        if _unchanged(entry, stat):
            continue  # unchanged since it was read
        with path.open("rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
        seen[path.name] = [stat.st_size, stat.st_mtime_ns, digest]
        changed = True
        if digest in digests or (entry is not None and entry[2] == digest):
            continue  # dropped again, unchanged
        digests = [*digests, digest][-KEEP_DIGESTS:]
        cursor, changed = path.name, False
        yield path, StreamState(cursor, None, {"digests": digests, "files": dict(seen)})
    if changed:
        yield None, StreamState(cursor, None, {"digests": digests, "files": dict(seen)})
