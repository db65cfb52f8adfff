"""A synthetic library of ``--factor`` times the ingested one, for the scaling benchmark.

    .venv/bin/python bench/synthetic_library.py --factor 2 [--db URL]
        [--out bench/work/synth-2/byline.sqlite] [--keep 0.5] [--seed 13]

Writes a new SQLite store (the given one is only read): the library itself, then
``factor - 1`` copies of every paper. Copy ``k`` of a paper has the id ``<id>~k`` and the
same title, abstract, year and venues; its authors are perturbed name by name, the same way
throughout the copy, so that co-author lists are copied with perturbed names: a name keeps
its spelling with probability ``--keep`` (its block grows by what is, here, another person
of the same name), else takes a given name drawn from the library's (weighted by use: a
common one is likely, so the new name often falls into an existing block too). Copies carry
no ``id=``, ORCID iD or OpenReview id (no gold) and keep the affiliations. The persons and
the title-embedding cache are copied, so a split of the synthetic library embeds nothing
(copied titles hit the cache); the library statistics are built and cached at the end, so
that every timed run starts warm.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import time
from collections import Counter
from pathlib import Path

import numpy as np

from byline.names import name_slug


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="sqlite:///.byline/byline.sqlite")
    ap.add_argument("--factor", type=int, default=2)
    ap.add_argument("--out", default=None)
    ap.add_argument("--keep", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=13)
    a = ap.parse_args()
    if not a.db.startswith("sqlite:///"):
        raise SystemExit("--db: a SQLite store (sqlite:///PATH)")
    src = Path(a.db.removeprefix("sqlite:///")).resolve()
    out = Path(a.out or f"bench/work/synth-{a.factor}/byline.sqlite")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    t0 = time.perf_counter()
    from byline.store import connect

    connect(f"sqlite:///{out}", create=True)  # the schema, at the current revision
    con = sqlite3.connect(out)
    con.execute("ATTACH DATABASE ? AS src", (f"file:{src}?mode=ro",))
    for table in ("papers", "mentions", "persons", "embeddings", "source_files", "name_versions"):
        con.execute(f"INSERT INTO main.{table} SELECT * FROM src.{table}")  # noqa: S608
    papers = con.execute("SELECT * FROM src.papers").fetchall()
    p_cols = [d[0] for d in con.execute("SELECT * FROM src.papers LIMIT 0").description]
    mentions = con.execute(
        "SELECT paper_id, position, first, last, affiliation, variant FROM src.mentions"
    ).fetchall()
    firsts = Counter(m[2] for m in mentions)
    pool = sorted(firsts)
    weight = np.array([firsts[f] for f in pool], dtype=np.float64)
    weight /= weight.sum()
    names = sorted({(m[2], m[3]) for m in mentions})
    pid_col = p_cols.index("paper_id")
    n_papers = n_mentions = 0
    for k in range(1, a.factor):
        seed = int(hashlib.sha1(f"{a.seed}:{k}".encode()).hexdigest()[:8], 16)
        rng = np.random.default_rng(seed)
        keep = rng.random(len(names)) < a.keep
        drawn = rng.choice(len(pool), size=len(names), p=weight)
        renamed = {
            nm: nm if kept else (pool[d], nm[1])
            for nm, kept, d in zip(names, keep.tolist(), drawn.tolist(), strict=True)
        }
        rows = []
        for p in papers:
            row = list(p)
            row[pid_col] = f"{p[pid_col]}~{k}"
            rows.append(row)
        con.executemany(
            f"INSERT INTO main.papers ({', '.join(p_cols)}) VALUES "  # noqa: S608
            f"({', '.join('?' * len(p_cols))})",
            rows,
        )
        m_rows = []
        for pid, pos, first, last, aff, variant in mentions:
            f, la = renamed[(first, last)]
            new_pid = f"{pid}~{k}"
            m_rows.append((f"{new_pid}#{pos}", new_pid, pos, f, la, name_slug(f, la), aff, variant))
        con.executemany(
            "INSERT INTO main.mentions (mention_id, paper_id, position, first, last, slug, "
            "affiliation, variant) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            m_rows,
        )
        n_papers += len(rows)
        n_mentions += len(m_rows)
        print(f"copy {k}: {len(rows)} papers, {len(m_rows)} mentions", flush=True)
    con.commit()
    con.execute("DETACH DATABASE src")
    con.close()
    t1 = time.perf_counter()
    from byline.features.stats import library_stats
    from byline.store.corpus import load_corpus

    store = connect(f"sqlite:///{out}", create=False)
    corpus = load_corpus(store)
    library_stats(corpus, store)  # cached: the timed runs start warm
    result = {
        "factor": a.factor,
        "keep": a.keep,
        "seed": a.seed,
        "papers": len(corpus.papers),
        "mentions": sum(len(p.authors) for p in corpus.papers.values()),
        "names": len(corpus.blocks),
        "largest_names": sorted((len(v) for v in corpus.blocks.values()), reverse=True)[:5],
        "copied_papers": n_papers,
        "build_seconds": round(t1 - t0, 1),
        "stats_seconds": round(time.perf_counter() - t1, 1),
        "store": str(out),
    }
    (out.parent / "synthetic.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
