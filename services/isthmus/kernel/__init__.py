"""The shared kernel: what every bounded context needs and none of them owns.

Money, instants and dates at the API boundary, page tokens and sizes, idempotency comparison and
request validation. Pure values and functions, no I/O: a context may import the kernel and the
platform, never another context (``tests/unit/test_layering.py`` enforces it).
"""
