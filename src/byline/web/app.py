"""`byline serve`: the review page, a FastAPI app rendering Jinja2 templates on the server.

Every state-changing request is a POST carrying the session's CSRF token and the name's
version; decisions go through :mod:`byline.store.intents` (one transaction per action) and
nothing else is written.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import FastAPI, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader

from byline.engine import Engine
from byline.engine.confidence import LOW_CONFIDENCE
from byline.errors import BylineError
from byline.store.decisions import StaleVersion
from byline.tasks.split import UnknownName
from byline.web.review import UNSURE, BadRequest, Review
from byline.web.security import COOKIE, Session, Signer, new_session, token_ok

HERE = Path(__file__).parent
PUBLIC = ("/login", "/static/")
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _templates() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
    env.filters["conf_class"] = lambda c: (
        "low" if c < LOW_CONFIDENCE else ("unsure" if c < UNSURE else "")
    )
    env.filters["q"] = lambda s: quote(str(s), safe="")
    return env


def create_app(
    db_url: str | None = None,
    token: str | None = None,
    *,
    model_path: str | Path | None = None,
    engine: Engine | None = None,
    secret: bytes | None = None,
) -> FastAPI:
    """The review app over the store at ``db_url``; the engine is loaded once, here.

    ``token``: when given, maintainers log in with it (and their name) before anything.
    ``engine``: an already loaded :class:`Engine` (tests), instead of ``load_engine``.
    """
    if engine is None:
        from byline.engine import load_engine

        engine = load_engine(db_url, model_path)
    t0 = time.perf_counter()
    review = Review(engine)
    signer = Signer(secret)
    env = _templates()
    app = FastAPI(title="byline review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.review = review
    app.state.startup_seconds = round(time.perf_counter() - t0, 1)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        session: Session = request.state.session
        html = env.get_template(template).render(
            csrf=signer.csrf(session),
            session=session,
            login_required=bool(token),
            model_version=review.model_version,
            **ctx,
        )
        return HTMLResponse(html, status_code=status)

    @app.middleware("http")
    async def sessions(request: Request, call_next):  # type: ignore[no-untyped-def]
        session = signer.loads(request.cookies.get(COOKIE))
        fresh = session is None
        request.state.session = session or new_session()
        request.state.session_changed = fresh
        path = request.url.path
        if token and not request.state.session.auth and not path.startswith(PUBLIC):
            if request.method in ("GET", "HEAD"):
                target = path + (f"?{request.url.query}" if request.url.query else "")
                response: Response = RedirectResponse(f"/login?next={quote(target)}", 303)
            else:
                response = render(
                    request,
                    "error.html",
                    401,
                    title="Log in first",
                    message="This review page needs a login; nothing was saved.",
                )
        else:
            response = await call_next(request)
        if request.state.session_changed:
            response.set_cookie(
                COOKIE,
                signer.dumps(request.state.session),
                httponly=True,
                samesite="strict",
                secure=request.url.scheme == "https",
            )
        for k, v in HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    def require_csrf(request: Request, csrf: str | None) -> Session:
        session: Session = request.state.session
        if request.state.session_changed or not signer.check_csrf(session, csrf):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
        return session

    def actor_of(request: Request, given: str) -> str:
        session: Session = request.state.session
        if token:
            return session.actor
        given = given.strip()[:100]
        if given and given != session.actor:
            session.actor = given
            request.state.session_changed = True
        return given

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):  # type: ignore[no-untyped-def]
        titles = {403: "Refused", 404: "Not found", 400: "Cannot do that"}
        return render(
            request,
            "error.html",
            exc.status_code,
            title=titles.get(exc.status_code, "Error"),
            message=str(exc.detail),
        )

    @app.exception_handler(StaleVersion)
    async def stale(request: Request, exc: StaleVersion):  # type: ignore[no-untyped-def]
        return render(
            request,
            "stale.html",
            409,
            slug=exc.slug,
            name=review.names.get(exc.slug, exc.slug),
            exc=exc,
            changes=exc.changes,
        )

    @app.exception_handler(BadRequest)
    async def bad(request: Request, exc: BadRequest):  # type: ignore[no-untyped-def]
        return render(
            request,
            "error.html",
            400,
            title="Cannot do that",
            message=str(exc),
            back=request.headers.get("referer"),
        )

    @app.exception_handler(BylineError)
    async def byline_error(request: Request, exc: BylineError):  # type: ignore[no-untyped-def]
        return render(request, "error.html", 400, title="Cannot do that", message=str(exc))

    # --- pages ------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request, q: str = "", page: int = 0) -> Response:
        exact, hits = review.search(q)
        if exact:
            return RedirectResponse(f"/names/{exact}", 303)
        page_no = max(0, page)
        rows, total = review.queue_page(page_no)
        return render(
            request,
            "home.html",
            q=q,
            hits=hits,
            rows=rows,
            total=total,
            page_no=page_no,
            queue_source=review.queue_source,
            size=50,
            requests=review.pending_requests(),
        )

    @app.get("/names/{slug}", response_class=HTMLResponse)
    def name_page(
        request: Request,
        slug: str,
        saved: str = "",
        closed: int | None = None,
        edit: Annotated[int | None, Query(alias="request")] = None,
    ) -> Response:
        try:
            real = review.slug_of(slug)
        except UnknownName as exc:
            return render(
                request,
                "error.html",
                404,
                title="No such name",
                message=str(exc),
                suggestions=review.search(slug)[1][:8],
            )
        if real != slug:
            return RedirectResponse(f"/names/{real}", 303)
        view = review.view(slug, editing=edit)
        shown = [f"#{x}" for x in saved.split(",") if x.isdigit()][:10]
        return render(
            request,
            "name.html",
            v=view,
            saved=", ".join(shown),
            closed=closed,
            LOW=LOW_CONFIDENCE,
        )

    @app.post("/names/{slug}/decide")
    def decide(
        request: Request,
        slug: str,
        action: Annotated[str, Form()],
        version: Annotated[int, Form()],
        csrf: Annotated[str | None, Form()] = None,
        m: Annotated[list[str] | None, Form()] = None,
        person: Annotated[str | None, Form()] = None,
        first: Annotated[str, Form()] = "",
        last: Annotated[str, Form()] = "",
        actor: Annotated[str, Form()] = "",
        note: Annotated[str, Form()] = "",
    ) -> Response:
        require_csrf(request, csrf)
        if slug not in review.corpus.blocks:
            raise HTTPException(404, f"no author named {slug!r}")
        done = review.decide(
            slug,
            action=action,
            mention_ids=m or [],
            version=version,
            actor=actor_of(request, actor),
            person=person,
            display_name=(first, last),
            note=note,
        )
        saved = ",".join(str(d.id) for d in done)
        return RedirectResponse(f"/names/{slug}?saved={saved}", 303)

    @app.post("/names/{slug}/undo")
    def undo(
        request: Request,
        slug: str,
        decision: Annotated[int, Form()],
        version: Annotated[int, Form()],
        csrf: Annotated[str | None, Form()] = None,
        actor: Annotated[str, Form()] = "",
    ) -> Response:
        require_csrf(request, csrf)
        if slug not in review.corpus.blocks:
            raise HTTPException(404, f"no author named {slug!r}")
        d = review.undo(slug, decision, version=version, actor=actor_of(request, actor))
        return RedirectResponse(f"/names/{slug}?saved={d.id}", 303)

    # --- queued author-page requests (byline intake --queue) --------------------------------

    def back_to(slug: str, fallback: str) -> str:
        return slug if slug in review.corpus.blocks else fallback

    @app.post("/requests/{request_id}/accept")
    def accept_request(
        request: Request,
        request_id: int,
        csrf: Annotated[str | None, Form()] = None,
        slug: Annotated[str, Form()] = "",
        actor: Annotated[str, Form()] = "",
    ) -> Response:
        require_csrf(request, csrf)
        done = review.accept_request(request_id, actor=actor_of(request, actor))
        saved = ",".join(str(d.id) for d in done)
        return RedirectResponse(f"/names/{back_to(slug, done[0].slug)}?saved={saved}", 303)

    @app.post("/requests/{request_id}/close")
    def close_request(
        request: Request,
        request_id: int,
        csrf: Annotated[str | None, Form()] = None,
        slug: Annotated[str, Form()] = "",
        actor: Annotated[str, Form()] = "",
    ) -> Response:
        require_csrf(request, csrf)
        q = review.close_request(request_id, actor=actor_of(request, actor))
        return RedirectResponse(f"/names/{back_to(slug, q.slugs[0])}?closed={q.id}", 303)

    # --- login ------------------------------------------------------------------------------

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> Response:
        return render(request, "login.html", next=_local(next), failed=False)

    @app.post("/login")
    def login(
        request: Request,
        name: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        csrf: Annotated[str | None, Form()] = None,
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        require_csrf(request, csrf)
        if not token:
            return RedirectResponse(_local(next), 303)
        if not token_ok(token, password) or not name.strip():
            return render(request, "login.html", 401, next=_local(next), failed=True)
        request.state.session = new_session(name.strip()[:100], auth=True)
        request.state.session_changed = True
        return RedirectResponse(_local(next), 303)

    @app.post("/logout")
    def logout(request: Request, csrf: Annotated[str | None, Form()] = None) -> Response:
        require_csrf(request, csrf)
        request.state.session = new_session()
        request.state.session_changed = True
        return RedirectResponse("/login" if token else "/", 303)

    return app


def _local(target: str) -> str:
    """Only same-site paths as redirect targets (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"
