"""What every bench does last: write its figures as JSON (folders made) and print them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_result(out: str | Path, result: dict[str, Any]) -> None:
    """Write ``result`` to ``out`` as indented JSON and print the same text."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2)
    path.write_text(text + "\n")
    print(text)
