"""The store's cache of derived objects is reused while the library is unchanged, and only
then."""

from __future__ import annotations

import shutil
from pathlib import Path

from byline.store import connect
from byline.store.artifacts import UpdateOnly, cached, library_digest
from byline.store.ingest import ingest

FIXTURE = Path(__file__).parent / "fixtures" / "anthology-2025-11"


def test_cache_is_reused_until_the_data_or_version_changes(tmp_path: Path) -> None:
    data = tmp_path / "lib"
    shutil.copytree(FIXTURE, data)
    store = connect(f"sqlite:///{tmp_path}/a.sqlite")
    ingest(store, data)
    calls: list[int] = []

    def build() -> dict[str, int]:
        calls.append(1)
        return {"built": len(calls)}

    assert cached(store, "thing", "v1", build) == {"built": 1}
    assert cached(store, "thing", "v1", build) == {"built": 1}
    assert len(calls) == 1
    assert cached(store, "thing", "v2", build) == {"built": 2}  # code version moved

    before = library_digest(store)
    xml = next((data / "data" / "xml").glob("*.xml"))
    xml.write_text(xml.read_text().replace("</collection>", "</collection>\n"))
    ingest(store, data)
    assert library_digest(store) != before
    assert cached(store, "thing", "v2", build) == {"built": 3}  # library moved


def test_a_part_only_the_update_reads_is_kept_apart(tmp_path: Path) -> None:
    """``update_only``: a valid cache is read without the part; an update gets it back; a
    value an older byline stored whole is stored again in two parts."""
    data = tmp_path / "lib"
    shutil.copytree(FIXTURE, data)
    store = connect(f"sqlite:///{tmp_path}/a.sqlite")
    ingest(store, data)
    part = UpdateOnly[dict[str, object]](
        take=lambda v: ({k: x for k, x in v.items() if k != "basis"}, v.get("basis")),
        put=lambda v, basis: {**v, "basis": basis},
    )
    updates: list[object] = []

    def update(v: dict[str, object]) -> dict[str, object]:
        updates.append(v.get("basis"))
        return {"value": 2, "basis": "basis 2"}

    # stored whole, as before parts were kept apart
    assert cached(store, "thing", "v1", lambda: {"value": 1, "basis": "basis 1"}) == {
        "value": 1,
        "basis": "basis 1",
    }
    whole = cached(store, "thing", "v1", lambda: {}, update, part)
    assert whole == {"value": 1, "basis": "basis 1"}  # read whole once, stored in two parts
    assert cached(store, "thing", "v1", lambda: {}, update, part) == {"value": 1}

    xml = next((data / "data" / "xml").glob("*.xml"))
    xml.write_text(xml.read_text().replace("</collection>", "</collection>\n"))
    ingest(store, data)
    assert cached(store, "thing", "v1", lambda: {}, update, part) == {
        "value": 2,
        "basis": "basis 2",
    }
    assert updates == ["basis 1"]  # the update got its part back
    assert cached(store, "thing", "v1", lambda: {}, update, part) == {"value": 2}
