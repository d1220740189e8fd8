"""Errors of the graph layer, each with a message a person can act on.

C360Error                 (api/errors re-exports it; the CLI prints ``message`` on one line)
├── Neo4jSetupError       JDK, Maven, jars, port or start-up problems of the managed server
├── Neo4jUnavailable      no server answers at the URI
└── Neo4jAuthError        the server refused the user or password
"""

from __future__ import annotations


class C360Error(Exception):
    """Base of every error the CLI reports as one line; ``exit_code`` 2 = fix your input."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Neo4jSetupError(C360Error):
    """The managed Neo4j could not be provisioned or started."""

    exit_code = 2


class Neo4jUnavailable(C360Error):
    """Nothing answers Bolt at the configured URI."""


class Neo4jAuthError(C360Error):
    """Neo4j refused the credentials."""

    exit_code = 2
