"""The review page on the real library: timings (bench/results/web.json) and screenshots
(docs/screenshots/) taken with Debian's Chromium through Playwright.

    cp /tmp/st.sqlite /tmp/web.sqlite   # a COPY: this script records one decision in it
    .venv/bin/python bench/screenshots.py --db sqlite:////tmp/web.sqlite

Timings are wall-clock seconds of HTTP requests to uvicorn serving `create_app` in this
process (the same as `byline serve`), on this machine's 2 cores.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import threading
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, help="store URL (a copy: a decision is recorded)")
    ap.add_argument("--name", default="jian-cheng", help="name page to screenshot")
    ap.add_argument("--big", default="yang-liu", help="big name to time")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "web.json"))
    ap.add_argument("--shots", default=str(ROOT / "docs" / "screenshots"))
    args = ap.parse_args()

    import uvicorn
    from playwright.sync_api import sync_playwright

    from byline.web.app import create_app

    t0 = time.perf_counter()
    app = create_app(args.db)
    startup = time.perf_counter() - t0
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=args.port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{args.port}"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(path: str) -> tuple[float, str]:
        t = time.perf_counter()
        with opener.open(base + path) as res:
            body = res.read().decode()
        return round(time.perf_counter() - t, 3), body

    def post(path: str, form: dict[str, object]) -> float:
        data = urllib.parse.urlencode(form, doseq=True).encode()
        t = time.perf_counter()
        with opener.open(base + path, data=data) as res:
            res.read()
        return round(time.perf_counter() - t, 3)

    timings: dict[str, float] = {"startup_seconds": round(startup, 1)}
    timings["queue"], _ = get("/")
    timings["search_fuzzy"], _ = get("/?q=" + urllib.parse.quote("yang lui"))
    timings[f"{args.big}_first"], html = get(f"/names/{args.big}")
    timings[f"{args.big}_again"], _ = get(f"/names/{args.big}")
    persons = re.findall(r'data-person="([^"]+)"', html)
    mentions = len(re.findall(r'type="checkbox" name="m"', html))
    # a decision on the big name: one stored confirm, then the name is split again
    csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    version = re.search(r'name="version" value="(\d+)"', html).group(1)  # type: ignore[union-attr]
    section = html.split(f'data-person="{persons[-1]}"')[1].split("</section>")[0]
    last = re.findall(r'type="checkbox" name="m" value="([^"]+)"', section)
    timings[f"{args.big}_decision"] = post(
        f"/names/{args.big}/decide",
        {
            "action": "confirm",
            "person": persons[-1],
            "m": last,
            "csrf": csrf,
            "version": version,
            "actor": "bench",
        },
    )
    timings[f"{args.big}_after_decision"], _ = get(f"/names/{args.big}")

    shots = Path(args.shots)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=args.chromium, headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 860})
        page.goto(base + "/")
        page.screenshot(path=str(shots / "queue.png"))
        page.goto(f"{base}/names/{args.name}")
        first = page.locator("section.person").first
        # the first decision of a session asks for the maintainer's name (remembered after)
        first.locator('input[name="actor"]').first.fill("Ana Maintainer")
        first.locator('button[value="confirm"]').click()
        page.wait_for_url("**saved=*")
        page.set_viewport_size({"width": 1500, "height": 1000})
        page.screenshot(path=str(shots / "name-page.png"), full_page=True)
        browser.close()
    server.should_exit = True

    out = {
        "db": args.db,
        "machine": f"{platform.node()} ({platform.machine()}), 2 shared cores",
        "big_name": {"slug": args.big, "mentions": mentions, "persons": len(persons)},
        "seconds": timings,
        "screenshots": sorted(str(p.relative_to(ROOT)) for p in shots.glob("*.png")),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
