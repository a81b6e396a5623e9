"""Running untrusted SPARQL queries where they can be stopped.

pyoxigraph evaluates a query inside one call that Python cannot interrupt, so every query runs in
a separate worker process that holds the release's store open read-only (or, with `memory`, a
copy of the release loaded into memory: faster queries for a slower start and RAM per worker).
The server keeps a pool of them; a query that outlives the timeout has its worker killed
(SIGKILL) and replaced in the background, and the client is told (503). The other workers keep
serving everyone else.

Before a query reaches a worker it is checked here, in the server process:

- SPARQL Update (INSERT, DELETE, LOAD, CLEAR, ...) is refused (`Forbidden`, 403): the store is
  opened read-only anyway, so nothing could be written, but the refusal is explicit.
- `SERVICE` is refused (`BadQuery`, 400) after `\\uXXXX` escapes are decoded, as the SPARQL
  grammar decodes them before parsing: pyoxigraph would otherwise send the HTTP request.
  `FROM <iri>` and `default-graph-uri` only ever select graphs already in the store: pyoxigraph
  never loads a graph from its IRI, so `FROM <file:///etc/passwd>` is an empty graph.
- Nesting deeper than `max_nesting` brackets (`{ ( [`) is refused (`BadQuery`, 400) before the
  parser can spend its stack on it.

In the worker, at most `max_rows` rows (SELECT) or triples (CONSTRUCT, DESCRIBE) are read from
the answer; the `Answer` says whether more were left (`truncated`), so the protocol layer can tell
the client. Limits are the server's: nothing in a request can raise them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from cskg.errors import CskgError
from cskg.store import (
    _SKIP,
    Result,
    check_no_service,
    keywords,
    load_in_memory,
    ox_term,
    union_options,
)

#: first keywords of a SPARQL 1.1 Update request
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)
QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


class QueryRefused(CskgError):
    """A query the endpoint will not answer; `status` is the HTTP status to send."""

    status = 400


class BadQuery(QueryRefused):
    """Malformed, or asks for something the endpoint never does (SERVICE, too deep)."""


class Forbidden(QueryRefused):
    """An update: the endpoint is read-only."""

    status = 403


class QueryTimeout(QueryRefused):
    """The query ran longer than the server allows; its worker was stopped."""

    status = 503


class Busy(QueryRefused):
    """No worker became free in time."""

    status = 503


@dataclass
class Answer(Result):
    """A `Result` plus whether the row cap cut it (`truncated`) and what the cap was."""

    truncated: bool = False
    limit: int | None = None


# -- checks made before a query is run -------------------------------------------------------

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def unescape(query: str) -> str:
    """Decode SPARQL's `\\uXXXX` / `\\UXXXXXXXX` escapes, which apply before tokenising."""
    if "\\u" not in query and "\\U" not in query:
        return query

    def code(found: re.Match[str]) -> str:
        try:
            return chr(int(found[1] or found[2], 16))
        except ValueError:  # beyond U+10FFFF: leave it for the parser to reject
            return found[0]

    return _ESCAPE.sub(code, query)


def nesting_depth(query: str) -> int:
    """The deepest nesting of `{ ( [` in a query, strings, IRIs and comments left out."""
    depth = deepest = 0
    for char in _SKIP.sub(" ", query):
        if char in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "})]":
            depth = max(depth - 1, 0)
    return deepest


def check_query(query: str, max_nesting: int) -> None:
    """Refuse, before any evaluation, what the endpoint never runs (see the module docstring)."""
    text = unescape(query)
    words = keywords(text)
    form = next((w for w in words if w in QUERY_FORMS or w in UPDATE_KEYWORDS), None)
    if form in UPDATE_KEYWORDS:
        raise Forbidden("this endpoint is read-only: SPARQL Update is not accepted")
    depth = nesting_depth(text)
    if depth > max_nesting:
        raise BadQuery(
            f"the query nests {depth} levels of brackets; this endpoint allows {max_nesting}"
        )
    try:
        check_no_service(text)
    except CskgError:
        raise BadQuery(
            "the query uses SERVICE; this endpoint never contacts other endpoints"
        ) from None


# -- the worker process -------------------------------------------------------------------------


def _error_message(error: BaseException) -> str:
    return str(error).strip() or type(error).__name__


def _run(store: Any, job: dict[str, Any], union: dict[str, Any]) -> tuple[str, Any]:
    """Answer one job; `union` holds the query options of the store's default graph
    (`cskg.store.union_options`), worked out once per worker."""
    import pyoxigraph as ox

    text: str = job["query"]
    options: dict[str, Any] = {"base_iri": job.get("base_iri")}
    default_graphs, named_graphs = job.get("default_graphs"), job.get("named_graphs")
    if default_graphs or named_graphs:
        # The protocol's dataset replaces the query's FROM / FROM NAMED (SPARQL 1.1 Protocol 2.1.4).
        options["default_graph"] = [ox.NamedNode(g) for g in default_graphs or []]
        options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs or []]
    elif "from" not in text.lower() or "FROM" not in keywords(text):
        options.update(union)
    try:
        answer = store.query(text, **options)
    except SyntaxError as error:
        return "syntax", _error_message(error)
    except ValueError as error:  # e.g. a graph IRI that is not an absolute IRI
        return "syntax", _error_message(error)
    limit: int = job["max_rows"]
    try:
        if isinstance(answer, ox.QueryBoolean):
            return "ok", Answer("ask", boolean=bool(answer))
        cache: dict[Any, Any] = {}
        if isinstance(answer, ox.QuerySolutions):
            variables = [v.value for v in answer.variables]
            rows = [
                tuple(None if t is None else ox_term(t, cache) for t in solution)
                for solution in itertools.islice(answer, limit + 1)
            ]
            cut = len(rows) > limit
            return "ok", Answer("select", variables, rows[:limit], truncated=cut, limit=limit)
        triples = [
            (ox_term(t.subject, cache), ox_term(t.predicate, cache), ox_term(t.object, cache))
            for t in itertools.islice(answer, limit + 1)
        ]
        cut = len(triples) > limit
        return "ok", Answer("graph", triples=triples[:limit], truncated=cut, limit=limit)
    except (OSError, RuntimeError, ValueError) as error:
        return "error", f"query failed: {_error_message(error)}"


def worker_main(store_path: str, conn: Connection, memory: bool = False) -> None:
    """Entry point of a worker process: open the store read-only (or, with `memory`, load the
    release next to it into memory), answer jobs until told to stop."""
    import pyoxigraph as ox

    try:
        if memory:
            store = load_in_memory(Path(store_path).parent)
        else:
            store = ox.Store.read_only(store_path)
    except (OSError, CskgError) as error:
        conn.send(("failed", _error_message(error)))
        return
    union = union_options(store)
    conn.send(("ready", None))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            conn.send(_run(store, job, union))
        except Exception as error:
            conn.send(("error", f"query failed: {_error_message(error)}"))


class _Worker:
    """One worker: `python -m cskg.publish.workers STORE FD`, talking over a socket pair.

    A plain subprocess rather than multiprocessing's spawn: it never re-imports the server's
    main module, whatever that is.
    """

    def __init__(self, store_path: Path, memory: bool = False) -> None:
        # loading into memory takes about 4 s per million triples
        startup_timeout = 600.0 if memory else 60.0
        parent, child = socket.socketpair()
        self.conn = Connection(parent.detach())
        fd = child.fileno()
        command = [sys.executable, "-m", "cskg.publish.workers", str(store_path), str(fd)]
        self.process = subprocess.Popen(
            command + (["memory"] if memory else []),
            pass_fds=(fd,),
            stdin=subprocess.DEVNULL,
        )
        child.close()
        if not self.conn.poll(startup_timeout):
            self.kill()
            raise CskgError(f"a query worker did not start within {startup_timeout:g} s")
        try:
            state, message = self.conn.recv()
        except (EOFError, OSError):
            state, message = "failed", "the worker exited"
        if state != "ready":
            self.kill()
            raise CskgError(f"a query worker could not open the store at {store_path}: {message}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(5)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(2)
        self.kill()


class WorkerPool:
    """A fixed number of worker processes; `run` hands a job to a free one, within the timeout."""

    def __init__(self, store_path: Path, size: int, timeout: float, memory: bool = False) -> None:
        if not (store_path / "CURRENT").exists():
            raise CskgError(f"no store at {store_path}: build the release first (cskg build)")
        self.store_path, self.size, self.timeout = store_path, max(size, 1), timeout
        self.memory = memory
        self._idle: asyncio.Queue[_Worker] | None = None
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        # Threads only wait on pipes (and start replacements); the queries run in the workers.
        self._threads = ThreadPoolExecutor(self.size * 2 + 2, thread_name_prefix="cskg-wait")
        self._replacing: set[asyncio.Future[None]] = set()
        self.killed = 0  # workers stopped for running too long (for tests and logs)

    def _spawn(self) -> _Worker:
        worker = _Worker(self.store_path, self.memory)
        with self._lock:
            self._all.add(worker)
        return worker

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        workers = await asyncio.gather(
            *(loop.run_in_executor(self._threads, self._spawn) for _ in range(self.size))
        )
        for worker in workers:
            self._idle.put_nowait(worker)

    async def close(self) -> None:
        with self._lock:
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.stop()
        self._threads.shutdown(wait=False, cancel_futures=True)

    def _roundtrip(self, worker: _Worker, job: dict[str, Any]) -> tuple[str, Any] | None:
        worker.conn.send(job)
        if worker.conn.poll(self.timeout):
            return worker.conn.recv()
        return None

    def _replace(self, worker: _Worker) -> _Worker:
        with self._lock:
            self._all.discard(worker)
        worker.kill()
        return self._spawn()

    async def _put_back_replacement(self, worker: _Worker) -> None:
        assert self._idle is not None
        loop = asyncio.get_running_loop()
        while True:
            try:
                fresh = await loop.run_in_executor(self._threads, self._replace, worker)
                break
            except CskgError:  # pragma: no cover - the store vanished; retry later
                await asyncio.sleep(1)
        self._idle.put_nowait(fresh)

    async def run(self, job: dict[str, Any]) -> tuple[str, Any]:
        if self._idle is None:
            raise CskgError("the query workers are not started")
        try:
            worker = await asyncio.wait_for(self._idle.get(), self.timeout)
        except TimeoutError:
            raise Busy(
                f"every query worker stayed busy for {self.timeout:g} s; try again later"
            ) from None
        loop = asyncio.get_running_loop()
        healthy = False
        try:
            reply = await loop.run_in_executor(self._threads, self._roundtrip, worker, job)
            healthy = reply is not None
        except (OSError, EOFError):
            reply = None
        finally:
            if healthy:
                self._idle.put_nowait(worker)
            else:
                # Too slow, or the worker died (e.g. out of memory): stop it, start another.
                self.killed += 1
                task = asyncio.ensure_future(self._put_back_replacement(worker))
                self._replacing.add(task)
                task.add_done_callback(self._replacing.discard)
        if reply is None:
            raise QueryTimeout(
                f"the query ran longer than this endpoint's limit of {self.timeout:g} s "
                "and was stopped"
            )
        return reply


class SparqlService:
    """The one safe way to run a query against the release, for the endpoint and the pages.

    `await start()` before use (the app does it on startup), `await close()` after.
    """

    def __init__(
        self,
        store_path: Path,
        *,
        timeout: float = 10.0,
        max_rows: int = 10_000,
        max_nesting: int = 40,
        workers: int = 2,
        memory: bool = False,
    ) -> None:
        self.timeout, self.max_rows, self.max_nesting = timeout, max_rows, max_nesting
        self.pool = WorkerPool(store_path, workers, timeout, memory)

    async def start(self) -> None:
        await self.pool.start()

    async def close(self) -> None:
        await self.pool.close()

    async def query(
        self,
        text: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
    ) -> Answer:
        """Run a query within the limits; raises a `QueryRefused` (with `.status`) otherwise.

        The answer is an `Answer` (a `cskg.store.Result`) whose `truncated` says whether the row
        cap cut it.
        """
        check_query(text, self.max_nesting)
        job = {
            "query": text,
            "default_graphs": list(default_graphs or []),
            "named_graphs": list(named_graphs or []),
            "base_iri": base_iri,
            "max_rows": self.max_rows,
        }
        state, value = await self.pool.run(job)
        if state == "ok":
            return value
        if state == "syntax":
            words = keywords(unescape(text))
            if (
                words
                and words[0] in UPDATE_KEYWORDS | {"PREFIX", "BASE"}
                and any(w in UPDATE_KEYWORDS for w in words)
            ):
                raise Forbidden("this endpoint is read-only: SPARQL Update is not accepted")
            raise BadQuery(f"syntax error: {value}")
        raise QueryRefused(value)


if __name__ == "__main__":
    # Through the package, so that answers pickle as cskg.publish.workers.Answer, not __main__'s.
    from cskg.publish.workers import worker_main as _main

    _main(sys.argv[1], Connection(int(sys.argv[2])), memory=sys.argv[3:] == ["memory"])
