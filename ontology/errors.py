"""The base of every error the CLI reports as one line.

It lives in ``ontology`` because every other package may depend on ``ontology`` and on
nothing else of ours: ``linkage`` and ``graph`` raise it without importing each other.
"""

from __future__ import annotations


class C360Error(Exception):
    """An expected failure with a message a person can act on; ``exit_code`` 2 = fix your input."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
