"""Ports for servers a test starts: every suite takes them from here (pytest's ``pythonpath``)."""

from __future__ import annotations

import random
import socket
from pathlib import Path

_HANDED_OUT: set[int] = set()


def _outgoing_ports() -> tuple[int, int]:
    """The range the kernel takes the local port of an outgoing connection from."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port() -> int:
    """A port nothing listens on, for a server to bind later. Not one the kernel picks (``bind`` to
    0): until the server binds it, a connection any process opens may take the same port as its own
    local end, and the next ``bind`` to 0 may return it again. So it comes from below the range of
    outgoing ports, and never twice from this process."""
    low, _ = _outgoing_ports()
    first = 20000 if low > 21000 else 1024
    candidates = list(range(first, low))
    random.shuffle(candidates)
    for port in candidates:
        if port in _HANDED_OUT:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise RuntimeError(f"no free port from {first} to {low}")
