"""The store's cache of derived objects is reused while the library is unchanged, and only
then."""

from __future__ import annotations

import shutil
from pathlib import Path

from byline.store import connect
from byline.store.artifacts import cached, library_digest
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
