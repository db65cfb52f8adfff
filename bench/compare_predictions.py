"""How two prediction files (`split --all --out`) differ: persons, keys, confidences.

    .venv/bin/python bench/compare_predictions.py A.jsonl B.jsonl [--out FILE.json]

Persons are compared as partitions of each name's mentions, whatever their keys (a store's
keys carry its earlier runs' history, so two stores can name the same person differently);
keys and confidences are compared mention by mention.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from results_io import write_result


def _read(path: Path) -> dict[str, tuple[str, float]]:
    rows = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            rows[r["mention_id"]] = (r["person"], r["confidence"])
    return rows


def _partitions(rows: dict[str, tuple[str, float]]) -> dict[str, set[frozenset[str]]]:
    by_person: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for mention, (person, _conf) in rows.items():
        by_person[person.split("/")[0]][person].add(mention)
    return {name: {frozenset(m) for m in persons.values()} for name, persons in by_person.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    a, b = _read(args.a), _read(args.b)
    pa, pb = _partitions(a), _partitions(b)
    differing = sorted(name for name in pa.keys() | pb.keys() if pa.get(name) != pb.get(name))
    result = {
        "a": str(args.a),
        "b": str(args.b),
        "mentions": [len(a), len(b)],
        "mentions_in_one_only": len(a.keys() ^ b.keys()),
        "names": len(pa.keys() | pb.keys()),
        "names_with_other_persons": len(differing),
        "examples": differing[:20],
        "keys_differing": sum(1 for m in a.keys() & b.keys() if a[m][0] != b[m][0]),
        "confidences_differing": sum(1 for m in a.keys() & b.keys() if a[m][1] != b[m][1]),
    }
    if args.out:
        write_result(args.out, result)
    else:
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
