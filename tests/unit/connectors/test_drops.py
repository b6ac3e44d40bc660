"""Which dropped files are new: unchanged files are not read again (nor hashed), however many the
inbox keeps; a file dropped again is read again only when its content changed."""

from __future__ import annotations

import os
from pathlib import Path

from isthmus.connectors import StreamState, drops


def drop(inbox: Path, name: str, text: str, *, done: bool = True) -> Path:
    path = inbox / name
    path.write_text(text)
    if done:
        path.with_name(name + drops.DONE).touch()
    return path


def new_files(inbox: Path, state: StreamState) -> tuple[list[str], StreamState]:
    names = []
    for path, after in drops.unread(inbox, "*.csv", state):
        if path is not None:
            names.append(path.name)
        state = after
    return names, state


def test_a_file_is_read_once_complete_and_then_only_when_its_content_changes(tmp_path: Path) -> None:
    half = drop(tmp_path, "a.csv", "1", done=False)
    assert new_files(tmp_path, StreamState()) == ([], StreamState())
    half.with_name("a.csv.done").touch()
    names, state = new_files(tmp_path, StreamState())
    assert names == ["a.csv"] and state.cursor == "a.csv"
    assert new_files(tmp_path, state) == ([], state), "nothing changed, nothing to save"
    drop(tmp_path, "a.csv", "1")  # the same content again: a new mtime, remembered without a read
    names, again = new_files(tmp_path, state)
    assert names == [] and again.extra["files"]["a.csv"] != state.extra["files"]["a.csv"]
    assert new_files(tmp_path, again) == ([], again)
    drop(tmp_path, "a.csv", "2")
    assert new_files(tmp_path, again)[0] == ["a.csv"]


def test_an_unchanged_file_is_not_read_again(tmp_path: Path) -> None:
    path = drop(tmp_path, "a.csv", "1")
    _, state = new_files(tmp_path, StreamState())
    stat = path.stat()
    path.write_text("2")  # rewritten in place with its size and time kept: taken as unchanged, unread
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert new_files(tmp_path, state) == ([], state)


def test_files_are_not_forgotten_however_many_the_inbox_keeps(tmp_path: Path) -> None:
    state = StreamState()
    for n in range(drops.KEEP_DIGESTS + 5):
        drop(tmp_path, f"f{n:05d}.csv", str(n))
    names, state = new_files(tmp_path, state)
    assert len(names) == drops.KEEP_DIGESTS + 5
    assert len(state.extra["digests"]) == drops.KEEP_DIGESTS
    assert new_files(tmp_path, state) == ([], state), "the oldest file's digest fell out, its entry did not"


def test_a_removed_file_is_forgotten_but_its_content_is_known_if_dropped_again(tmp_path: Path) -> None:
    drop(tmp_path, "a.csv", "1")
    _, state = new_files(tmp_path, StreamState())
    (tmp_path / "a.csv").unlink()
    names, state = new_files(tmp_path, state)
    assert names == [] and state.extra["files"] == {}
    drop(tmp_path, "b.csv", "1")
    assert new_files(tmp_path, state)[0] == [], "the same content under another name"


def test_a_state_of_digests_alone_reads_no_file_again(tmp_path: Path) -> None:
    """A stream's state saved before files were remembered by name holds digests only."""
    drop(tmp_path, "a.csv", "1")
    names, state = new_files(tmp_path, StreamState())
    old = StreamState(state.cursor, None, {"digests": state.extra["digests"]})
    names, state = new_files(tmp_path, old)
    assert names == [] and set(state.extra["files"]) == {"a.csv"}


def test_touched_files_are_told_by_their_size_and_time_without_reading_them(tmp_path: Path) -> None:
    drop(tmp_path, "a.csv", "1")
    _, state = new_files(tmp_path, StreamState())
    assert drops.touched(tmp_path, "*.csv", state) == []
    drop(tmp_path, "b.csv", "2")
    assert [p.name for p in drops.touched(tmp_path, "*.csv", state)] == ["b.csv"]
    path = drop(tmp_path, "a.csv", "1")  # the same content again: touched, though unread reads nothing
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1))
    assert [p.name for p in drops.touched(tmp_path, "*.csv", state)] == ["a.csv", "b.csv"]
    assert new_files(tmp_path, state)[0] == ["b.csv"]
