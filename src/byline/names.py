"""Name normalisation: the Anthology's slug, ASCII folding, initials."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from slugify import slugify


@lru_cache(maxsize=500_000)
def name_slug(first: str | None, last: str | None) -> str:
    """The Anthology's person slug: python-slugify of "first last" (the block key)."""
    full = f"{first or ''} {last or ''}".strip()
    return slugify(full)


def fold(text: str | None) -> str:
    """Lower-case ASCII folding used for comparisons (Körner -> korner)."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", stripped.lower()).strip()


_SCRIPT_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def has_han(text: str | None) -> bool:
    """True if the text contains CJK ideographs (CCL papers list names in both scripts)."""
    return bool(text) and bool(_SCRIPT_HAN.search(text or ""))
