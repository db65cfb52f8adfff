"""Write an export: a unified diff for a pull request, or a changed copy of ``data/``."""

from __future__ import annotations

import difflib
import shutil
import tarfile
from pathlib import Path

from byline.errors import BylineError
from byline.export.plan import ExportResult


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8").splitlines(keepends=True)


def _file_diff(rel: str, old: bytes, new: bytes, context: int = 3) -> str:
    a, b = _lines(old), _lines(new)
    out = []
    for line in difflib.unified_diff(
        a, b, fromfile=f"a/data/{rel}", tofile=f"b/data/{rel}", n=context
    ):
        if line.endswith("\n"):
            out.append(line)
        else:  # the file's last line has no newline: say so, as diff does
            out.append(line + "\n\\ No newline at end of file\n")
    if not out:
        return ""
    return f"diff --git a/data/{rel} b/data/{rel}\n" + "".join(out)


def unified_patch(result: ExportResult, context: int = 3) -> str:
    """One unified diff of every changed file, paths ``a/data/...`` / ``b/data/...``.

    It applies with ``git apply`` or ``patch -p1`` at the root of an Anthology checkout.
    """
    return "".join(_file_diff(rel, o, n, context) for rel, (o, n) in sorted(result.files.items()))


def write_copy(result: ExportResult, to_dir: str | Path) -> Path:
    """Write a changed copy of the data folder to ``to_dir/data``; returns that folder.

    ``to_dir`` must not hold a ``data/`` folder yet: nothing is overwritten.
    """
    dest = Path(to_dir) / "data"
    if dest.exists():
        raise BylineError(f"{dest} exists already; pass an empty or new folder to --to")
    src = result.data_path
    tmp = Path(to_dir) / ".data.partial"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    try:
        if src.is_dir():
            root = src / "data" if (src / "data").is_dir() else src
            shutil.copytree(root, tmp)
        else:
            tmp.mkdir()
            with tarfile.open(src, "r:*") as tar:
                for m in tar.getmembers():
                    parts = m.name.lstrip("./").split("/")
                    rel = "/".join(parts[1:]) if parts[0] == "data" else "/".join(parts)
                    if not m.isfile() or not rel or ".." in rel.split("/"):
                        continue
                    target = tmp / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    fh = tar.extractfile(m)
                    assert fh is not None
                    target.write_bytes(fh.read())
        for rel, (_, new) in result.files.items():
            (tmp / rel).write_bytes(new)
        tmp.rename(dest)
    except OSError as exc:
        raise BylineError(f"cannot write {dest}: {exc}") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest
