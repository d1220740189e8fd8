"""Reading the project's TOML files (sources, linkage settings, generator config) with one clear error."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from ontology.errors import C360Error


def read(path: Path, error: type[C360Error], what: str) -> dict[str, Any]:
    """The parsed file, or ``error`` naming the file and what is wrong with it."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{path} is not valid TOML: {exc}") from exc
