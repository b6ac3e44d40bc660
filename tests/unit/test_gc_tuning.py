"""A serving process freezes its start-up heap and collects cycles less often."""

from __future__ import annotations

import gc

from isthmus.platform.server import GC_THRESHOLDS, tune_gc


def test_tune_gc_freezes_what_exists_and_raises_the_thresholds():
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
        assert gc.isenabled()  # cycles are still collected, only less often
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
