"""The web process's garbage collector: objects made at start set aside, full collections rarer, and both
undone when the app stops (app.collector_lifespan)."""

import gc

from marketplace.app import FULL_COLLECTION_AFTER, collector_lifespan


async def test_full_collections_are_rarer_while_the_app_runs_and_as_before_after():
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    gc.set_threshold(before[0], before[1], 10)  # Python's default, whatever an app of another test left
    try:
        async with collector_lifespan(None):
            assert gc.get_threshold() == (before[0], before[1], FULL_COLLECTION_AFTER)
            assert gc.get_freeze_count() > frozen  # what start made is no longer walked by each full collection
        assert gc.get_threshold() == (before[0], before[1], 10)
        if not frozen:
            assert gc.get_freeze_count() == 0
    finally:
        gc.set_threshold(*before)
