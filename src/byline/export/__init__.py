"""Export: the maintainers' decisions written as the Anthology's own change.

``id=`` attributes on the affected ``<author>`` elements (byte-minimal edits) and the person
entries of the registry, in the layout of the input (``json/people.json``,
``yaml/people.yaml`` or ``yaml/name_variants.yaml``); as a changed copy of ``data/`` or as a
unified diff for a pull request.
"""

from byline.export.changes import ChangeSet, NewPerson, PersonUpdate, changes_from_decisions
from byline.export.patch import unified_patch, write_copy
from byline.export.plan import ExportResult, build_export

__all__ = [
    "ChangeSet",
    "ExportResult",
    "NewPerson",
    "PersonUpdate",
    "build_export",
    "changes_from_decisions",
    "unified_patch",
    "write_copy",
]
