"""The managed local Neo4j behind ``c360 neo4j start|stop|status``.

A real Neo4j Community server (embedded kernel + Bolt) run from the Maven jars by
``neo4j_runtime/Launcher.java``, bound to 127.0.0.1 only, with auth on. Its state lives in
one folder (``home``): ``data/``, ``logs/``, ``conf/neo4j.conf``, ``password`` (mode 600) and
``c360-neo4j.json`` (pid, port, URI). Starting twice reuses the running server; stopping sends
SIGTERM (clean checkpoint) and only falls back to SIGKILL after a timeout.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from graph import bulk, runtime
from graph.connection import Neo4jSettings, connect
from graph.errors import Neo4jSetupError

STATE_FILE = "c360-neo4j.json"
READY_LINE = b"c360-neo4j ready"
DEFAULT_PORT = 7687
MIN_JAVA = 17


@dataclass(frozen=True)
class Memory:
    """JVM heap and page cache, e.g. ``Memory("2g", "1g")``."""

    heap: str
    pagecache: str

    @classmethod
    def default(cls) -> Memory:
        """CI (``CI=true``): 1 GB heap, 512 MB page cache; otherwise sized for a 2-core/24 GB box."""
        ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
        return cls(
            heap=os.environ.get("C360_NEO4J_HEAP", "1g" if ci else "2g"),
            pagecache=os.environ.get("C360_NEO4J_PAGECACHE", "512m" if ci else "2g"),
        )

    def transaction_max(self) -> str:
        """Cap all transactions at 70% of the heap so one big query cannot take the JVM down."""
        return f"{int(_bytes(self.heap) * 0.7) // (1 << 20)}m"


def default_home() -> Path:
    """``$C360_HOME/neo4j``, else ``$XDG_DATA_HOME/c360/neo4j``, else ``~/.local/share/c360/neo4j``."""
    if os.environ.get("C360_HOME"):
        return Path(os.environ["C360_HOME"]) / "neo4j"
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "c360" / "neo4j"


class ManagedNeo4j:
    """One managed server, identified by its home folder."""

    def __init__(self, home: Path | None = None, memory: Memory | None = None) -> None:
        self.home = (home or default_home()).resolve()
        self.memory = memory or Memory.default()

    # -- state ---------------------------------------------------------------------------
    @property
    def state_path(self) -> Path:
        return self.home / STATE_FILE

    @property
    def password_path(self) -> Path:
        return self.home / "password"

    @property
    def log_path(self) -> Path:
        return self.home / "logs" / "launcher.log"

    def state(self) -> dict[str, object] | None:
        """The recorded pid/port/URI if that process is still our Neo4j, else None."""
        try:
            state = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            return None
        pid = state.get("pid")
        if isinstance(pid, int) and _is_our_java(pid, self.home):
            return dict(state)
        return None

    def settings(self) -> Neo4jSettings | None:
        """Connection settings of the running server, or None when it is not running."""
        state = self.state()
        if state is None:
            return None
        return Neo4jSettings(
            uri=str(state["uri"]), user="neo4j", password=self.password()
        )

    def password(self) -> str:
        """``NEO4J_PASSWORD`` if set, else the one generated at first start (kept mode 600)."""
        if os.environ.get("NEO4J_PASSWORD"):
            return os.environ["NEO4J_PASSWORD"]
        if self.password_path.exists():
            return self.password_path.read_text().strip()
        self.home.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(18)
        fd = os.open(self.password_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(password + "\n")
        return password

    # -- lifecycle -----------------------------------------------------------------------
    def start(
        self,
        port: int | None = None,
        timeout: float = 180.0,
        say: Callable[[str], None] = lambda _: None,
    ) -> Neo4jSettings:
        """Start the server (or find it running) and return settings once Bolt answers."""
        running = self.settings()
        if running is not None:
            say(f"Neo4j already running (pid {self.state()['pid']})")  # type: ignore[index]
            return running
        java = find_java()
        jars = runtime.ensure_jars(say)
        port = _choose_port(port)
        password = self.password()
        conf = self._write_conf(port)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        cmd = [
            java,
            f"-Xms{self.memory.heap}",
            f"-Xmx{self.memory.heap}",
            "-XX:+UseG1GC",
            "-XX:+ExitOnOutOfMemoryError",
            "-Dfile.encoding=UTF-8",
            "-cp",
            str(jars / "*"),
            str(runtime.LAUNCHER),
            str(self.home),
            str(conf),
        ]
        env = {**os.environ, "C360_NEO4J_PASSWORD": password}
        say(
            f"starting Neo4j {runtime.neo4j_version()} on 127.0.0.1:{port} (home {self.home})"
        )
        with self.log_path.open("ab") as log:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # Ctrl-C in the terminal must not kill the server mid-write
            )
        uri = f"bolt://127.0.0.1:{port}"
        self.state_path.write_text(
            json.dumps(
                {
                    "pid": proc.pid,
                    "port": port,
                    "uri": uri,
                    "version": runtime.neo4j_version(),
                    "heap": self.memory.heap,
                    "pagecache": self.memory.pagecache,
                }
            )
        )
        settings = Neo4jSettings(uri=uri, user="neo4j", password=password)
        try:
            self._wait_ready(proc, settings, timeout, log_offset)
        except BaseException:
            self._terminate(proc.pid, grace=30)
            self.state_path.unlink(missing_ok=True)
            raise
        return settings

    def stop(self, timeout: float = 90.0) -> bool:
        """Stop the server; True if one was running. Leaves no Java process behind."""
        state = self.state()
        self.state_path.unlink(missing_ok=True)
        if state is None:
            return False
        self._terminate(int(state["pid"]), grace=timeout)  # type: ignore[call-overload]
        return True

    def pause(self) -> int:
        """Stop the running server, keeping its memory settings here; the port it had.
        (A bulk import needs the server stopped, then ``replace_database``.)"""
        state = self.state()
        if state is None:
            raise Neo4jSetupError(
                f"the managed Neo4j is not running (home {self.home})"
            )
        if state.get("heap"):
            self.memory = Memory(str(state["heap"]), str(state["pagecache"]))
        self.stop()
        port = state["port"]
        if not isinstance(port, int):
            raise Neo4jSetupError(f"no port in {self.state_path}")
        return port

    def replace_database(
        self,
        import_args: list[str],
        port: int,
        database: str = "neo4j",
        say: Callable[[str], None] = lambda _: None,
        progress: bulk.Progress | None = None,
    ) -> Neo4jSettings:
        """Build ``database`` of the paused server anew with ``neo4j-admin database
        import`` from the files ``import_args`` name (``graph.bulk.Files``), then start it
        again on ``port`` (``pause``'s) and return its settings."""
        if self.state() is not None:
            raise Neo4jSetupError("pause the server before replacing its database")
        bulk.run_import(
            find_java(),
            runtime.ensure_jars(say),
            self.home,
            import_args,
            self.memory.heap,
            database,
            progress,
        )
        return self.start(port=port, say=say)

    # -- internals -----------------------------------------------------------------------
    def _write_conf(self, port: int) -> Path:
        conf = self.home / "conf" / "neo4j.conf"
        conf.parent.mkdir(parents=True, exist_ok=True)
        settings = {
            "server.bolt.enabled": "true",
            "server.bolt.listen_address": f"127.0.0.1:{port}",
            "server.bolt.advertised_address": f"127.0.0.1:{port}",
            "dbms.security.auth_enabled": "true",
            "server.memory.pagecache.size": self.memory.pagecache,
            "dbms.memory.transaction.total.max": self.memory.transaction_max(),
            "server.directories.logs": str(self.home / "logs"),
            "db.logs.query.enabled": "OFF",
        }
        conf.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
        return conf

    def _wait_ready(
        self,
        proc: subprocess.Popen[bytes],
        settings: Neo4jSettings,
        timeout: float,
        log_offset: int,
    ) -> None:
        """Wait for the launcher's ready line (printed after the password is set), then Bolt.

        Connecting earlier would try the new password against the default one, and Neo4j
        rate-limits repeated authentication failures.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = proc.poll()
            if code is not None:
                raise Neo4jSetupError(
                    f"Neo4j exited during start-up (code {code}): {self._log_hint()}"
                )
            if self._launcher_ready(log_offset):
                connect(settings).close()
                return
            time.sleep(0.3)
        raise Neo4jSetupError(
            f"Neo4j did not answer within {timeout:.0f}s; see {self.log_path} "
            "(a slow disk or too little memory: try C360_NEO4J_HEAP=1g)"
        )

    def _launcher_ready(self, offset: int) -> bool:
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return READY_LINE in log.read()

    def _log_hint(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return f"no log at {self.log_path}"
        causes = [ln.strip() for ln in lines if "Exception" in ln or "Error" in ln]
        cause = causes[-1][:300] if causes else "no error line"
        return f"{cause} (full log: {self.log_path})"

    def _terminate(self, pid: int, grace: float) -> None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.2)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        while _alive(pid):
            time.sleep(0.1)


def find_java() -> str:
    """A ``java`` of at least version 17, from ``JAVA_HOME`` or ``PATH``, or one clear error."""
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(str(Path(os.environ["JAVA_HOME"]) / "bin" / "java"))
    on_path = shutil.which("java")
    if on_path:
        candidates.append(on_path)
    for java in candidates:
        if not Path(java).is_file():
            continue
        proc = subprocess.run(
            [java, "-version"], capture_output=True, text=True, check=False
        )
        match = re.search(r'version "(\d+)(?:\.(\d+))?', proc.stderr + proc.stdout)
        if match:
            major = int(match.group(1))
            major = int(match.group(2) or 0) if major == 1 else major
            if major >= MIN_JAVA:
                return java
            raise Neo4jSetupError(
                f"Neo4j 5.26 needs Java {MIN_JAVA}+, but {java} is Java {major}: "
                "install a newer JDK or point JAVA_HOME at one"
            )
    raise Neo4jSetupError(
        f"no Java found: install a JDK {MIN_JAVA}+ (e.g. `apt-get install openjdk-17-jdk-headless`) "
        "or set JAVA_HOME; or set NEO4J_URI to use a running Neo4j"
    )


def _choose_port(port: int | None) -> int:
    """The asked port if free (else an error), else 7687 if free, else any free port."""
    if port is not None:
        if port == 0:
            return _free_port()
        if not _can_bind(port):
            raise Neo4jSetupError(
                f"port {port} on 127.0.0.1 is busy: choose another with --port, or omit it"
            )
        return port
    return DEFAULT_PORT if _can_bind(DEFAULT_PORT) else _free_port()


def _can_bind(port: int) -> bool:
    with socket.socket() as sock:
        # Same option the server uses, so a port in TIME_WAIT after a stop counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (our own exited child) counts as gone; reap it if it is ours.
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
        return status.split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


def _is_our_java(pid: int, home: Path) -> bool:
    """True when ``pid`` is a live Launcher for this home (pids get reused)."""
    if not _alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    args = [a.decode(errors="replace") for a in cmdline]
    return any(a.endswith("Launcher.java") for a in args) and str(home) in args


def _bytes(size: str) -> int:
    match = re.fullmatch(r"(\d+)([kmgKMG]?)", size.strip())
    if not match:
        raise Neo4jSetupError(f"memory size {size!r} is not like 512m or 2g")
    return (
        int(match.group(1))
        * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[match.group(2).lower()]
    )
