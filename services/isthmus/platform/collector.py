"""How a serving process runs CPython's cyclic garbage collector (docs/decisions/0022, 0024)."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

# A serving process keeps a large, stable heap (modules, protobuf descriptors, caches, pools) and
# churns through short-lived containers per request. CPython's default cyclic collector (a young
# collection every 700 allocations, full ones that walk the whole heap) took about 30% of the
# customer master's CPU in bulk ingest (docs/decisions/0022-fewer-cyclic-collections.md).
GC_THRESHOLDS = (50_000, 20, 50)

# While bulk work runs, a young collection waits for this many more live containers than the
# collector last saw. A batch's objects are alive until it ends, so collecting during it only walks
# and promotes them; this bound keeps cyclic garbage from piling up when batches overlap for long.
BULK_THRESHOLD = 1_000_000

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, int, int] | None = None


def tune_gc() -> None:
    """Once the process has started its components: what exists now is left out of collections for
    good (``gc.freeze``), and the collector runs less often. Reference counting still frees almost
    everything at once; only cycles wait longer."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@contextlib.contextmanager
def bulk() -> Iterator[None]:
    """Young collections wait while a batch is worked on; the first collection after the last of
    overlapping batches ends finds their objects already freed by reference counting."""
    global _depth, _saved
    with _lock:
        _depth += 1
        if _depth == 1:
            _saved = gc.get_threshold()
            gc.set_threshold(BULK_THRESHOLD, *_saved[1:])
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
