"""The base of every error the CLI reports as one line, and the ontology's own errors.

``C360Error`` lives in ``ontology`` because every other package may depend on ``ontology`` and
on nothing else of ours: ``linkage`` and ``graph`` raise it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class C360Error(Exception):
    """An expected failure with a message a person can act on; ``exit_code`` 2 = fix your input."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OntologyError(C360Error):
    """The ontology cannot be used as it is; the message lists every problem."""

    exit_code = 2


class OntologyParseError(OntologyError):
    """The Turtle does not parse: file, line and column of the first syntax error."""

    def __init__(
        self, path: Path, line: int | None, column: int | None, why: str
    ) -> None:
        where = f"{path}:{line}:{column}" if line is not None else str(path)
        super().__init__(f"{where}: Turtle syntax error: {why}")
        self.path, self.line, self.column, self.why = path, line, column, why


@dataclass(frozen=True)
class OntologyProblem:
    """One thing wrong with the ontology: the term, the line that defines it, and what."""

    term: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.term}: {self.message}"
