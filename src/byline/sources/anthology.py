"""Read an Anthology ``data/`` folder (or a .tar.gz of one) in any supported layout."""

from __future__ import annotations

import hashlib
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from byline.errors import BylineError, DataError
from byline.sources.anthology_xml import parse_collection
from byline.sources.people import read_name_variants, read_people_json, read_people_yaml
from byline.sources.records import Paper, Person


class Layout(StrEnum):
    """A data layout of the Anthology, named after its person registry file; the value is
    what the store, ``--json`` output and messages call it."""

    PEOPLE_JSON = "2026-json"  # json/people.json, acl-anthology 1.3.x (current)
    PEOPLE_YAML = "2026-yaml"  # yaml/people.yaml, acl-anthology 1.0-1.2 (Jan-Jul 2026)
    NAME_VARIANTS = "2025-11"  # yaml/name_variants.yaml, acl-anthology 0.5.x (until Dec 2025)


# Person registry file per layout, newest first; the first one found decides the layout
# (see ``detect_layout``). Paths are relative to ``data/``.
LAYOUTS: dict[Layout, tuple[str, Callable[[bytes, str], list[Person]]]] = {
    # {id: {names, orcid, comment, degree, similar, ...}}
    Layout.PEOPLE_JSON: ("json/people.json", read_people_json),
    # the same mapping in YAML
    Layout.PEOPLE_YAML: ("yaml/people.yaml", read_people_yaml),
    # list of {canonical, variants, id, comment, ...}
    Layout.NAME_VARIANTS: ("yaml/name_variants.yaml", read_name_variants),
}


@dataclass
class SourceFile:
    """One file of the data folder: path relative to ``data/``, bytes and their hash."""

    path: str
    data: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha1(self.data).hexdigest()


@dataclass
class Library:
    layout: Layout
    papers: list[Paper] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    file_digests: dict[str, str] = field(default_factory=dict)


class _Folder:
    """Uniform access to a data folder or a tarball holding one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():
            raise BylineError(
                f"{path}: no such file or folder; pass an Anthology data/ folder or its .tar.gz"
            )
        self._members: dict[str, tarfile.TarInfo] = {}
        self._tar: tarfile.TarFile | None = None
        if path.is_dir():
            root = path / "data" if (path / "data").is_dir() else path
            self.root: Path | None = root
        else:
            self.root = None
            try:
                self._tar = tarfile.open(path, "r:*")
                for m in self._tar.getmembers():
                    if m.isfile():
                        parts = m.name.lstrip("./").split("/")
                        rel = "/".join(parts[1:]) if parts[0] == "data" else "/".join(parts)
                        self._members[rel] = m
            except (tarfile.TarError, OSError, EOFError) as exc:
                raise BylineError(
                    f"{path}: cannot read this archive ({exc}); expected a .tar.gz of an "
                    "Anthology data/ folder, re-download it"
                ) from None

    def exists(self, rel: str) -> bool:
        if self.root is not None:
            return (self.root / rel).is_file()
        return rel in self._members

    def label(self, rel: str) -> str:
        """How errors name a file: its path, or ``archive.tar.gz/data/<rel>`` in a tarball."""
        if self.root is not None:
            return str(self.root / rel)
        return f"{self.path}/data/{rel}"

    def read(self, rel: str) -> SourceFile:
        if self.root is not None:
            return SourceFile(rel, (self.root / rel).read_bytes())
        assert self._tar is not None
        fh = self._tar.extractfile(self._members[rel])
        assert fh is not None
        try:
            return SourceFile(rel, fh.read())
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BylineError(f"{self.path}: archive is damaged at {rel} ({exc})") from None

    def xml_files(self) -> list[str]:
        if self.root is not None:
            return sorted(f"xml/{p.name}" for p in (self.root / "xml").glob("*.xml"))
        return sorted(r for r in self._members if r.startswith("xml/") and r.endswith(".xml"))

    def close(self) -> None:
        if self._tar is not None:
            self._tar.close()


def detect_layout(folder: _Folder) -> Layout:
    """The layout of a data folder, decided by which person registry file it has.

    A folder may hold the registries of several layouts (e.g. an old checkout updated in
    place, where a stale ``yaml/name_variants.yaml`` is left next to ``yaml/people.yaml``):
    the newest one wins, ``json/people.json`` over ``yaml/people.yaml`` over
    ``yaml/name_variants.yaml``, and only that one is read. A folder with none of them is
    refused with a BylineError.
    """
    for layout, (registry, _) in LAYOUTS.items():
        if folder.exists(registry):
            return layout
    known = ", ".join(f"data/{reg}" for reg, _ in LAYOUTS.values())
    raise BylineError(
        f"{folder.path}: unknown Anthology data layout: none of {known} found; "
        "pass the Anthology's data/ folder (or its .tar.gz), or a newer byline if the "
        "Anthology changed its layout"
    )


def iter_source_files(path: str | Path) -> Iterator[SourceFile]:
    """Yield the registry file first, then every collection XML file (raw bytes)."""
    folder = _Folder(Path(path))
    try:
        layout = detect_layout(folder)
        yield folder.read(LAYOUTS[layout][0])
        for rel in folder.xml_files():
            yield folder.read(rel)
    finally:
        folder.close()


def read_anthology(
    path: str | Path,
    progress: Callable[[int, int], None] | None = None,
    skip: Callable[[SourceFile], bool] | None = None,
) -> Library:
    """Read the whole library. ``skip(file)`` lets a caller skip unchanged files.

    ``progress(done, total)`` is called after each collection file.
    """
    folder = _Folder(Path(path))
    try:
        layout = detect_layout(folder)
        registry, reader = LAYOUTS[layout]
        lib = Library(layout=layout)
        reg = folder.read(registry)
        lib.file_digests[reg.path] = reg.digest
        lib.persons = reader(reg.data, folder.label(reg.path))
        files = folder.xml_files()
        if not files:
            raise DataError(
                str(path),
                "no data/xml/*.xml collection files found; pass the Anthology's whole data/ "
                "folder (or its .tar.gz)",
            )
        for i, rel in enumerate(files):
            src = folder.read(rel)
            lib.file_digests[rel] = src.digest
            if skip is None or not skip(src):
                lib.papers.extend(parse_collection(src.data, rel, folder.label(rel)))
            if progress:
                progress(i + 1, len(files))
        return lib
    finally:
        folder.close()
