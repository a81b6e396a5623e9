"""A throwaway Virtuoso server on loopback, for engine comparisons and benchmarks.

Debian's `virtuoso-opensource-7-bin` provides `virtuoso-t` and `isql-vt`. `TempVirtuoso` writes a
small configuration into a temporary folder (database files included), starts the server in the
foreground on two free loopback ports (SQL and HTTP), waits until `/sparql` answers, bulk-loads a
release's N-Quads (each quad keeps its graph) and stops the server cleanly on exit.

    with TempVirtuoso() as virtuoso:
        virtuoso.load_nquads(Path("dist/cskg.nq"))
        run_queries(virtuoso.endpoint)

With no FROM clause and no `default-graph-uri`, Virtuoso's default graph is the union of all its
graphs, so the library queries run unchanged. Virtuoso's own system graphs would be part of that
union too; they are made private (invisible to the anonymous /sparql user) at start-up.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from cskg.errors import CskgError

_INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
LiteMode = 0
DisableUnixSocket = 1
DisableTcpSocket = 0
ServerThreads = 10
CheckpointInterval = 0
O_DIRECT = 0
CaseMode = 2
MaxStaticCursorRows = 5000
CheckpointAuditTrail = 0
AllowOSCalls = 0
DirsAllowed = ., {d}
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
DefaultIsolation = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}/www
MaxClientConnections = 5
ServerThreads = 5
DavRoot = DAV
EnabledDavVSP = 0
HTTPProxyEnabled = 0
KeepAliveTimeout = 10
MaxKeepAlives = 10

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 120
DefaultQuery = ASK {{ ?s ?p ?o }}
DeferInferenceRulesInit = 0
"""


# Graphs a fresh Virtuoso 7 database holds before anything is loaded.
#: the administrator's password of a fresh database (the server listens on loopback only)
DBA_PASSWORD = "dba"

SYSTEM_GRAPHS = (
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://localuriqaserver/sparql",
    "http://www.w3.org/ns/ldp#",
)


def available() -> bool:
    """True when Debian's Virtuoso binaries are on PATH."""
    return shutil.which("virtuoso-t") is not None and shutil.which("isql-vt") is not None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TempVirtuoso:
    """A Virtuoso server with its database in a temporary folder, stopped and removed on exit."""

    def __init__(self, startup_timeout: float = 60.0) -> None:
        if not available():
            raise CskgError(
                "virtuoso-t and isql-vt are not on PATH (Debian: virtuoso-opensource-7-bin)"
            )
        self.startup_timeout = startup_timeout
        self.folder = Path(tempfile.mkdtemp(prefix="cskg-virtuoso-"))
        self.sql_port = _free_port()
        self.http_port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql"

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> TempVirtuoso:
        (self.folder / "www").mkdir()
        ini = self.folder / "virtuoso.ini"
        ini.write_text(
            _INI.format(d=self.folder, sql_port=self.sql_port, http_port=self.http_port),
            encoding="utf-8",
        )
        began = time.perf_counter()
        self.process = subprocess.Popen(
            ["virtuoso-t", "-c", str(ini), "+foreground"],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            self._wait(began + self.startup_timeout)
            self._hide_system_graphs()
        except BaseException:
            self.stop()  # never leave a server behind
            raise
        return self

    def _wait(self, deadline: float) -> None:
        from cskg.query.remote import answers

        assert self.process is not None
        while not answers(self.endpoint):
            if self.process.poll() is not None:
                raise CskgError(f"virtuoso-t exited at start-up:\n{self._log_tail()}")
            if time.perf_counter() > deadline:
                raise CskgError(f"virtuoso-t did not answer within {self.startup_timeout:.0f} s")
            time.sleep(0.1)

    def _hide_system_graphs(self) -> None:
        """Make Virtuoso's own graphs invisible to /sparql, which queries as the user `nobody`.

        Otherwise its default graph (the union of all graphs) also holds Virtuoso's metadata
        (virtrdf#, about 2,500 triples), and `?s a ?c` or `?s ?p ?o` would match it.
        """
        group = "http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs"
        statements = [f"DB.DBA.RDF_GRAPH_GROUP_CREATE ('{group}', 1);"]
        statements += [
            f"DB.DBA.RDF_GRAPH_GROUP_INS ('{group}', '{graph}');" for graph in SYSTEM_GRAPHS
        ]
        statements += [
            "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 0, 1);",  # private graphs: no access
            "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 1, 0);",  # other graphs: read
        ]
        self.isql("\n".join(statements) + "\n")

    def _log_tail(self, lines: int = 20) -> str:
        log = self.folder / "virtuoso.log"
        if not log.exists():
            return "(no log)"
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Shut down (checkpointless), wait for the process, remove the folder."""
        if self.process is not None and self.process.poll() is None:
            try:
                self.isql("shutdown;", timeout=20)
                self.process.wait(timeout=20)
            except (CskgError, subprocess.TimeoutExpired):
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        self.process = None
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> TempVirtuoso:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- SQL and loading ------------------------------------------------------------------

    def isql(self, statements: str, timeout: float = 300) -> str:
        """Run SQL statements through isql-vt as dba; a failed statement raises CskgError."""
        try:
            done = subprocess.run(
                [
                    "isql-vt",
                    f"127.0.0.1:{self.sql_port}",
                    "dba",
                    DBA_PASSWORD,
                    "VERBOSE=OFF",
                    "BANNER=OFF",
                ],
                input=statements.encode("utf-8"),
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise CskgError(f"isql-vt did not finish within {timeout:.0f} s") from error
        out = done.stdout.decode("utf-8", errors="replace")
        err = done.stderr.decode("utf-8", errors="replace")
        # isql-vt reports SQL errors as "*** Error ..." and still exits 0 on some of them.
        if done.returncode != 0 or "*** Error" in out or "*** Error" in err:
            raise CskgError(f"isql-vt failed:\n{out}\n{err}".strip())
        return out

    def load_nquads(self, path: Path) -> None:
        """Bulk-load an N-Quads file; each quad goes to its own graph.

        The file is copied into the server's folder (the only one DirsAllowed lets it read).
        The bulk loader parses the file as UTF-8, so Chinese literals keep their characters.
        """
        inbox = self.folder / "load"
        inbox.mkdir(exist_ok=True)
        target = inbox / path.name
        shutil.copyfile(path, target)
        # ld_dir registers the file; .nq files keep the graph of each quad (the third
        # argument is only the fallback graph for triples).
        self.isql(
            f"ld_dir('{inbox}', '{target.name}', 'urn:cskg:unused');\n"
            "rdf_loader_run();\n"
            "checkpoint;\n"
        )
        failures = self.isql(
            "SELECT ll_file, ll_error FROM DB.DBA.load_list WHERE ll_error IS NOT NULL;"
        )
        if target.name in failures:
            raise CskgError(f"Virtuoso could not load {path.name}:\n{failures}")

    def graphs(self) -> set[str]:
        """Every graph IRI the server holds, its own system graphs included."""
        out = self.isql("SPARQL SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } };")
        # isql prints a header, a rule, one IRI a line, then "N Rows."
        return {
            word
            for line in out.splitlines()
            for word in line.split()
            if word.startswith(("http://", "https://", "urn:"))
        }
