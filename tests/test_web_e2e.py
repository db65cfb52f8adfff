"""The review page in a real browser: Debian's Chromium driven by Playwright.

A maintainer opens "Peisong Wang", splits one paper off to a new person, confirms the rest,
reloads (the decisions persist), and the export's XML diff carries them.

The library is built in tmp_path in the Nov 2025 layout from the Anthology author page of
Peisong Wang as scraped into ``../shared/seeds/peisong-wang-author-page.jsonl`` (four
papers; the two ACL 2025 long papers get made-up ids, the Findings ones keep theirs).
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from html import escape
from pathlib import Path

import pytest
from typer.testing import CliRunner

from byline.store import connect
from byline.store.decisions import active_decisions, decided_state
from byline.store.ingest import ingest

CHROMIUM = Path("/usr/bin/chromium")
FIXTURE = Path(__file__).parent / "fixtures" / "anthology-2025-11"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "peisong-wang-author-page.jsonl"
IDS = {  # title prefix -> Anthology paper id
    "EAC-MoE": ("2025.acl", "long", 1),
    "S2R": ("2025.acl", "long", 2),
    "Q-Mamba": ("2025.findings", "acl", 551),
    "RQT": ("2025.findings", "acl", 554),
}
TENCENT = "S2R"  # the paper of another Peisong Wang (Tencent AI Lab, not CASIA)

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install -y chromium)"
    ),
    pytest.mark.skipif(not SEEDS.exists(), reason=f"{SEEDS} is absent (no ../shared)"),
]


def _author(full: str) -> str:
    first, _, last = full.rpartition(" ")
    return f"<author><first>{escape(first)}</first><last>{escape(last)}</last></author>"


def build_library(root: Path) -> tuple[Path, dict[str, str]]:
    """data/ in the Nov 2025 layout from the seed JSONL; returns it and title -> paper id."""
    volumes: dict[tuple[str, str], list[str]] = {}
    meta: dict[tuple[str, str], str] = {}
    ids: dict[str, str] = {}
    for line in SEEDS.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        prefix = next(p for p in IDS if rec["title"].startswith(p))
        coll, vol, num = IDS[prefix]
        ids[prefix] = f"{coll}-{vol}.{num}"
        meta[(coll, vol)] = rec["booktitle"]
        authors = "\n      ".join(_author(a) for a in rec["authors"])
        volumes.setdefault((coll, vol), []).append(
            f'    <paper id="{num}">\n      <title>{escape(rec["title"])}</title>\n'
            f"      {authors}\n      <abstract>{escape(rec.get('abstract') or '')}</abstract>\n"
            f'      <url hash="0000000{num % 10}">{ids[prefix]}</url>\n    </paper>'
        )
    # beside the known-split fixture's papers, so the library statistics have some text
    shutil.copytree(FIXTURE / "data", root / "data")
    xml = root / "data" / "xml"
    for coll in sorted({c for c, _ in volumes}):
        parts = [f"<?xml version='1.0' encoding='UTF-8'?>\n<collection id=\"{coll}\">"]
        for (c, vol), papers in sorted(volumes.items()):
            if c != coll:
                continue
            parts.append(
                f'  <volume id="{vol}" ingest-date="2025-07-20" type="proceedings">\n'
                f"    <meta>\n      <booktitle>{escape(meta[(c, vol)])}</booktitle>\n"
                f"      <year>2025</year>\n      <venue>acl</venue>\n    </meta>\n"
                + "\n".join(papers)
                + "\n  </volume>"
            )
        parts.append("</collection>\n")
        (xml / f"{coll}.xml").write_text("\n".join(parts), encoding="utf-8")
    registry = root / "data" / "yaml" / "name_variants.yaml"
    registry.write_text(
        registry.read_text(encoding="utf-8")
        + "- canonical: {first: Jian, last: Cheng}\n  id: jian-cheng\n",
        encoding="utf-8",
    )
    return root / "data", ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, Path, dict[str, str]]]:
    import uvicorn

    from byline.web.app import create_app

    data, ids = build_library(tmp_path / "lib")
    db = f"sqlite:///{tmp_path}/e2e.sqlite"
    ingest(connect(db), data)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", db, data, ids
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_split_off_confirm_reload_export(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, db, data, ids = served
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(base + "/")
        # the search box finds the name (fuzzy) and opens its page
        page.fill("input[name=q]", "peisong wang")
        page.press("input[name=q]", "Enter")
        page.wait_for_url(base + "/names/peisong-wang")
        assert page.locator("h1").inner_text() == "Peisong Wang"
        page.screenshot(path=str(tmp_path / "name-before.png"), full_page=True)

        # select the Tencent paper and make it a new person
        tencent = f"{ids[TENCENT]}#1"
        page.check(f'input[type=checkbox][value="{tencent}"]')
        page.fill('#sel input[name="actor"]', "Ana Maintainer")
        page.fill('#sel input[name="first"]', "Peisong")
        page.fill('#sel input[name="last"]', "Wang")
        page.click('#sel button[value="new"]')
        page.wait_for_url("**/names/peisong-wang?saved=*")
        assert "Saved decision" in page.locator(".flash").inner_text()

        store = connect(db)
        new = next(d.person for d in active_decisions(store, "peisong-wang") if d.kind == "assign")
        column = page.locator(f'section.person[data-person="{new}"]')
        assert column.locator("input[type=checkbox]").count() == 1
        assert column.locator(f'input[type=checkbox][value="{tencent}"]').count() == 1

        # confirm the other column (the CASIA papers)
        rest = page.locator(f'section.person:not([data-person="{new}"])').first
        rest_key = rest.get_attribute("data-person")
        rest.locator('button[value="confirm"]').click()
        page.wait_for_url("**/names/peisong-wang?saved=*")

        # reload: both decisions persisted, shown with the confirmed badge and in the history
        page.goto(base + "/names/peisong-wang")
        confirmed = page.locator(f'section.person[data-person="{rest_key}"]')
        assert "confirmed" in confirmed.locator("h2").inner_text()
        assert confirmed.locator("input[type=checkbox]").count() == 3
        assert page.locator(
            f'section.person[data-person="{new}"] input[type=checkbox][value="{tencent}"]'
        ).count()
        history = page.locator("table.history tbody tr")
        assert history.count() == 3  # assign + not this person + confirm
        assert "Ana Maintainer" in page.locator("table.history").inner_text()
        page.screenshot(path=str(tmp_path / "name-after.png"), full_page=True)
        browser.close()

    state = decided_state(connect(db))
    assert state.person_of(tencent) == new and state.is_confirmed(rest_key)
    assert {m for m, p in state.assignments().items() if p == rest_key} == {
        f"{ids['EAC-MoE']}#2",
        f"{ids['Q-Mamba']}#2",
        f"{ids['RQT']}#1",
    }

    # export: the decisions become id= attributes in the collection XML
    from byline.cli import app

    patch = tmp_path / "decisions.patch"
    res = CliRunner().invoke(
        app, ["export", "--patch", str(patch), "--data", str(data), "--db", db]
    )
    assert res.exit_code == 0, res.output
    diff = patch.read_text(encoding="utf-8")
    added = [ln for ln in diff.splitlines() if ln.startswith("+") and "<last>Wang</last>" in ln]
    assert len(added) == 4, diff  # every Peisong Wang author line gains an id
    id_of = {}
    for ln in diff.splitlines():
        if "<title>" in ln:
            title = ln.split("<title>")[1]
        if ln in added:
            id_of[next(p for p in IDS if title.startswith(p))] = ln.split('id="')[1].split('"')[0]
    # the Tencent paper is one person, the three CASIA papers another
    assert len({id_of["EAC-MoE"], id_of["Q-Mamba"], id_of["RQT"]}) == 1
    assert id_of[TENCENT] != id_of["RQT"]
    # and both persons enter the registry of the input's layout
    registry = diff.split("name_variants.yaml")[-1]
    assert f"+  id: {id_of[TENCENT]}" in registry and f"+  id: {id_of['RQT']}" in registry
