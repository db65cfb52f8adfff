"""Sources: readers that turn a library's files into typed records."""

from byline.sources.anthology import Library, read_anthology
from byline.sources.records import Mention, Name, Paper, Person

__all__ = ["Library", "Mention", "Name", "Paper", "Person", "read_anthology"]
