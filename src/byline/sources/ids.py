"""Ids of papers, mentions and persons: how byline builds and parses them (one place).

- A paper id is the Anthology ID (``2024.acl-long.12``, ``P19-1012``; :func:`paper_full_id`).
- A mention id is ``<paper id>#<position>``, the position counting a paper's authors from 0
  (:func:`mention_id`, :func:`parse_mention_id`, :func:`paper_of`).
- A verified person id of the registry matches :data:`PERSON_ID` (``jiarui-fenwick``).
"""

from __future__ import annotations

import re

# acl_anthology.constants.RE_VERIFIED_PERSON_ID
PERSON_ID = re.compile(r"[a-z][\-a-z0-9]+")

# An Anthology paper id, new style (``2024.acl-long.12``) or old style (``P19-1012``).
ANTHOLOGY_PAPER_ID = re.compile(r"^(\d{4}\.[a-z0-9]+(-[a-z0-9]+)*\.\d+|[A-Z]\d{2}-\d{4})$")


def paper_full_id(collection: str, volume: str, paper: str) -> str:
    """The Anthology ID of a paper.

    New-style collections (``2024.acl``) give ``2024.acl-long.12``; old-style ones give
    ``P19-1012`` (one digit of volume, three of paper) or, for ``W`` workshops, ``C69`` and the
    EMNLP 2019 workshop volumes (``D19`` volume 5 and up), ``W19-3212`` (two and two), as
    ``acl_anthology.utils.ids.build_id`` does.
    """
    if collection[:1].isdigit():
        return f"{collection}-{volume}.{paper}"
    if collection[0] == "W" or collection == "C69" or (collection == "D19" and int(volume) >= 5):
        return f"{collection}-{int(volume):02d}{int(paper):02d}"
    return f"{collection}-{int(volume):01d}{int(paper):03d}"


def is_anthology_paper_id(paper_id: str) -> bool:
    """Whether ``paper_id`` is an Anthology ID (not an id made up for a new paper)."""
    return ANTHOLOGY_PAPER_ID.match(paper_id) is not None


def mention_id(paper_id: str, position: int) -> str:
    """``2024.acl-long.12``, 3 -> ``2024.acl-long.12#3``."""
    return f"{paper_id}#{position}"


def parse_mention_id(mid: str) -> tuple[str, int]:
    """``2024.acl-long.12#3`` -> (``2024.acl-long.12``, 3); ValueError if it is not one."""
    paper_id, sep, pos = mid.rpartition("#")
    if not sep or not paper_id or not pos.isdigit():
        raise ValueError(f"not a mention id (<paper id>#<position>): {mid!r}")
    return paper_id, int(pos)


def paper_of(mid: str) -> str:
    """The paper id of a mention id: ``2024.acl-long.12#3`` -> ``2024.acl-long.12``."""
    return mid.rsplit("#", 1)[0]


def is_person_id(person_id: str) -> bool:
    """Whether ``person_id`` is a valid (verified) registry person id."""
    return PERSON_ID.fullmatch(person_id) is not None
