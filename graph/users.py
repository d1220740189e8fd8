"""Neo4j users for people who query the graph directly (analysts with cypher-shell).

Neo4j Community has native users (authentication) but no role-based privileges: every
user it knows may read and write everything. What it does enforce is the access mode a
client declares: a transaction opened in READ mode (``cypher-shell --access-mode read``,
Neo4j Browser's read-only connections, a driver session with ``default_access_mode=READ``)
is refused any write. Enterprise can make the user truly read-only, and
``create_reader`` grants the built-in ``reader`` role there.
"""

from __future__ import annotations

import re
import secrets

import neo4j

from graph.errors import C360Error

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


class UserExists(C360Error):
    """A Neo4j user of that name exists already."""


def edition(driver: neo4j.Driver) -> str:
    rows, _, _ = driver.execute_query(
        "CALL dbms.components() YIELD edition RETURN edition", database_="system"
    )
    return str(rows[0]["edition"])


def create_reader(driver: neo4j.Driver, name: str) -> tuple[str, bool]:
    """Create user ``name`` with a random password; returns the password and whether the
    server itself enforces read-only (Enterprise: the ``reader`` role)."""
    if not _NAME.match(name):
        raise C360Error("a user name is a letter, then up to 63 letters, digits or _")
    rows, _, _ = driver.execute_query(
        "SHOW USERS YIELD user WHERE user = $name RETURN user",
        name=name,
        database_="system",
    )
    if rows:
        raise UserExists(f"Neo4j user {name} exists already")
    password = secrets.token_urlsafe(18)
    # User names cannot be parameters in administration commands; the name is checked
    # above (letters, digits, _), the password is a parameter.
    driver.execute_query(
        f"CREATE USER {name} SET PASSWORD $password CHANGE NOT REQUIRED",  # checked name
        password=password,
        database_="system",
    )
    enforced = edition(driver) == "enterprise"
    if enforced:
        driver.execute_query(
            f"GRANT ROLE reader TO {name}",  # checked name
            database_="system",
        )
    return password, enforced
