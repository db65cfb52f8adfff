"""Where byline keeps what it derives once per machine from the installed packages (the
pairwise forest compiled to machine code, the static title embedder distilled from the
packaged sentence model): never library data, never anything downloaded."""

from __future__ import annotations

import os
from pathlib import Path


def machine_cache_dir() -> Path:
    """``$BYLINE_CACHE_DIR``, else ``$XDG_CACHE_HOME/byline`` (``~/.cache/byline``)."""
    if os.environ.get("BYLINE_CACHE_DIR"):
        return Path(os.environ["BYLINE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "byline"
