"""Building many long-lived objects at once (the library loaded from the store, a cached
artifact unpickled) without paying for the garbage collector on the way."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off inside the block, as it was after it.

    Loading the library creates about half a million objects that all stay alive; each
    automatic collection walks every one of them again, which took about 4 of the 9.5
    seconds of ``load_corpus`` on the Anthology. Nothing built there forms a reference
    cycle, so no garbage is held back.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
