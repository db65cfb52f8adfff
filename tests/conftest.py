"""Shared test fixtures: paths to the hand-written Anthology fixtures and tarballs of them."""

from __future__ import annotations

import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def make_tarball(tmp_path: Path) -> Callable[[str | Path], Path]:
    """``make_tarball("anthology-2025-11")`` -> a .tar.gz (in tmp_path) holding its ``data/``.

    Also takes a path to any folder that has a ``data/`` subfolder.
    """

    def build(name: str | Path) -> Path:
        root = FIXTURES / name if isinstance(name, str) else name
        out = tmp_path / f"{root.name}.tar.gz"
        with tarfile.open(out, "w:gz") as tar:
            tar.add(root / "data", arcname="data")
        return out

    return build
