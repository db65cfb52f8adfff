"""New Anthology person ids, following the Anthology's own convention.

The name slug alone when nobody else goes by that name; else the slug plus a disambiguating
suffix: a word naming the institution (``jiarui-fenwick-edinburgh``, as the registry's own
``yang-liu-edinburgh``), else the last four characters of the ORCID iD (as
``acl_anthology``'s ``generate_person_id``), else a number. Never an id already taken.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from slugify import slugify

from byline.sources.ids import is_person_id

_FILLERS = frozenset("a an and at de del der des di du for in la le of the to und von".split())

# Words that do not tell one institution from another.
_GENERIC = frozenset(
    """a an and at de del der des di du for in la le of the to und von
    university universitat universitaet universita universidad universidade universite
    univ institute institut instituto college school faculty department dept division
    laboratory laboratories lab labs research center centre centro group graduate
    national international technology technological technologies tech science sciences
    academy inc ltd llc corp corporation company gmbh ai state""".split()
)


def institution_suffix(text: str | None) -> str | None:
    """A short word naming the institution: "University of Edinburgh" -> "edinburgh".

    A short acronym given as such ("CMU", "KAIST") is kept as it is.
    """
    if not text:
        return None
    first_part = re.split(r"[;,/(]", text)[0].strip()
    if re.fullmatch(r"[A-Z][A-Z0-9&]{1,7}", first_part):
        return slugify(first_part) or None
    words = [w for w in slugify(first_part).split("-") if w and not w.isdigit()]
    named = [w for w in words if w not in _GENERIC and len(w) > 1]
    if len(named) == 1:  # "University of Edinburgh" -> edinburgh
        return named[0][:20]
    if len(named) > 1:  # "Carnegie Mellon University" -> cmu, "University of Hong Kong" -> uhk
        return "".join(w[0] for w in words if w not in _FILLERS)[:8]
    return None


def new_person_id(
    slug: str,
    taken: Callable[[str], bool],
    *,
    shared: bool,
    institution: str | None = None,
    orcid: str | None = None,
) -> str:
    """A fresh id for a new person named ``slug``.

    ``taken(pid)`` says whether an id is used already (registry entries, implicit persons,
    ids given earlier in the same export); ``shared`` whether other persons or unassigned
    mentions go by the same name (then the bare slug is not used).
    """
    base = slug if is_person_id(slug) else f"p-{slug}".strip("-")
    if not shared and not taken(base):
        return base
    candidates = []
    if (word := institution_suffix(institution)) is not None:
        candidates.append(f"{base}-{word}")
    if orcid:
        candidates.append(f"{base}-{orcid[-4:].lower()}")
    candidates += [f"{base}-{n}" for n in range(2, 1000)]
    for pid in candidates:
        if is_person_id(pid) and not taken(pid):
            return pid
    raise AssertionError(f"no free id for {slug}")  # pragma: no cover
