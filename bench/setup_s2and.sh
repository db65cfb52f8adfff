#!/usr/bin/env bash
# Create .venv-s2and (repo root) with Semantic Scholar's S2AND 0.51.2 and the pinned
# dependencies of bench/s2and_requirements.txt, for bench/s2and_peer.py.
# Idempotent: does nothing when the venv already has the pinned s2and and imports it.
# Usage: bash bench/setup_s2and.sh [--force]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-s2and"
REQS="$ROOT/bench/s2and_requirements.txt"
PYTHON="${S2AND_PYTHON:-python3.11}"
WANT="0.51.2"

check() {
    [ -x "$VENV/bin/python" ] || return 1
    S2AND_SKIP_FASTTEXT=1 "$VENV/bin/python" - "$WANT" <<'PY' >/dev/null 2>&1
import sys
from importlib.metadata import version
assert version("s2and") == sys.argv[1], version("s2and")
import numpy, sklearn, lightgbm
assert numpy.__version__.startswith("1."), numpy.__version__
from s2and.data import ANDData  # noqa: F401
from s2and.model import Clusterer  # noqa: F401
from s2and.consts import _PACKAGE_DATA_DIR
import os
assert os.path.exists(os.path.join(_PACKAGE_DATA_DIR, "production_model_v1.1.pickle"))
PY
}

if [ "${1:-}" != "--force" ] && check; then
    echo "setup_s2and: $VENV already has s2and==$WANT, nothing to do"
    exit 0
fi

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "setup_s2and: $PYTHON not found (S2AND needs Python 3.11; set S2AND_PYTHON)" >&2
    exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup_s2and: creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
fi
echo "setup_s2and: installing pinned packages (--no-deps) from $REQS"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$REQS"

if check; then
    echo "setup_s2and: ok ($("$VENV/bin/python" -c 'import s2and, importlib.metadata as m; print("s2and", m.version("s2and"))'))"
else
    echo "setup_s2and: s2and does not import in $VENV; run the check by hand:" >&2
    echo "  S2AND_SKIP_FASTTEXT=1 $VENV/bin/python -c 'from s2and.model import Clusterer'" >&2
    exit 1
fi
