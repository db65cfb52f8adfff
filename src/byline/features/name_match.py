"""Matching names across spellings (one person, different names): blocking keys and name
evidence for `byline merge`.

Two spellings can be one person for many reasons: diacritics and transliteration
(Körner / Koerner), initials and middle names (J. Smith / John Smith / John A. Smith),
nicknames (Steve / Steven), hyphenation and spacing (Chew-Lim / ChewLim), given and family
name in swapped order (Wei Zhang / Zhang Wei), a typo (Sokolov / Sokokov), a double family
name used in part (Tanaka-Ishii / Tanaka) or a married name. ``blocking_keys`` gives each
name a handful of normalised keys so that only names sharing a key are ever compared (no
all-pairs comparison); ``compare_names`` says whether two names can be one person, and why.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

from nicknames import NickNamer
from rapidfuzz.distance import Levenshtein
from text_unidecode import unidecode

_GERMAN = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)
_TOKEN = re.compile(r"[a-z]+")
# A nickname with more full forms than this (e.g. "chris": 18) says little on its own.
MAX_CANONICALS = 20


def _ascii(text: str, german: bool) -> str:
    text = unicodedata.normalize("NFC", text or "")
    if german:
        text = text.translate(_GERMAN)
    return unidecode(text).lower()


def _tokens(text: str) -> list[str]:
    """Letter runs of an ASCII text; an apostrophe joins ("Jun'ichi" -> "junichi")."""
    return _TOKEN.findall(text.replace("'", ""))


@dataclass(frozen=True)
class NameForm:
    """A name reduced to ASCII tokens: ``given`` and ``family``, in one transliteration."""

    given: tuple[str, ...]
    family: tuple[str, ...]

    @property
    def compact(self) -> str:
        return "".join(self.given + self.family)

    @property
    def initials_only(self) -> bool:
        """The given name is only initials ("J.", "J. A.", or none at all)."""
        return all(len(t) == 1 for t in self.given)

    @property
    def first(self) -> str:
        return self.given[0] if self.given else ""

    @property
    def family_compact(self) -> str:
        return "".join(self.family)


@lru_cache(maxsize=400_000)
def forms(first: str, last: str) -> tuple[NameForm, ...]:
    """The name's ASCII forms: plain transliteration, and German umlauts as ae/oe/ue."""
    out: list[NameForm] = []
    for german in (False, True):
        f = NameForm(tuple(_tokens(_ascii(first, german))), tuple(_tokens(_ascii(last, german))))
        if (f.given or f.family) and f not in out:
            out.append(f)
    return tuple(out)


_NICK: NickNamer | None = None


@lru_cache(maxsize=100_000)
def nickname_forms(token: str) -> frozenset[str]:
    """The token and the full names it may be short for (steve -> steven, stephen...)."""
    global _NICK
    if len(token) < 2:
        return frozenset({token})
    if _NICK is None:
        _NICK = NickNamer()
    canon = _NICK.canonicals_of(token)
    if len(canon) > MAX_CANONICALS:
        canon = set()
    return frozenset({token} | {c.lower() for c in canon})


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def blocking_keys(first: str, last: str) -> set[str]:
    """Normalised keys of a name; two names are compared only if they share one.

    - ``p:`` every pair of full tokens of the name, unordered (catches middle names, swapped
      order, a double family name used in part), with nicknames expanded;
    - ``c:`` the compact name in given+family and family+given order (hyphens, spacing,
      diacritics, transliteration);
    - ``i:`` the family name and the first initial, both ways round (initials; these keys
      are large for common names and are dropped by the generator above a size cap);
    - ``d:`` the family name and first given name with one letter deleted from either
      (typos: one edit on each side).
    """
    keys: set[str] = set()
    for f in forms(first, last):
        full = [t for t in f.given + f.family if len(t) > 1]
        for a, b in combinations(sorted(set(full)), 2):
            keys.add(f"p:{a}|{b}")
        for t in f.given:
            if len(t) < 2:
                continue
            for c in nickname_forms(t) - {t}:
                for o in full:
                    if o != t and o != c:
                        keys.add(f"p:{min(c, o)}|{max(c, o)}")
        keys.add(f"c:{f.compact}")
        keys.add(f"c:{f.family_compact}{''.join(f.given)}")
        fam = f.family_compact
        if fam and f.first:
            keys.add(f"i:{fam}|{f.first[0]}")
            keys.add(f"i:{''.join(f.given)}|{fam[0]}")
        if len(fam) >= 4 and len(f.first) >= 2:
            keys.add(f"d:{fam}|{f.first}")
            keys.update(f"d:{x}|{f.first}" for x in _deletions(fam))
            if len(f.first) >= 4:
                keys.update(f"d:{fam}|{x}" for x in _deletions(f.first))
    return keys


@dataclass(frozen=True)
class NameMatch:
    """Why two names can be one person: the kinds of variation and a similarity in [0, 1]."""

    kinds: tuple[str, ...]
    similarity: float

    def describe(self) -> str:
        return ", ".join(KIND_TEXT[k] for k in self.kinds)


KIND_TEXT = {
    "spelling": "same letters (diacritics, case, hyphens or spacing)",
    "transliteration": "transliteration (ö = oe)",
    "swapped": "given and family name swapped",
    "initials": "initials of the given name",
    "middle": "middle name or initial added",
    "nickname": "nickname or short form",
    "typo": "one or two letters differ",
    "family_part": "part of a double family name",
    "family_differs": "same given name, other family name (married name?)",
    "script": "same name in another script",
}


def _given_compatible(a: tuple[str, ...], b: tuple[str, ...]) -> str | None:
    """How two given names (token tuples) can belong to one person, or None."""
    if a == b:
        return "spelling"
    if "".join(a) == "".join(b):
        return "spelling"
    if not a or not b:
        return "initials"
    if len(a) == len(b) and all(
        x == y or (len(x) == 1 and y.startswith(x)) or (len(y) == 1 and x.startswith(y))
        for x, y in zip(a, b, strict=True)
    ):
        return "initials"  # "M. Antonia" ~ "Maria Antonia"
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    if len(short) < len(long_) and long_[len(long_) - len(short) :] == short:
        return "middle"  # a first given name left out ("J. Angus" ~ "Angus")
    a_init = all(len(t) == 1 for t in a)
    b_init = all(len(t) == 1 for t in b)
    if a_init or b_init:
        short, long_ = (a, b) if a_init else (b, a)
        letters = [t[0] for t in long_]
        # "J." ~ "John A.", "J. A." ~ "John A." / "John Alan", "JA" written as one token
        if list(short) == letters[: len(short)] or "".join(short) == "".join(letters):
            return "initials"
        if len(short) == 1 and short[0] == long_[0][0]:
            return "initials"
        return None
    if a[0] == b[0]:
        # "John" ~ "John A." ~ "John Alan": one extends the other, initials agree
        short, long_ = (a, b) if len(a) <= len(b) else (b, a)
        rest_s, rest_l = short[1:], long_[1:]
        if all(
            i < len(rest_l) and (s == rest_l[i] or (len(s) == 1 and s == rest_l[i][0]))
            for i, s in enumerate(rest_s)
        ):
            return "middle"
        if len(rest_s) == len(rest_l) and all(
            x[0] == y[0] for x, y in zip(rest_s, rest_l, strict=True)
        ):
            return "middle"
        return None
    x, y = a[0], b[0]
    if nickname_forms(x) & nickname_forms(y):
        return "nickname"
    if len(x) >= 3 and len(y) >= 3 and (x.startswith(y) or y.startswith(x)):
        return "nickname"
    shortest = min(len(x), len(y))
    if shortest >= 4 and Levenshtein.distance(x, y) <= (1 if shortest < 7 else 2):
        return "typo"
    return None


def _family_relation(a: tuple[str, ...], b: tuple[str, ...]) -> str | None:
    ca, cb = "".join(a), "".join(b)
    if ca == cb:
        return "spelling"
    if not ca or not cb:
        return None
    if set(a) < set(b) or set(b) < set(a):
        return "family_part"
    shortest = min(len(ca), len(cb))
    if shortest >= 4 and Levenshtein.distance(ca, cb) <= (1 if shortest < 7 else 2):
        return "typo"
    return None


def _compare_forms(a: NameForm, b: NameForm, allow_family_change: bool) -> list[str] | None:
    if a.compact == b.compact:
        return ["spelling"]
    if a.compact == b.family_compact + "".join(b.given) or (
        "".join(a.family + a.given) == b.compact
    ):
        return ["swapped"]
    if sorted(a.given + a.family) == sorted(b.given + b.family):
        return ["swapped"]  # the same tokens in another order ("Hong Phuong Le" ~ "Phuong Le Hong")
    kinds: list[str] = []
    fam = _family_relation(a.family, b.family)
    if fam is None:
        # swapped order combined with another variation ("Zhang Wei" ~ "Wei Zhang")
        if _family_relation(a.family, b.given) == "spelling" and _family_relation(
            a.given, b.family
        ) in ("spelling",):
            return ["swapped"]
        # tokens of one name all in the other ("Solomon Teferra" ~ "Solomon Teferra Abate")
        ta, tb = set(a.given + a.family), set(b.given + b.family)
        full_a = {t for t in ta if len(t) > 1}
        full_b = {t for t in tb if len(t) > 1}
        if a.first == b.first and len(a.first) > 1 and (full_a < full_b or full_b < full_a):
            return ["middle"]
        if allow_family_change and a.first == b.first and len(a.first) > 2:
            return ["family_differs"]
        return None
    if fam != "spelling":
        kinds.append(fam)
    given = _given_compatible(a.given, b.given)
    if given is None:
        return None
    if given != "spelling" or not kinds:
        kinds.append(given)
    return kinds


def compare_names(
    a: tuple[str, str], b: tuple[str, str], allow_family_change: bool = False
) -> NameMatch | None:
    """Whether names ``a`` and ``b`` ((first, last) pairs) can be one person, and why.

    ``allow_family_change``: two names with the same given name and unrelated family
    names are a candidate (married names), for pairs found through shared co-authors.
    """
    best: list[str] | None = None
    fa, fb = forms(*a), forms(*b)
    for i, x in enumerate(fa):
        for j, y in enumerate(fb):
            kinds = _compare_forms(x, y, allow_family_change)
            if kinds is None:
                continue
            if (i or j) and kinds == ["spelling"] and fa[0].compact != fb[0].compact:
                kinds = ["transliteration"]
            if best is None or _rank(kinds) < _rank(best):
                best = kinds
    if best is None:
        return None
    sim = 1.0 - Levenshtein.normalized_distance(fa[0].compact, fb[0].compact)
    if "swapped" in best:
        sim = max(
            sim,
            1.0
            - Levenshtein.normalized_distance(
                fa[0].compact, fb[0].family_compact + "".join(fb[0].given)
            ),
        )
    return NameMatch(tuple(best), round(float(sim), 4))


_ORDER = {k: i for i, k in enumerate(KIND_TEXT)}


def _rank(kinds: list[str]) -> tuple[int, int]:
    return (len(kinds), max(_ORDER[k] for k in kinds))
