"""Random (version 4) UUIDs as text, for ids minted in bulk: customers, history entries, events.

``str(uuid.uuid4())`` asks the kernel for 16 bytes and builds a UUID object for every id; an
ingest batch mints thousands. Here the random bytes are read from ``os.urandom`` 4 KiB at a time
and formatted directly. The bytes are the same kernel randomness; a forked child starts with a
fresh buffer, so parent and child never hand out the same id.
"""

from __future__ import annotations

import os
import re
import threading

_CHUNK = 4096
_lock = threading.Lock()
_buffer = b""
_used = 0


def _reset() -> None:
    global _buffer, _used
    _buffer, _used = b"", 0


os.register_at_fork(after_in_child=_reset)


def new_uuid() -> str:
    """A random UUID (RFC 4122 version 4) in its canonical 36-character form."""
    global _buffer, _used
    with _lock:
        if _used + 16 > len(_buffer):
            _buffer, _used = os.urandom(_CHUNK), 0
        h = _buffer[_used : _used + 16].hex()
        _used += 16
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def is_uuid(text: str) -> bool:
    """Whether ``text`` is a UUID in the canonical lower-case 36-character form the hub mints."""
    return _UUID.match(text) is not None
