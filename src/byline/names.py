"""Name normalisation: the Anthology's slug, ASCII folding, initials."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from slugify import slugify

# (first, last) -> slug: a library has about as many distinct names as persons (104k in the
# Anthology), and python-slugify takes about 25 µs a name.
_SLUGS: dict[tuple[str | None, str | None], str] = {}


def name_slug(first: str | None, last: str | None) -> str:
    """The Anthology's person slug: python-slugify of "first last" (the block key)."""
    key = (first, last)
    slug = _SLUGS.get(key)
    if slug is None:
        slug = _SLUGS[key] = slugify(f"{first or ''} {last or ''}".strip())
    return slug


def known_slugs(names: Iterable[tuple[str | None, str | None, str]]) -> None:
    """Remember slugs computed earlier by :func:`name_slug` (the store keeps each mention's
    as ingest computed it), so that loading the library does not slugify every name again."""
    _SLUGS.update(((first, last), slug) for first, last, slug in names)


@lru_cache(maxsize=1 << 18)
def fold(text: str | None) -> str:
    """Lower-case ASCII folding used for comparisons (Körner -> korner); cached, as a
    library folds the same hundred thousand names again and again."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", stripped.lower()).strip()


_SCRIPT_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def has_han(text: str | None) -> bool:
    """True if the text contains CJK ideographs (CCL papers list names in both scripts)."""
    return bool(text) and bool(_SCRIPT_HAN.search(text or ""))
