"""The Neo4j jars: fetched once with Maven, checked against ``jars.lock``, cached outside the repo.

Why Maven and not our own HTTP client: Maven already knows where the user's repository is
(mirrors, proxies and credentials in ``~/.m2/settings.xml`` are honoured), and the lock file
keeps us honest: every jar must match its committed SHA-256, whatever served it.
The jars are GPL and never committed; only ``pom.xml``, ``jars.lock`` and the launcher are.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from graph.errors import Neo4jSetupError

RUNTIME_DIR = Path(__file__).with_name("neo4j_runtime")
POM = RUNTIME_DIR / "pom.xml"
LOCK = RUNTIME_DIR / "jars.lock"
LAUNCHER = RUNTIME_DIR / "Launcher.java"
MAVEN_ATTEMPTS = 3


@dataclass(frozen=True)
class LockedJar:
    """One line of ``jars.lock``: Maven coordinate, file name, SHA-256."""

    coordinate: str
    file: str
    sha256: str


def neo4j_version() -> str:
    """The Neo4j version the pom pins."""
    match = re.search(r"<neo4j.version>([^<]+)</neo4j.version>", POM.read_text())
    if not match:
        raise Neo4jSetupError(f"{POM} has no <neo4j.version> property")
    return match.group(1)


def cache_root() -> Path:
    """``$C360_CACHE`` or ``$XDG_CACHE_HOME/c360`` or ``~/.cache/c360``."""
    if os.environ.get("C360_CACHE"):
        return Path(os.environ["C360_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "c360"


def jar_dir() -> Path:
    return cache_root() / f"neo4j-{neo4j_version()}" / "jars"


def read_lock(path: Path = LOCK) -> list[LockedJar]:
    jars = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            coordinate, file, sha = line.split()
            jars.append(LockedJar(coordinate, file, sha))
    return jars


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def ensure_jars(say: Callable[[str], None] = lambda _: None) -> Path:
    """The verified jar folder, fetching it first if needed. Idempotent and cheap when cached."""
    target = jar_dir()
    lock_digest = sha256(LOCK)
    marker = target / ".verified"
    if marker.exists() and marker.read_text() == lock_digest:
        return target
    jars = read_lock()
    if target.is_dir() and not _mismatches(target, jars):
        marker.write_text(lock_digest)
        return target
    say(
        f"fetching Neo4j {neo4j_version()} jars ({len(jars)} files) with Maven into {target}"
    )
    staging = Path(tempfile.mkdtemp(prefix="jars-", dir=_mkdir(target.parent)))
    try:
        _maven_copy(staging)
        bad = _mismatches(staging, jars)
        if bad:
            raise Neo4jSetupError(
                f"{len(bad)} downloaded Neo4j jar(s) do not match {LOCK.name} "
                f"(first: {bad[0]}); re-run, or re-lock with `c360 neo4j lock` if the pom changed"
            )
        for extra in set(p.name for p in staging.glob("*.jar")) - {
            j.file for j in jars
        }:
            (staging / extra).unlink()
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    marker.write_text(lock_digest)
    return target


def relock(say: Callable[[str], None] = lambda _: None) -> list[LockedJar]:
    """Resolve the pom again and rewrite ``jars.lock`` (for maintainers changing the version)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        _maven_copy(out / "jars")
        coords = _maven_coordinates(out / "deps.txt")
        jars = []
        for jar in sorted((out / "jars").glob("*.jar")):
            coordinate = coords.get(jar.name)
            if coordinate is None:
                raise Neo4jSetupError(f"Maven copied {jar.name} but did not list it")
            jars.append(LockedJar(coordinate, jar.name, sha256(jar)))
    header = f"# Neo4j {neo4j_version()} runtime: coordinate, file, sha256. Written by `c360 neo4j lock`.\n"
    LOCK.write_text(
        header + "".join(f"{j.coordinate} {j.file} {j.sha256}\n" for j in jars)
    )
    say(f"locked {len(jars)} jars in {LOCK}")
    return jars


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _mismatches(folder: Path, jars: list[LockedJar]) -> list[str]:
    bad = []
    for jar in jars:
        path = folder / jar.file
        if not path.is_file():
            bad.append(f"{jar.file} missing")
        elif sha256(path) != jar.sha256:
            bad.append(f"{jar.file} checksum differs")
    return bad


def _mvn() -> str:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise Neo4jSetupError(
            "Maven (mvn) is needed once to fetch the Neo4j jars: install it "
            "(e.g. `apt-get install maven`), or set NEO4J_URI to use a running Neo4j"
        )
    return mvn


def _run_maven(args: list[str]) -> None:
    """Run Maven with retries: a registry hiccup should not fail a first start."""
    cmd = [_mvn(), "-q", "-B", "-f", str(POM), *args]
    last = ""
    for attempt in range(1, MAVEN_ATTEMPTS + 1):
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode == 0:
            return
        lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "ERROR" in ln]
        last = lines[0] if lines else f"exit code {proc.returncode}"
        if attempt < MAVEN_ATTEMPTS:
            time.sleep(2 * attempt)
    raise Neo4jSetupError(
        f"could not fetch the Neo4j jars after {MAVEN_ATTEMPTS} tries ({last.strip()[:200]}); "
        "check that Maven can reach its repository"
    )


def _maven_copy(dest: Path) -> None:
    _run_maven(
        [
            "dependency:copy-dependencies",
            f"-DoutputDirectory={dest}",
            "-DincludeScope=runtime",
        ]
    )


def _maven_coordinates(listing: Path) -> dict[str, str]:
    """File name -> ``group:artifact:version`` from ``mvn dependency:list``."""
    _run_maven(["dependency:list", f"-DoutputFile={listing}", "-DincludeScope=runtime"])
    coords = {}
    for line in listing.read_text().splitlines():
        token = line.split()[0] if line.strip() else ""
        parts = token.split(":")
        if len(parts) >= 5:
            group, artifact, _type, *rest = parts
            version = rest[-2]
            classifier = f"-{rest[0]}" if len(rest) == 3 else ""
            coords[f"{artifact}-{version}{classifier}.jar"] = (
                f"{group}:{artifact}:{version}"
            )
    return coords
