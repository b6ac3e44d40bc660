"""The ids the hub mints: UUIDv7 (RFC 9562) as text, from this one generator.

Time-ordered: the first 48 bits are the Unix time in milliseconds, the next 12 a counter within the
millisecond, so ids minted in one process sort in the order they were minted (database inserts stay
local; entries made in the same instant keep their order). The last 62 bits are random: read from
``os.urandom`` 4 KiB at a time, since an ingest batch mints thousands. A forked child starts with a
fresh buffer, so parent and child never hand out the same id.
"""

from __future__ import annotations

import os
import re
import threading
import time

_CHUNK = 4096
_lock = threading.Lock()
_buffer = b""
_used = 0
_last_ms = 0
_counter = 0


def _reset() -> None:
    global _buffer, _used
    _buffer, _used = b"", 0


os.register_at_fork(after_in_child=_reset)


def new_uuid() -> str:
    """A UUIDv7 in its canonical lower-case 36-character form."""
    global _buffer, _used, _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms, _counter = _last_ms, _counter + 1
            if _counter > 0xFFF:  # more than 4,096 in one millisecond: borrow the next one
                ms, _counter = ms + 1, 0
        else:
            _counter = 0
        _last_ms = ms
        if _used + 8 > len(_buffer):
            _buffer, _used = os.urandom(_CHUNK), 0
        rand = int.from_bytes(_buffer[_used : _used + 8], "big") & ((1 << 62) - 1)
        _used += 8
        counter = _counter
    h = f"{(ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def is_uuid(text: str) -> bool:
    """Whether ``text`` is a UUID in the canonical lower-case 36-character form the hub mints."""
    return _UUID.match(text) is not None
