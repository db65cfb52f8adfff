"""Building many long-lived objects at once (the library loaded from the store, a cached
artifact unpickled) without paying for the garbage collector on the way."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off inside the block, and what exists at its end moved
    out of the collector's sight (``gc.freeze``): reference counting still frees it.

    Loading the library creates about half a million objects that all stay alive; each
    automatic collection walks every one of them again, and the first collections after
    it would walk them all once more (``bench/load_phases.py`` times ``load_corpus``).
    Nothing built there forms a reference cycle, so no garbage is held back.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # what was built lives on: later collections need not walk it again
        if was:
            gc.enable()
