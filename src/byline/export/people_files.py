"""Minimal text edits of the person registry, one writer per layout.

Only touched entries change and new entries are added; every other line stays as it was, so
the diff is what a maintainer would have written by hand:

- ``json/people.json`` (2026-json): new entries at their sorted place (the library saves the
  file sorted by id) in the library's layout (names one per line, keys in the order names,
  comment, degree, disable_name_matching, orcid); a name added to an entry's ``names``; a
  ``"disable_name_matching": true`` inserted or flipped.
- ``yaml/people.yaml`` (2026-yaml): the same in YAML, keys sorted as ``yaml.dump`` does,
  names in flow style ``- {first: A, last: B}``.
- ``yaml/name_variants.yaml`` (2025-11): new entries appended
  (``- canonical: {first: A, last: B}`` with ``id``, ``orcid``, ``comment``).

In every layout an existing entry may get the ORCID iD and degree institution it lacks
(``Entry.fields_set``; the JSON and YAML files as keys in their order, ``name_variants.yaml``
as lines after the entry's ``id``), and a new canonical name (``Entry.renamed_from``, a name
change): in the 2026 layouts the new name becomes the first of ``names`` (moved there if the
entry has it already; the old canonical name stays, as the library's ``Person.canonical_name
= ...`` does), in ``name_variants.yaml`` it replaces ``canonical`` and the old canonical name
becomes the first of ``variants`` (an entry without ``id`` gets its old id as ``id``, since
the library would otherwise derive it from the new name).

Each writer re-reads what it wrote and checks it against the intended registry.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from byline.errors import BylineError
from byline.export.resolve import Entry, NameKey, Registry
from byline.sources.anthology import LAYOUTS, Layout

_JSON_KEY_ORDER = ["names", "comment", "degree", "disable_name_matching", "orcid", "similar"]


def _name_dict(name: NameKey) -> dict[str, str]:
    first, last = name
    return {"first": first, "last": last} if first else {"last": last}


# ---------------------------------------------------------------------------- JSON


def _json_members(text: str, start: int) -> list[tuple[str, int, int, int]]:
    """Members of the JSON object whose ``{`` is at ``start``: (key, key_start, value_start,
    value_end)."""
    decoder = json.JSONDecoder()
    ws = re.compile(r"[ \t\n\r]*")
    members = []
    i = ws.match(text, start + 1).end()  # type: ignore[union-attr]
    if text[i] == "}":
        return members
    while True:
        key_start = i
        key, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
        i = ws.match(text, i).end()  # type: ignore[union-attr]
        assert text[i] == ":"
        i = ws.match(text, i + 1).end()  # type: ignore[union-attr]
        value_start = i
        _, i = decoder.raw_decode(text, i)
        members.append((key, key_start, value_start, i))
        i = ws.match(text, i).end()  # type: ignore[union-attr]
        if text[i] == "}":
            return members
        assert text[i] == ","
        i = ws.match(text, i + 1).end()  # type: ignore[union-attr]


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _indent_at(text: str, pos: int) -> str:
    return text[_line_start(text, pos) : pos]


def _json_str(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _json_name(name: NameKey) -> str:
    return (
        "{"
        + ", ".join(f"{_json_str(k)}: {_json_str(v)}" for k, v in _name_dict(name).items())
        + "}"
    )


def _json_entry(entry: Entry, indent: str, step: str) -> str:
    inner = indent + step
    lines = [f"{inner}{_json_str('names')}: ["]
    names = [f"{inner}{step}{_json_name(n)}" for n in entry.names]
    lines.append(",\n".join(names))
    lines.append(f"{inner}]")
    body = ["\n".join(lines)]
    for key in _JSON_KEY_ORDER[1:]:
        value = _entry_value(entry, key)
        if value:
            body.append(f"{inner}{_json_str(key)}: {_json_str(value)}")
    return f"{indent}{_json_str(entry.pid)}: {{\n" + ",\n".join(body) + f"\n{indent}}}"


def _entry_value(entry: Entry, key: str) -> Any:
    return {
        "comment": entry.comment,
        "degree": entry.degree,
        "disable_name_matching": entry.disable_name_matching,
        "orcid": entry.orcid,
        "similar": None,
    }[key]


def _set_fields(entry: Entry) -> list[tuple[str, Any]]:
    """(key, value) of the scalar members this export sets on an existing entry, in the
    layout's key order: the flag, and the fields it filled (ORCID iD, degree)."""
    out = [(k, getattr(entry, k)) for k in entry.fields_set]
    if entry.flag_set:
        out.append(("disable_name_matching", True))
    return sorted(out, key=lambda kv: _JSON_KEY_ORDER.index(kv[0]))


def _json_fields(
    text: str, entry: Entry, members: list[tuple[str, int, int, int]]
) -> list[tuple[int, int, str]]:
    """Edits that set scalar members of an existing entry: a member it has is replaced in
    place, a missing one inserted before the first member that follows it in key order
    (else after the last member), on a line of its own."""
    order = {k: i for i, k in enumerate(_JSON_KEY_ORDER)}
    by_key = {k: (ks, vs, ve) for k, ks, vs, ve in members}
    edits = []
    for key, value in _set_fields(entry):
        if key in by_key:
            _, vs, ve = by_key[key]
            edits.append((vs, ve, _json_str(value)))
            continue
        after = [m for m in members if order.get(m[0], len(order)) > order[key]]
        if after:
            at = _line_start(text, after[0][1])
            ind = _indent_at(text, after[0][1])
            edits.append((at, at, f"{ind}{_json_str(key)}: {_json_str(value)},\n"))
        else:
            last = members[-1]
            ind = _indent_at(text, last[1])
            edits.append((last[3], last[3], f",\n{ind}{_json_str(key)}: {_json_str(value)}"))
    return edits


def _json_items(text: str, start: int) -> list[tuple[int, int, Any]]:
    """Items of the JSON array whose ``[`` is at ``start``: (start, end, value)."""
    decoder = json.JSONDecoder()
    ws = re.compile(r"[ \t\n\r]*")
    items: list[tuple[int, int, Any]] = []
    i = ws.match(text, start + 1).end()  # type: ignore[union-attr]
    if text[i] == "]":
        return items
    while True:
        value, j = decoder.raw_decode(text, i)
        items.append((i, j, value))
        i = ws.match(text, j).end()  # type: ignore[union-attr]
        if text[i] == "]":
            return items
        assert text[i] == ","
        i = ws.match(text, i + 1).end()  # type: ignore[union-attr]


def _file_name(value: Any) -> NameKey | None:
    """The name of one item of a registry entry's names (None for a name in another script)."""
    if not isinstance(value, dict) or value.get("script"):
        return None
    return (str(value.get("first") or "") or None, str(value.get("last") or ""))


def _json_rename(text: str, entry: Entry, names_start: int) -> list[tuple[int, int, str]]:
    """Edits that make ``entry.names[0]`` the first item of its ``names`` array (inserted, or
    moved there from where it was)."""
    items = _json_items(text, names_start)
    name = entry.names[0]
    first_start = items[0][0]
    if len(items) > 1:
        sep = text[items[0][1] : items[1][0]]
    elif "\n" in text[names_start:first_start]:
        sep = ",\n" + _indent_at(text, first_start)
    else:
        sep = ", "
    edits = [(first_start, first_start, _json_name(name) + sep)]
    for k, (_, end, value) in enumerate(items):
        if k and _file_name(value) == name:
            edits.append((items[k - 1][1], end, ""))  # the separator before it and the item
    return edits


def write_people_json(data: bytes, registry: Registry) -> bytes:
    text = data.decode("utf-8")
    root = text.index("{")
    top = _json_members(text, root)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement)
    spans = {key: (ks, vs, ve) for key, ks, vs, ve in top}
    step = "  "
    if top:
        step = _indent_at(text, top[0][1]) or "  "
    for key, _, vs, _ in top:
        entry = registry.entries.get(key)
        if entry is None or entry.new or not entry.edited:
            continue
        members = _json_members(text, vs)
        by_key = {k: (ks, mvs, mve) for k, ks, mvs, mve in members}
        edits += _json_fields(text, entry, members)
        if entry.renamed_from is not None:
            edits += _json_rename(text, entry, by_key["names"][1])
        for name in entry.added_names:
            _, nvs, nve = by_key["names"]
            close = nve - 1  # the closing "]"
            last_item_end = nvs + len(text[nvs:close].rstrip())
            if "\n" in text[nvs:close]:
                inside = text[nvs + 1 : close]
                first_item = nvs + 1 + len(inside) - len(inside.lstrip())
                sep = ",\n" + _indent_at(text, first_item)
            else:
                sep = ", "
            edits.append((last_item_end, last_item_end, sep + _json_name(name)))
    new = sorted((e for e in registry.entries.values() if e.new), key=lambda e: e.pid)
    keys = [k for k, *_ in top]
    is_sorted = keys == sorted(keys)
    for entry in new:
        text_entry = _json_entry(entry, step, step)
        following = [k for k in keys if k > entry.pid] if is_sorted else []
        if following:
            at = _line_start(text, spans[following[0]][0])
            edits.append((at, at, text_entry + ",\n"))
        elif top:
            end = top[-1][3]
            edits.append((end, end, ",\n" + text_entry))
        else:
            edits.append((root + 1, root + 1, "\n" + text_entry + "\n"))
    return _apply(text, edits).encode("utf-8")


# ---------------------------------------------------------------------------- YAML


def _yaml_scalar(value: Any) -> str:
    out = yaml.safe_dump({"k": value}, allow_unicode=True, width=10**9)
    return out[len("k: ") :].rstrip("\n").removesuffix("\n...")


def _yaml_name(name: NameKey) -> str:
    return yaml.safe_dump(
        _name_dict(name), default_flow_style=True, allow_unicode=True, width=10**9, sort_keys=False
    ).strip()


_TOP_KEY = re.compile(r"^([^\s#:][^:]*):[ \t]*$", re.MULTILINE)


def _yaml_entry(entry: Entry, step: str, seq_indent: str) -> str:
    lines = [f"{entry.pid}:"]
    fields = {
        "comment": entry.comment,
        "degree": entry.degree,
        "disable_name_matching": entry.disable_name_matching or None,
        "names": entry.names,
        "orcid": entry.orcid,
    }
    for key in sorted(fields):
        value = fields[key]
        if not value:
            continue
        if key == "names":
            lines.append(f"{step}names:")
            lines += [f"{step}{seq_indent}- {_yaml_name(n)}" for n in entry.names]
        else:
            lines.append(f"{step}{key}: {_yaml_scalar(value)}")
    return "\n".join(lines) + "\n"


def write_people_yaml(data: bytes, registry: Registry) -> bytes:
    text = data.decode("utf-8")
    if text and not text.endswith("\n"):
        text += "\n"
    tops = [(m.group(1).strip(), m.start()) for m in _TOP_KEY.finditer(text)]
    bounds = {
        key: (start, tops[i + 1][1] if i + 1 < len(tops) else len(text))
        for i, (key, start) in enumerate(tops)
    }
    step, seq_indent = "  ", ""
    m = re.search(r"^( +)names:[ \t]*\n( *)- ", text, re.MULTILINE)
    if m:
        step, seq_indent = m.group(1), m.group(2)[len(m.group(1)) :]
    edits: list[tuple[int, int, str]] = []
    for key, (start, end) in bounds.items():
        entry = registry.entries.get(key)
        if entry is None or entry.new or not entry.edited:
            continue
        block = text[start:end]
        lines = block.splitlines(keepends=True)
        offsets = [start + sum(len(x) for x in lines[:i]) for i in range(len(lines))]
        key_lines = [
            (i, re.match(r"( +)([A-Za-z_]+):", line))
            for i, line in enumerate(lines)
            if re.match(r"( +)([A-Za-z_]+):", line)
        ]
        kind = min(len(km.group(1)) for _, km in key_lines) if key_lines else len(step)
        direct = [(i, km.group(2)) for i, km in key_lines if len(km.group(1)) == kind]
        ind = " " * kind
        if entry.renamed_from is not None:
            edits += _yaml_rename(entry, key, lines, offsets, direct)
        for name in entry.added_names:
            ni = next(i for i, k in direct if k == "names")
            j = ni + 1
            while (
                j < len(lines)
                and re.match(r" *- ", lines[j])
                and not re.match(rf"{ind}[A-Za-z_]+:", lines[j])
            ):
                j += 1
            item_prefix = re.match(r"( *)- ", lines[j - 1]).group(1) if j > ni + 1 else ind  # type: ignore[union-attr]
            at = offsets[j] if j < len(lines) else end
            edits.append((at, at, f"{item_prefix}- {_yaml_name(name)}\n"))
        # scalar keys (the flag, filled fields): replaced in place, or inserted in sorted
        # key order (yaml.dump's)
        for field_key, value in sorted(_set_fields(entry)):
            line_text = f"{ind}{field_key}: {_yaml_scalar(value)}\n"
            existing = next((i for i, k in direct if k == field_key), None)
            if existing is not None:
                edits.append(
                    (offsets[existing], offsets[existing] + len(lines[existing]), line_text)
                )
            else:
                later = [i for i, k in direct if k > field_key]
                at = offsets[later[0]] if later else end
                edits.append((at, at, line_text))
    keys = [k for k, _ in tops]
    is_sorted = keys == sorted(keys)
    for entry in sorted((e for e in registry.entries.values() if e.new), key=lambda e: e.pid):
        block = _yaml_entry(entry, step, seq_indent)
        following = [k for k in keys if k > entry.pid] if is_sorted else []
        at = bounds[following[0]][0] if following else len(text)
        edits.append((at, at, block))
    return _apply(text, edits).encode("utf-8")


def _yaml_list_items(lines: list[str], at: int) -> list[int]:
    """Indexes of the block-list items (``- ...`` lines) that follow line ``at``."""
    out = []
    j = at + 1
    while j < len(lines) and re.match(r" *- ", lines[j]):
        out.append(j)
        j += 1
    return out


def _yaml_item_name(line: str) -> NameKey | None:
    try:
        value = yaml.safe_load(line.strip()[2:])
    except yaml.YAMLError:  # pragma: no cover - the reader parsed the file
        return None
    return _file_name(value)


def _yaml_rename(
    entry: Entry, pid: str, lines: list[str], offsets: list[int], direct: list[tuple[int, str]]
) -> list[tuple[int, int, str]]:
    """Edits that make ``entry.names[0]`` the first item of the entry's ``names`` (a block
    list in people.yaml): a line inserted before the first item, the line it had removed."""
    ni = next(i for i, k in direct if k == "names")
    items = _yaml_list_items(lines, ni)
    if not items:
        raise BylineError(
            f"{LAYOUTS[Layout.PEOPLE_YAML][0]}: the names of {pid} are not a block list "
            "('- {first: .., last: ..}' lines); change its name by hand"
        )
    first = items[0]
    prefix = re.match(r"( *)- ", lines[first]).group(1)  # type: ignore[union-attr]
    edits = [(offsets[first], offsets[first], f"{prefix}- {_yaml_name(entry.names[0])}\n")]
    for i in items[1:]:
        if _yaml_item_name(lines[i]) == entry.names[0]:
            edits.append((offsets[i], offsets[i] + len(lines[i]), ""))
    return edits


_ITEM = re.compile(r"^- ", re.MULTILINE)
_ITEM_KEY = re.compile(r"(?:- |  )([A-Za-z_]+):")


_CANONICAL = re.compile(r"- canonical:[ \t]*(\{[^\n]*\})[ \t]*(?:#[^\n]*)?\n?$")


def _name_variants_edits(text: str, registry: Registry) -> list[tuple[int, int, str]]:
    """Edits of the existing entries of ``name_variants.yaml``: the fields an entry lacks
    (ORCID iD, degree) as lines after its ``id`` (else after its ``canonical`` name), in that
    order; a new canonical name in place of the old, which becomes the first of its
    ``variants`` (the list added at the end of the entry if it has none), with ``id`` added
    when the entry had none. The entry of an id is the first list item read as that id (its
    ``id``, else its name slug, as the reader says)."""
    wanted = {
        pid: e
        for pid, e in registry.entries.items()
        if not e.new and (e.fields_set or e.renamed_from is not None)
    }
    if not wanted:
        return []
    path = LAYOUTS[Layout.NAME_VARIANTS][0]
    persons = LAYOUTS[Layout.NAME_VARIANTS][1](text.encode("utf-8"), path)
    starts = [m.start() for m in _ITEM.finditer(text)]
    if len(starts) != len(persons):  # pragma: no cover - an item written as "-" alone
        raise BylineError(
            f"{path}: {len(persons)} entries read but {len(starts)} found as '- ' lines; "
            "add the ORCID iD or name by hand"
        )
    edits: list[tuple[int, int, str]] = []
    done: set[str] = set()
    for i, person in enumerate(persons):
        entry = wanted.get(person.person_id)
        if entry is None or person.person_id in done:
            continue
        done.add(person.person_id)
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        lines = text[starts[i] : end].splitlines(keepends=True)
        offsets = [starts[i] + sum(len(x) for x in lines[:j]) for j in range(len(lines))]
        keys = [(j, m.group(1)) for j, line in enumerate(lines) if (m := _ITEM_KEY.match(line))]
        if lines and not lines[-1].endswith("\n"):
            edits.append((end, end, "\n"))
        if entry.renamed_from is not None:
            edits += _name_variants_rename(entry, lines, offsets, keys, end, path)
        anchor = next((j for j, k in keys if k == "id"), 0)  # the id line, else canonical
        following = [j for j, _ in keys if j > anchor]
        j = following[0] if following else len(lines)
        at = offsets[j] if j < len(lines) else end
        added = "".join(
            f"  {k}: {_yaml_scalar(getattr(entry, k))}\n"
            for k in ("orcid", "degree")
            if k in entry.fields_set
        )
        if added:
            edits.append((at, at, added))
    return edits


def _name_variants_rename(
    entry: Entry,
    lines: list[str],
    offsets: list[int],
    keys: list[tuple[int, str]],
    end: int,
    path: str,
) -> list[tuple[int, int, str]]:
    m = _CANONICAL.match(lines[0])
    variants = next((j for j, k in keys if k == "variants"), None)
    if m is None or (variants is not None and lines[variants].split(":", 1)[1].strip()):
        raise BylineError(
            f"{path}: the entry {entry.pid} is not written as '- canonical: {{first: .., last: "
            "..}}' with a block list of variants; change its name by hand"
        )
    old = entry.renamed_from
    assert old is not None
    edits = [(offsets[0] + m.start(1), offsets[0] + m.end(1), _yaml_name(entry.names[0]))]
    if not any(k == "id" for _, k in keys):  # the id was the old name's slug: keep it
        at = offsets[1] if len(lines) > 1 else end
        edits.append((at, at, f"  id: {_yaml_scalar(entry.pid)}\n"))
    if variants is not None:
        items = _yaml_list_items(lines, variants)
        prefix = re.match(r"( *)- ", lines[items[0]]).group(1) if items else "  "  # type: ignore[union-attr]
        at = offsets[variants + 1] if variants + 1 < len(lines) else end
        edits.append((at, at, f"{prefix}- {_yaml_name(old)}\n"))
        for i in items:
            if _yaml_item_name(lines[i]) == entry.names[0]:
                edits.append((offsets[i], offsets[i] + len(lines[i]), ""))
    else:  # after the entry's last line that is not blank or a comment
        last = max((j for j, x in enumerate(lines) if x.strip() and not x.lstrip().startswith("#")))
        at = offsets[last + 1] if last + 1 < len(lines) else end
        edits.append((at, at, f"  variants:\n  - {_yaml_name(old)}\n"))
    return edits


def write_name_variants(data: bytes, registry: Registry) -> bytes:
    text = data.decode("utf-8")
    if text and not text.endswith("\n"):
        text += "\n"
    text = _apply(text, _name_variants_edits(text, registry))
    blocks = []
    for entry in (e for e in registry.entries.values() if e.new):
        lines = [f"- canonical: {_yaml_name(entry.names[0])}", f"  id: {_yaml_scalar(entry.pid)}"]
        if entry.orcid:
            lines.append(f"  orcid: {_yaml_scalar(entry.orcid)}")
        if entry.comment:
            lines.append(f"  comment: {_yaml_scalar(entry.comment)}")
        if entry.degree:
            lines.append(f"  degree: {_yaml_scalar(entry.degree)}")
        if len(entry.names) > 1:
            lines.append("  variants:")
            lines += [f"  - {_yaml_name(n)}" for n in entry.names[1:]]
        blocks.append("\n".join(lines) + "\n")
    return (text + "".join(blocks)).encode("utf-8")


# ---------------------------------------------------------------------------- common


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    out, pos = [], 0
    for start, end, repl in sorted(edits, key=lambda e: (e[0], e[1])):
        out.append(text[pos:start])
        out.append(repl)
        pos = max(pos, end)
    out.append(text[pos:])
    return "".join(out)


WRITERS = {
    Layout.PEOPLE_JSON: write_people_json,
    Layout.PEOPLE_YAML: write_people_yaml,
    Layout.NAME_VARIANTS: write_name_variants,
}


def write_registry(layout: str, data: bytes, registry: Registry) -> bytes:
    """The registry file of ``layout`` with the registry's changes, checked by re-reading it."""
    new = WRITERS[layout](data, registry)
    reader = LAYOUTS[layout][1]
    path = LAYOUTS[layout][0]
    try:
        persons = {p.person_id: p for p in reader(new, path)}
    except BylineError as exc:  # pragma: no cover - a bug in a writer
        raise BylineError(f"internal error: the edited {path} does not read back ({exc})") from None
    for entry in registry.entries.values():
        if not entry.edited:
            continue
        p = persons.get(entry.pid)
        got = None
        if p is not None:
            got = {(n.first or None, n.last) for n in p.names}
            got |= {(n.first or None, n.last) for _, n in p.script_names}
        if (
            p is None
            or got != set(entry.names)
            or (
                layout != Layout.NAME_VARIANTS
                and p.disable_name_matching != entry.disable_name_matching
            )
            or (entry.new and (p.orcid != entry.orcid or p.comment != entry.comment))
            or (entry.fields_set and (p.orcid != entry.orcid or p.degree != entry.degree))
            or (
                entry.renamed_from is not None
                and (p.names[0].first or None, p.names[0].last) != entry.names[0]
            )
        ):
            raise BylineError(  # pragma: no cover - a bug in a writer
                f"internal error: the edited {path} does not hold entry {entry.pid} as intended"
            )
    return new
