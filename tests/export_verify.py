"""Who every author/editor of a data folder resolves to, by the official acl-anthology library.

Run with the library of the layout on PYTHONPATH (the three versions cannot share a venv):

    PYTHONPATH=.venv-acl/0.5 python tests/export_verify.py DATA_DIR OUT.json

Writes {"version", "build_error", "owners": {label: person id or "!<Error>"}, "persons": {id:
{"orcid", "degree", "comment", "names": [[first, last], ...]}}} (the canonical name first)
where label is "<paper id>#<author position>" for authors and "<item id>/editor#<n>" for
editors. The index is first built as the library builds it
(``people.load()``); if that raises (the Nov 2025 snapshot has ambiguous names whose ids are
withheld), it is built again name by name with the library's own resolution, recording the
error of each name that fails.
"""

from __future__ import annotations

import json
import logging
import sys
import warnings
from importlib.metadata import version


def main(datadir: str, out: str) -> None:
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    from acl_anthology import Anthology

    # Small fixtures carry no xml/schema.rnc; the schema check only warns anyway.
    Anthology._check_schema_compatibility = lambda self: None  # type: ignore[method-assign]
    v = version("acl-anthology")
    old = v.startswith("0.")
    anth = Anthology(datadir=datadir, verbose=False) if not old else Anthology(datadir=datadir)
    if old:
        anth.people.verbose = False
    index = anth.people
    build_error = None
    try:
        index.load()
    except Exception as exc:  # noqa: BLE001 - any failure of the library is the finding
        build_error = f"{type(exc).__name__}: {exc}"

    def resolve(ns) -> str:  # type: ignore[no-untyped-def]
        try:
            if build_error is None:
                return index.get_by_namespec(ns).id
            if old:
                return index.get_or_create_person(ns).id
            return index._resolve_namespec(ns, allow_creation=True).id
        except Exception as exc:  # noqa: BLE001
            return f"!{type(exc).__name__}"

    if build_error is not None:  # tolerant rebuild, in the library's build order
        index.reset()
        if old:
            index._load_variant_list()
        else:
            index._load_people_index()
    owners: dict[str, str] = {}
    for collection in anth.collections.values():
        for volume in collection.volumes():
            for i, ns in enumerate(volume.editors):
                owners[f"{volume.full_id}/editor#{i}"] = resolve(ns)
            for paper in volume.papers():
                if paper.is_frontmatter:
                    continue
                for i, ns in enumerate(paper.authors):
                    owners[f"{paper.full_id}#{i}"] = resolve(ns)
                eds = paper.editors if old else paper._editors
                for i, ns in enumerate(eds or []):
                    owners[f"{paper.full_id}/editor#{i}"] = resolve(ns)
    # the registry's fields as the library reads them (0.5.x reads no ORCID iD or degree)
    persons = {
        pid: {
            **{k: getattr(p, k, None) for k in ("orcid", "degree", "comment")},
            "names": [[n.first, n.last] for n in p.names],  # the canonical name first
        }
        for pid, p in index.data.items()  # as built above (items() would build it again)
    }
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(
            {"version": v, "build_error": build_error, "owners": owners, "persons": persons}, fh
        )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
