"""Errors of the graph layer, each with a message a person can act on.

C360Error                 (ontology.errors; the CLI prints ``message`` on one line)
├── Neo4jSetupError       JDK, Maven, jars, port or start-up problems of the managed server
├── Neo4jUnavailable      no server answers at the URI
└── Neo4jAuthError        the server refused the user or password
"""

from __future__ import annotations

from ontology.errors import C360Error

__all__ = ["C360Error", "Neo4jAuthError", "Neo4jSetupError", "Neo4jUnavailable"]


class Neo4jSetupError(C360Error):
    """The managed Neo4j could not be provisioned or started."""

    exit_code = 2


class Neo4jUnavailable(C360Error):
    """Nothing answers Bolt at the configured URI."""


class Neo4jAuthError(C360Error):
    """Neo4j refused the credentials."""

    exit_code = 2
