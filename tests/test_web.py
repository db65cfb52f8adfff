"""The review page (`byline serve`) through its HTTP API, on the known-split fixture.

Every decision kind goes through a form POST; the page after it and a fresh engine agree
with it; stale versions, missing CSRF tokens and missing logins are refused with nothing
written; titles are escaped. Author-page requests queued by ``byline intake --queue`` show on
their names' pages, are accepted in one click (one transaction with their decisions), edited
(the page opens with the proposal selected) or closed.
"""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from byline.engine import load_engine
from byline.store import connect
from byline.store.decisions import active_decisions, decided_state, history, name_version
from byline.store.ingest import ingest
from byline.store.predictions import load_predictions
from byline.web.app import create_app

FIXTURE = Path(__file__).parent / "fixtures" / "anthology-2025-11"
SLUG = "jiarui-fenwick"
EDINBURGH = "jiarui-fenwick-edinburgh"
TSINGHUA = "jiarui-fenwick-tsinghua"
# Edinburgh papers without any id (only the model and co-authors place them)
UNMARKED = ["W19-3201#1", "2024.acl-short.1#1"]


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture ingested once, with every title embedding cached."""
    path = tmp_path_factory.mktemp("web") / "template.sqlite"
    store = connect(f"sqlite:///{path}")
    ingest(store, FIXTURE)
    engine = load_engine(f"sqlite:///{path}")
    engine.prepare(engine.corpus.blocks)
    store.dispose()
    engine.store.dispose()  # type: ignore[union-attr]
    return path


@pytest.fixture
def db(template_db: Path, tmp_path: Path) -> str:
    path = tmp_path / "s.sqlite"
    shutil.copy(template_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def client(db: str) -> TestClient:
    return TestClient(create_app(db), follow_redirects=False)


def csrf_and_version(html: str) -> tuple[str, int]:
    csrf = re.search(r'name="csrf" value="([^"]+)"', html)
    version = re.search(r'name="version" value="(\d+)"', html)
    assert csrf and version, "the page has no decision form"
    return csrf.group(1), int(version.group(1))


def groups_on_page(html: str) -> dict[str, set[str]]:
    """person key -> mention ids shown in its column (from the page's checkboxes)."""
    out: dict[str, set[str]] = {}
    for sec in re.findall(
        r'<section class="person[^"]*" data-person="([^"]+)">(.*?)</section>', html, flags=re.S
    ):
        key, body = sec
        out[key] = set(re.findall(r'type="checkbox" name="m" value="([^"]+)"', body))
    return out


def open_name(client: TestClient, slug: str = SLUG) -> tuple[str, str, int]:
    res = client.get(f"/names/{slug}")
    assert res.status_code == 200, res.text
    return (res.text, *csrf_and_version(res.text))


def decide(client: TestClient, **form: object) -> object:
    return client.post(f"/names/{SLUG}/decide", data={"actor": "ann", **form})


def fresh_split(db: str, slug: str = SLUG) -> dict[str, str]:
    engine = load_engine(db)
    res = engine.split_block(slug)
    return dict(zip((m.mention_id for m in res.mentions), res.keys, strict=True))


# --- pages --------------------------------------------------------------------------------


def test_name_page_shows_persons_papers_and_evidence(client: TestClient) -> None:
    html, _, version = open_name(client)
    assert version == 0
    groups = groups_on_page(html)
    assert sum(len(g) for g in groups.values()) == 9  # every Fenwick mention, once
    assert set().union(*groups.values()) >= set(UNMARKED)
    assert "https://aclanthology.org/2024.acl-long.1/" in html
    assert "University of Edinburgh" in html and "0000-0003-1415-9269" in html
    assert "Morag Kilbride" in html  # co-author evidence
    # per-paper confidence is shown
    assert re.search(r'class="conf"[^>]*>[01]\.\d\d', html)
    # a mis-typed slug or a plain name redirects to the page, an unknown one is a 404
    assert client.get("/names/Jiarui Fenwick").headers["location"] == f"/names/{SLUG}"
    res = client.get("/names/jiarui-fenwik")
    assert res.status_code == 404 and "jiarui-fenwick" in res.text


def test_fixture_title_with_markup_and_lt_is_escaped(client: TestClient) -> None:
    html, _, _ = open_name(client, "gordon-achterberg")
    assert "BERTScore &lt; Human Judgments" in html
    assert "BERTScore < Human" not in html


def test_script_in_a_title_is_escaped(tmp_path: Path) -> None:
    data = tmp_path / "lib"
    shutil.copytree(FIXTURE / "data", data / "data")
    xml = data / "data" / "xml" / "2024.acl.xml"
    text = xml.read_text(encoding="utf-8")
    text = text.replace(
        "<title>Low-Resource Neural Machine Translation with Induced Bilingual Lexicons</title>",
        "<title>&lt;script&gt;alert('x')&lt;/script&gt; Lexicons &amp; &lt;b&gt;MT</title>",
    )
    xml.write_text(text, encoding="utf-8")
    url = f"sqlite:///{tmp_path}/x.sqlite"
    ingest(connect(url), data)
    client = TestClient(create_app(url), follow_redirects=False)
    html, _, _ = open_name(client)
    assert "&lt;script&gt;alert(" in html
    assert "<script>" not in html and "<b>MT" not in html
    res = client.get("/", params={"q": "<script>x</script>"})
    assert "<script>x" not in res.text and "&lt;script&gt;x" in res.text


def test_search_and_queue(client: TestClient) -> None:
    res = client.get("/", params={"q": "Jiarui Fenwick"})
    assert res.status_code == 303 and res.headers["location"] == f"/names/{SLUG}"
    res = client.get("/", params={"q": "fenwik jirui"})  # fuzzy
    assert res.status_code == 200
    assert f'href="/names/{SLUG}"' in res.text.split("Names to review")[0]
    home = client.get("/").text
    queue = re.findall(r'<td><a href="/names/([^"]+)">', home)
    # names with 2+ papers only, Fenwick (9 papers) first: no predictions stored yet
    assert queue[0] == SLUG
    assert "gordon-achterberg" not in queue or len(queue) > 1
    counts = dict(re.findall(r'href="/names/([^"]+)">.*?</td>\s*<td class="num">(\d+)', home))
    assert all(int(n) >= 2 for n in counts.values())


def test_queue_uses_stored_predictions(db: str, client: TestClient) -> None:
    html, csrf, version = open_name(client)
    key, members = next(iter(groups_on_page(html).items()))
    res = decide(
        client, action="confirm", person=key, m=sorted(members), csrf=csrf, version=version
    )
    assert res.status_code == 303
    # a new app reads the predictions remembered after the decision, and marks the name
    home = TestClient(create_app(db)).get("/").text
    assert "stored predictions" in home
    row = re.search(r'href="/names/jiarui-fenwick">.*?</tr>', home, flags=re.S)
    assert row and "v1" in row.group(0)


# --- decisions ----------------------------------------------------------------------------


def page_agrees_with_a_fresh_engine(html: str, db: str, slug: str = SLUG) -> dict[str, set[str]]:
    """The page shows exactly what a freshly loaded engine splits: keys and groups."""
    groups = groups_on_page(html)
    fresh: dict[str, set[str]] = {}
    for m, k in fresh_split(db, slug).items():
        fresh.setdefault(k, set()).add(m)
    assert groups == fresh
    return groups


def test_new_person_then_confirm_then_merge_then_undo(db: str, client: TestClient) -> None:
    html, csrf, version = open_name(client)
    before = groups_on_page(html)
    old = {k for k, g in before.items() if g & set(UNMARKED)}
    res = decide(
        client,
        action="new",
        m=UNMARKED,
        first="Jiarui",
        last="Fenwick (MT)",
        csrf=csrf,
        version=version,
        note="split off",
    )
    assert res.status_code == 303, res.text
    store = connect(db)
    first, *rest = active_decisions(store, SLUG)
    assert (first.kind, first.actor, first.note, first.version) == ("assign", "ann", "split off", 1)
    assert first.person.startswith(f"{SLUG}/") and set(first.mention_ids) == set(UNMARKED)
    assert first.model_version and first.model_version != "untrained"
    # ... and they are not the person(s) they were listed under
    assert {d.person for d in rest} == old and {d.kind for d in rest} == {"not_person"}
    new = first.person
    # the page after the decision shows it, and a fresh engine agrees
    html, csrf, version = open_name(client)
    assert version == 1 + len(old)
    groups = page_agrees_with_a_fresh_engine(html, db)
    assert set(UNMARKED) <= groups[new]
    for key in old:  # the rest of their old column did not follow them
        assert not (groups[new] & (before[key] - set(UNMARKED)))
    assert "Jiarui Fenwick (MT)" in html and "split off" in html
    # remembered predictions carry the new key
    assert {load_predictions(store, [SLUG])[m] for m in UNMARKED} == {new}

    # confirm the whole new group
    res = decide(
        client, action="confirm", person=new, m=sorted(groups[new]), csrf=csrf, version=version
    )
    assert res.status_code == 303
    assert decided_state(store).is_confirmed(new)
    html, csrf, version = open_name(client)
    assert re.search(
        r'data-person="' + re.escape(new) + r'">\s*<header>\s*<h2>[^<]*<span '
        r'class="badge ok">confirmed',
        html,
    )


def test_merge_and_undo(db: str, client: TestClient) -> None:
    store = connect(db)
    slug = "morag-kilbride"
    html, csrf, version = open_name(client, slug)
    [(key, papers)] = groups_on_page(html).items()  # one person: five papers
    one = sorted(papers)[0]
    res = client.post(
        f"/names/{slug}/decide",
        data={
            "action": "new",
            "m": [one],
            "first": "Morag",
            "last": "Kilbride",
            "actor": "ann",
            "csrf": csrf,
            "version": version,
        },
    )
    assert res.status_code == 303
    html, csrf, version = open_name(client, slug)
    groups = page_agrees_with_a_fresh_engine(html, db, slug)
    assert groups[key] == papers - {one} and len(groups) == 2
    new = next(k for k in groups if k != key)
    # merge the new person back (one assign of both columns' papers to the target's key)
    res = client.post(
        f"/names/{slug}/decide",
        data={
            "action": "merge",
            "m": sorted(groups[new]),
            "person": key,
            "actor": "ann",
            "csrf": csrf,
            "version": version,
        },
    )
    assert res.status_code == 303
    merge = active_decisions(store, slug)[-1]
    assert (merge.kind, merge.person, set(merge.mention_ids)) == ("assign", key, papers)
    html, csrf, version = open_name(client, slug)
    assert page_agrees_with_a_fresh_engine(html, db, slug) == {key: papers}

    # undo the merge: the new person comes back as it was
    res = client.post(
        f"/names/{slug}/undo",
        data={"decision": merge.id, "csrf": csrf, "version": version, "actor": "bob"},
    )
    assert res.status_code == 303
    html, csrf, version = open_name(client, slug)
    assert page_agrees_with_a_fresh_engine(html, db, slug) == groups
    undo_row = history(store, slug)[-1]
    assert (undo_row.kind, undo_row.target, undo_row.actor) == ("undo", merge.id, "bob")
    assert 'class="undone"' in html  # the history list shows the merge as undone
    assert version == len(history(store, slug))
    # a merge of two columns holding two authors of one paper is refused
    html, csrf, version = open_name(client)
    fen = groups_on_page(html)
    if len(fen) > 1:
        a, b = (k for k in fen if fen[k] & {"2024.acl-long.3#0", "2024.acl-long.3#3"})
        res = decide(client, action="merge", person=a, m=sorted(fen[b]), csrf=csrf, version=version)
        assert res.status_code == 400 and "two authors" in res.text


def test_move_to_existing_person_and_not_this_person(db: str, client: TestClient) -> None:
    store = connect(db)
    html, csrf, version = open_name(client)
    groups = groups_on_page(html)
    # a Tsinghua paper that sits in another column is moved to the Tsinghua person
    tsinghua = groups[TSINGHUA]
    outside = sorted(
        m
        for k, g in groups.items()
        if k != TSINGHUA
        for m in g
        if m.split("#")[0] not in {x.split("#")[0] for x in tsinghua}
    )
    moved = outside[0]
    res = decide(client, action="assign", person=TSINGHUA, m=[moved], csrf=csrf, version=version)
    assert res.status_code == 303, res.text
    assign = [d for d in active_decisions(store, SLUG) if d.kind == "assign"][-1]
    # what the maintainer saw is stored: the target keeps its papers and gains the moved one
    assert set(assign.mention_ids) == tsinghua | {moved} and assign.person == TSINGHUA
    html, csrf, version = open_name(client)
    after = page_agrees_with_a_fresh_engine(html, db)
    assert tsinghua | {moved} <= after[TSINGHUA]

    # moving a paper's second author to the person holding its first one is refused
    same_paper = next(m for m in after[TSINGHUA] if m.startswith("2024.acl-long.3#"))
    other = "2024.acl-long.3#0" if same_paper.endswith("#3") else "2024.acl-long.3#3"
    owner = next(k for k, g in after.items() if other in g)
    if owner != TSINGHUA:
        res = decide(
            client, action="assign", person=TSINGHUA, m=[other], csrf=csrf, version=version
        )
        assert res.status_code == 400 and "two authors" in res.text

    # "not this person": W19-3201#1 is not whoever it is listed under now
    owner = next(k for k, g in after.items() if "W19-3201#1" in g)
    res = decide(client, action="not_person", m=["W19-3201#1"], csrf=csrf, version=version)
    assert res.status_code == 303, res.text
    d = active_decisions(store, SLUG)[-1]
    assert (d.kind, d.person, d.mention_ids) == ("not_person", owner, ("W19-3201#1",))
    html, _, _ = open_name(client)
    assert "W19-3201#1" not in page_agrees_with_a_fresh_engine(html, db).get(owner, set())


def test_bad_forms_are_refused_with_nothing_written(db: str, client: TestClient) -> None:
    html, csrf, version = open_name(client)
    cases = [
        {"action": "assign", "person": EDINBURGH, "m": []},  # nothing selected
        {"action": "assign", "person": "someone-else", "m": UNMARKED},  # unknown person
        {"action": "assign", "person": EDINBURGH, "m": ["P19-1003#0"]},  # another name's paper
        {"action": "new", "m": UNMARKED, "last": ""},  # new person without a name
        {"action": "drop", "person": EDINBURGH, "m": UNMARKED},
        {"action": "not_person", "m": ["W19-3201#1"], "actor": "  "},  # who?
    ]
    for form in cases:
        res = decide(client, csrf=csrf, version=version, **form)
        assert res.status_code == 400, (form, res.status_code)
    groups = groups_on_page(html)
    if len(groups) > 1:  # "not this person" across two columns is ambiguous
        a, b = (next(iter(g)) for g in list(groups.values())[:2])
        res = decide(client, action="not_person", m=[a, b], csrf=csrf, version=version)
        assert res.status_code == 400
    assert name_version(connect(db), SLUG) == 0 and history(connect(db)) == []


# --- two maintainers, CSRF, login -----------------------------------------------------------


def test_concurrent_decisions_on_two_names_are_both_kept(db: str) -> None:
    """Two maintainers save on two names at once: each request splits on its own view of
    the engine, so both pages end up as a fresh engine splits them, and the shared engine's
    decisions and last keys are never changed by a request."""
    app = create_app(db)
    engine = app.state.review.engine
    decisions, previous = engine.decisions, dict(engine.previous)
    forms = []
    for slug in (SLUG, "morag-kilbride"):
        client = TestClient(app, follow_redirects=False)
        html, csrf, version = open_name(client, slug)
        key, papers = max(groups_on_page(html).items(), key=lambda kv: len(kv[1]))
        form = {"action": "confirm", "person": key, "m": sorted(papers), "csrf": csrf}
        forms.append((client, slug, {**form, "version": version, "actor": f"ann-{slug}"}))
    start = threading.Barrier(len(forms))
    status: dict[str, int] = {}

    def save(client: TestClient, slug: str, form: dict) -> None:  # type: ignore[type-arg]
        start.wait()
        status[slug] = client.post(f"/names/{slug}/decide", data=form).status_code

    threads = [threading.Thread(target=save, args=f) for f in forms]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert status == {SLUG: 303, "morag-kilbride": 303}
    store = connect(db)
    for client, slug, form in forms:
        assert [(d.kind, d.actor) for d in history(store, slug)] == [("confirm", f"ann-{slug}")]
        html, _, version = open_name(client, slug)
        assert version == 1
        groups = page_agrees_with_a_fresh_engine(html, db, slug)
        assert set(form["m"]) <= groups[form["person"]]
        assert decided_state(store).is_confirmed(form["person"])
    assert engine.decisions is decisions and dict(engine.previous) == previous


def test_stale_version_is_409_and_says_what_changed(db: str, client: TestClient) -> None:
    html, csrf, version = open_name(client)
    other = TestClient(create_app(db), follow_redirects=False)  # a second maintainer
    _, csrf2, version2 = open_name(other)
    res = other.post(
        f"/names/{SLUG}/decide",
        data={
            "action": "new",
            "m": ["W19-3201#1"],
            "last": "Fenwick",
            "first": "J.",
            "actor": "bob",
            "csrf": csrf2,
            "version": version2,
        },
    )
    assert res.status_code == 303
    # ann saves on the version she loaded before bob's decision
    res = decide(client, action="assign", person=TSINGHUA, m=UNMARKED, csrf=csrf, version=version)
    assert res.status_code == 409
    assert "bob" in res.text and "changed while you were deciding" in res.text
    store = connect(db)
    bobs = history(store, SLUG)  # bob's split: an assign and a "not this person"
    assert {d.actor for d in bobs} == {"bob"} and len(bobs) >= 2
    current = name_version(store, SLUG)
    assert current == len(bobs)
    assert "version 0" in res.text and f"version {current}" in res.text
    assert all(f"<td>{d.id}</td>" in res.text for d in bobs)
    # the page ann reloads is the current one, and her save then goes through
    html, csrf, version = open_name(client)
    assert version == current
    key, papers = next(iter(groups_on_page(html).items()))
    res = decide(client, action="confirm", person=key, m=sorted(papers), csrf=csrf, version=version)
    assert res.status_code == 303
    assert history(store, SLUG)[-1].actor == "ann"


def test_csrf_is_required(db: str, client: TestClient) -> None:
    html, csrf, version = open_name(client)
    form = {"action": "not_person", "m": ["W19-3201#1"], "version": version}
    assert decide(client, **form).status_code == 403  # missing
    assert decide(client, **form, csrf="0" * 40).status_code == 403  # wrong
    # a token of another session does not fit this one
    other = TestClient(create_app(db), follow_redirects=False)
    _, other_csrf, _ = open_name(other)
    assert decide(client, **form, csrf=other_csrf).status_code == 403
    # a request without the session cookie (another site's form) is refused too
    bare = TestClient(client.app, follow_redirects=False)
    res = bare.post(f"/names/{SLUG}/decide", data={**form, "csrf": csrf, "actor": "eve"})
    assert res.status_code == 403
    res = client.post(f"/names/{SLUG}/undo", data={"decision": 1, "version": version})
    assert res.status_code == 403
    assert history(connect(db)) == []
    # a GET never changes anything
    assert client.get(f"/names/{SLUG}/decide").status_code == 405
    assert decide(client, **form, csrf=csrf).status_code == 303


def test_login_required_with_token(db: str) -> None:
    client = TestClient(create_app(db, token="s3cret"), follow_redirects=False)
    res = client.get(f"/names/{SLUG}")
    assert res.status_code == 303 and res.headers["location"].startswith("/login")
    login = client.get("/login")
    assert login.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)  # type: ignore[union-attr]
    res = client.post(
        f"/names/{SLUG}/decide",
        data={
            "action": "not_person",
            "m": ["W19-3201#1"],
            "version": 0,
            "csrf": csrf,
            "actor": "eve",
        },
    )
    assert res.status_code == 401
    res = client.post("/login", data={"name": "eve", "password": "wrong", "csrf": csrf})
    assert res.status_code == 401
    assert client.get("/").status_code == 303
    res = client.post(
        "/login",
        data={"name": "Carol M.", "password": "s3cret", "csrf": csrf, "next": f"/names/{SLUG}"},
    )
    assert res.status_code == 303 and res.headers["location"] == f"/names/{SLUG}"
    html, csrf, version = open_name(client)
    assert "Carol M." in html
    # the actor comes from the login, not from a form field
    res = client.post(
        f"/names/{SLUG}/decide",
        data={
            "action": "not_person",
            "m": ["W19-3201#1"],
            "version": version,
            "csrf": csrf,
            "actor": "mallory",
        },
    )
    assert res.status_code == 303
    assert [d.actor for d in history(connect(db), SLUG)] == ["Carol M."]
    # open redirects are not followed
    res = client.post(
        "/login", data={"name": "x", "password": "s3cret", "csrf": csrf, "next": "//evil.example/"}
    )
    assert res.headers["location"] == "/"


def test_security_headers_and_cookie(client: TestClient) -> None:
    res = client.get("/")
    assert "default-src 'self'" in res.headers["content-security-policy"]
    cookie = res.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


# --- queued author-page requests (byline intake --queue) ----------------------------------

REQUESTS = Path(__file__).parent / "fixtures" / "intake" / "2025-11"
FENWICK_A = {"2024.acl-long.1", "2024.acl-long.3", "2024.acl-short.1", "P19-1001", "W19-3201"}


def queue(db: str, *files: str) -> str:
    from typer.testing import CliRunner

    from byline.cli import app

    res = CliRunner().invoke(app, ["intake", *[str(REQUESTS / f) for f in files], "--db", db,
                                   "--queue"])  # fmt: skip
    assert res.exit_code == 0, res.output
    return " ".join(res.stderr.split())


def pending(db: str):  # type: ignore[no-untyped-def]
    from byline.store.intake_queue import queued_requests

    return queued_requests(connect(db))


def request_form(client: TestClient, request_id: int, action: str, **form: object):  # type: ignore[no-untyped-def]
    return client.post(f"/requests/{request_id}/{action}", data={"actor": "ann", **form})


def test_a_queued_request_is_shown_and_accepted_in_one_click(db: str, client: TestClient) -> None:
    out = queue(db, "fenwick-edinburgh.md")
    assert "1 requests queued for the review page (#1)" in out
    assert history(connect(db)) == []  # queueing decides nothing
    (q,) = pending(db)
    assert q.slugs == (SLUG,) and q.versions == {SLUG: 0}
    assert "Author-page requests waiting (1)" in client.get("/").text
    html, csrf, version = open_name(client)
    assert 'data-request="1"' in html and "fenwick-edinburgh.md" in html
    assert "the existing person <code>jiarui-fenwick-edinburgh</code>" in html
    assert "this page holds 2 people; 5 of its 8 papers are yours" in html  # a reason
    assert "Thank you for your request" in html  # the reply to post
    assert 'action="/requests/1/accept"' in html
    assert request_form(client, 1, "accept", slug=SLUG).status_code == 403  # no CSRF token
    assert history(connect(db)) == []
    res = request_form(client, 1, "accept", slug=SLUG, csrf=csrf)
    assert res.status_code == 303 and res.headers["location"].startswith(f"/names/{SLUG}?saved=")
    store = connect(db)
    (d,) = active_decisions(store)
    assert (d.kind, d.person, d.actor) == ("assign", EDINBURGH, "ann")
    assert "byline intake" in d.note and "fenwick-edinburgh.md" in d.note
    assert {m.split("#")[0] for m in d.mention_ids} == FENWICK_A
    assert pending(db) == []
    from byline.store.intake_queue import RequestStatus, get_request

    done = get_request(store, 1)
    assert done.status == RequestStatus.ACCEPTED and done.closed_by == "ann"
    assert done.decision_ids == (d.id,)
    html, csrf, _ = open_name(client)
    assert 'data-request="1"' not in html
    groups = page_agrees_with_a_fresh_engine(html, db)
    assert {m.split("#")[0] for m in groups[EDINBURGH]} == FENWICK_A
    res = request_form(client, 1, "accept", slug=SLUG, csrf=csrf)  # twice: refused
    assert res.status_code == 400 and "accepted already" in res.text
    assert len(history(store)) == 1


def test_a_stale_request_is_refused_and_can_be_closed(db: str, client: TestClient) -> None:
    queue(db, "fenwick-edinburgh.md")
    html, csrf, version = open_name(client)
    res = decide(client, action="not_person", m=["W19-3201#1"], csrf=csrf, version=version,
                 person=EDINBURGH)  # fmt: skip
    assert res.status_code == 303
    n = len(history(connect(db)))
    html, csrf, _ = open_name(client)
    assert "changed since this proposal" in html and 'action="/requests/1/accept"' not in html
    res = request_form(client, 1, "accept", slug=SLUG, csrf=csrf)
    assert res.status_code == 409  # a decision made since would be overridden
    assert len(history(connect(db))) == n and len(pending(db)) == 1
    res = request_form(client, 1, "close", slug=SLUG, csrf=csrf)
    assert res.status_code == 303 and res.headers["location"] == f"/names/{SLUG}?closed=1"
    html = client.get(res.headers["location"]).text
    assert "Request #1 closed" in html and 'data-request="1"' not in html
    assert pending(db) == [] and len(history(connect(db))) == n


def test_edit_opens_the_page_with_the_proposal_selected(db: str, client: TestClient) -> None:
    queue(db, "fenwick-edinburgh.md", "achterberg.md")
    (a, b) = pending(db)
    html = client.get(f"/names/{SLUG}", params={"request": a.id}).text
    ticked = set(re.findall(r'name="m" value="([^"]+)" form="sel"[^>]* checked', html))
    assert {m.split("#")[0] for m in ticked} == FENWICK_A and ticked == set(a.requester[
        "mention_ids"])  # fmt: skip
    assert f'<option value="{EDINBURGH}" selected>' in html  # the existing person, picked
    assert f"Editing request #{a.id}" in html
    # a new person: its name is filled in
    html = client.get("/names/gordon-achterberg", params={"request": b.id}).text
    assert 'value="Gordon">' in html and 'value="Achterberg">' in html
    assert client.get(f"/names/{SLUG}", params={"request": b.id}).status_code == 400
    # queueing a request again replaces its pending proposal
    queue(db, "achterberg.md")
    assert [q.request for q in pending(db)] == [a.request, b.request]
    assert [q.id for q in pending(db)] == [a.id, b.id + 1]


def test_accept_is_all_or_nothing(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The request is marked accepted in the transaction of its decisions: if that fails,
    no decision stays either."""
    from byline.errors import BylineError
    from byline.store import intake_queue

    queue(db, "fenwick-edinburgh.md")

    def broken(*args: object, **kw: object) -> None:
        raise BylineError("disk on fire")

    monkeypatch.setattr(intake_queue, "_close", broken)
    store = connect(db)
    with pytest.raises(BylineError, match="disk on fire"):
        intake_queue.accept_request(store, 1, actor="ann")
    assert history(store) == [] and name_version(store, SLUG) == 0
    assert len(pending(db)) == 1


def test_queue_and_record_are_exclusive(db: str) -> None:
    from typer.testing import CliRunner

    from byline.cli import app

    res = CliRunner().invoke(app, ["intake", str(REQUESTS / "achterberg.md"), "--db", db,
                                   "--queue", "--record"])  # fmt: skip
    assert res.exit_code == 2 and "give one of them" in " ".join(res.output.split())
    assert pending(db) == [] and history(connect(db)) == []
