"""Running untrusted SPARQL queries where they can be stopped, bounded and walled in.

pyoxigraph evaluates a query inside one call that Python cannot interrupt, so every query runs in
a separate worker process that holds the release's store open read-only (or, with `memory`, a
copy of the release in memory). The server keeps a pool of them and hands each query to a free
one together with an anonymous temporary file; the worker checks the query, runs it and writes
the answer into that file in the format the client negotiated (`cskg.web.answer`), then
sends back a short JSON header (status, media type, size, whether it was cut). The server then
streams the file to the client at the client's pace while the worker takes the next query, so a
slow reader never holds a worker and no answer is ever whole in the server's memory.

Everything that grows with the query runs in the worker, never in the server's event loop: the
query is judged there on what the SPARQL grammar sees (`cskg.query.text`): updates are refused
(403), SERVICE is refused (400: the engine would send the HTTP request), nesting deeper than
`max_nesting` is refused (400) before the parser can spend its stack on it. The project's
prefixes (`cskg.vocab.PREFIXES`) are predeclared there, for the endpoint and the query page alike:
the engine is given them (a PREFIX in the query wins) and the guard reads the query with them; a
prefix neither they nor the query declare, and a syntax error, are one sentence with line and
column (400; `QueryRefused.line` and `.column` say where).

Each worker is walled in as the operating system allows (`confine`), before it opens anything:

- memory: an address-space limit (`RLIMIT_AS`, `--max-memory`); a query that needs more fails
  inside the worker, which dies or says so, and the client gets 507 with that reason;
- network: on Linux the worker moves into a network namespace of its own (as root, or through an
  unprivileged user namespace where the kernel allows them), where no address but a downed
  loopback exists, so even a SERVICE that got past the check could reach nothing;
- lifetime: on Linux the kernel kills the worker when the server dies (`PR_SET_PDEATHSIG`),
  even by SIGKILL.

A query that outlives the timeout has its worker killed (SIGKILL) and replaced in the background
(503); a worker that dies otherwise is told apart by how it died: out of memory (507), a crash
(500). The other workers keep serving everyone else.
"""

from __future__ import annotations

import array
import asyncio
import collections
import contextlib
import ctypes
import errno
import json
import logging
import os
import resource
import signal
import socket
import struct
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cskg.errors import CskgError, QuerySyntaxError
from cskg.query.model import Result
from cskg.vocab import PREFIXES

if TYPE_CHECKING:
    from cskg.query.text import QueryText

log = logging.getLogger("cskg.serve")

_LENGTH = struct.Struct("!I")
#: a job or header frame larger than this is a broken peer, not a query
_MAX_FRAME = 64 * 1024 * 1024


class QueryRefused(CskgError):
    """A query the endpoint will not answer; `status` is the HTTP status to send. A syntax
    error also says where, in the query as the user wrote it (`line`, `column`, from 1)."""

    status = 400
    line: int | None = None
    column: int | None = None


class BadQuery(QueryRefused):
    """Malformed, or asks for something the endpoint never does (SERVICE, too deep)."""


class Forbidden(QueryRefused):
    """An update: the endpoint is read-only."""

    status = 403


class NotAcceptable(QueryRefused):
    """No format the client accepts can carry this answer."""

    status = 406


class QueryTimeout(QueryRefused):
    """The query ran longer than the server allows; its worker was stopped."""

    status = 503


class Busy(QueryRefused):
    """No worker became free in time, or answers waiting for slow readers fill the buffer."""

    status = 503


class OutOfMemory(QueryRefused):
    """The query needed more memory than a worker may have; the worker was replaced."""

    status = 507


class WorkerCrashed(QueryRefused):
    """The worker died while running the query (a crash, not a limit); it was replaced."""

    status = 500


_REFUSALS: dict[int, type[QueryRefused]] = {
    400: BadQuery,
    403: Forbidden,
    406: NotAcceptable,
    500: WorkerCrashed,
    507: OutOfMemory,
}


@dataclass
class Answer(Result):
    """A `Result` plus whether a limit cut it (`truncated`) and what the limit was."""

    truncated: bool = False
    limit: int | None = None


# -- frames: a 4-byte length and a JSON document ---------------------------------------------


def encode(document: dict[str, Any]) -> bytes:
    payload = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return _LENGTH.pack(len(payload)) + payload


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(min(size - len(data), 1 << 20))
        if not chunk:
            raise EOFError
        data += chunk
    return bytes(data)


# -- the worker process ----------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def _die_with(parent: int) -> str:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux)."""
    if not sys.platform.startswith("linux"):
        return "not on this system"
    if _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return f"prctl failed: {os.strerror(ctypes.get_errno())}"
    if os.getppid() != parent:  # the server died before the request was made
        os._exit(0)
    return "yes"


def _isolate_network() -> str:
    """Move into a network namespace of its own; say how, or why not."""
    if not sys.platform.startswith("linux"):
        return "no: network namespaces are Linux only"
    libc = _libc()
    for flags, how in (
        (_CLONE_NEWNET, "network namespace"),
        (_CLONE_NEWUSER | _CLONE_NEWNET, "user and network namespace"),
    ):
        if libc.unshare(flags) == 0:
            return f"yes ({how})"
        reason = os.strerror(ctypes.get_errno())
    return f"no: unshare failed ({reason})"


def confine(max_memory: int | None, parent: int) -> dict[str, str]:
    """Wall the calling process in (see the module docstring); must run while it has a single
    thread, before the store is opened. Returns what was applied, for the server's log."""
    applied = {"dies with the server": _die_with(parent)}
    if max_memory:
        resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
        applied["address space"] = f"{max_memory} bytes"
    applied["network isolated"] = _isolate_network()
    return applied


class _Refusal(Exception):
    """Raised in the worker for a query it will not answer; becomes the header's status."""

    def __init__(self, status: int, message: str, *, exit: bool = False) -> None:
        super().__init__(message)
        self.header = {"status": status, "message": message, **({"exit": True} if exit else {})}

    @classmethod
    def syntax(cls, error: QuerySyntaxError) -> _Refusal:
        """400 with the error's one sentence, and its line and column for a page to point at."""
        refusal = cls(400, str(error))
        refusal.header["line"] = getattr(error, "line", None)
        refusal.header["column"] = getattr(error, "column", None)
        return refusal


def _checked(text: str, max_nesting: int) -> QueryText:
    """The query's shape, judged on its tokens as the engine reads them, the project's prefixes
    predeclared; refuses what the endpoint never runs."""
    from cskg.query.text import MAX_CHAIN, inspect

    try:
        shape = inspect(text, prefixes=PREFIXES)
    except QuerySyntaxError as error:
        raise _Refusal.syntax(error) from None
    if shape.update:
        raise _Refusal(403, "this endpoint is read-only: SPARQL Update is not accepted")
    if shape.depth > max_nesting:
        raise _Refusal(
            400,
            f"the query nests {shape.depth} levels of brackets; this endpoint allows {max_nesting}",
        )
    if shape.chain > MAX_CHAIN:
        raise _Refusal(
            400,
            f"the query chains {shape.chain} operators in a row; this endpoint allows {MAX_CHAIN}",
        )
    if shape.service:
        raise _Refusal(400, "the query uses SERVICE; this endpoint never contacts other endpoints")
    if shape.undeclared is not None:
        raise _Refusal.syntax(shape.undeclared)
    return shape


def _dataset(job: dict[str, Any], shape: QueryText, union: dict[str, Any]) -> dict[str, Any]:
    """pyoxigraph's query options for the job's dataset."""
    import pyoxigraph as ox

    options: dict[str, Any] = {"base_iri": job.get("base_iri")}
    default_graphs, named_graphs = job.get("default_graphs"), job.get("named_graphs")
    if default_graphs or named_graphs:
        # The protocol's dataset replaces the query's FROM / FROM NAMED (SPARQL 1.1 Protocol 2.1.4).
        options["default_graph"] = [ox.NamedNode(g) for g in default_graphs or []]
        options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs or []]
    elif not shape.has_from:
        options.update(union)
    return options


def run_job(store: Any, union: dict[str, Any], job: dict[str, Any], out: IO[bytes]) -> dict:
    """Answer one job into `out`; the header for the server. `union` holds the query options
    of the store's default graph (`cskg.query.engines.union_options`), worked out once per
    worker."""
    from cskg.query.messages import oxigraph_error
    from cskg.web.answer import Limits, write_answer

    try:
        text: str = job["query"]
        options = _dataset(job, _checked(text, job["max_nesting"]), union)
        try:
            answer = store.query(text, prefixes=PREFIXES, **options)
            limits = Limits(job["max_rows"], job["max_bytes"])
            return write_answer(answer, job["media"], out, limits)
        except SyntaxError as error:
            raise _Refusal.syntax(oxigraph_error(text, str(error))) from None
        except ValueError as error:  # a graph name that is no IRI
            raise _Refusal(400, f"syntax error: {_message(error)}") from None
        except (MemoryError, OSError, RuntimeError) as error:
            raise _failure(error) from None
    except _Refusal as refusal:
        return refusal.header


def _failure(error: BaseException) -> _Refusal:
    """A query that failed while it ran: out of memory (507, and the worker exits, since a
    MemoryError may have left the interpreter in a poor state) or anything else (500)."""
    if isinstance(error, MemoryError) or (
        isinstance(error, OSError) and error.errno == errno.ENOMEM
    ):
        return _Refusal(507, _memory_message(), exit=True)
    return _Refusal(500, f"query failed: {_message(error)}")


def _message(error: BaseException) -> str:
    return str(error).strip() or type(error).__name__


def _memory_message() -> str:
    return "the query needed more memory than this endpoint allows a query (--max-memory)"


def _serve_jobs(sock: socket.socket, store: Any, union: dict[str, Any]) -> None:
    while True:
        try:
            head, fds, _, _ = socket.recv_fds(sock, _LENGTH.size, 1)
            if not head:
                return
            head += _recv_exactly(sock, _LENGTH.size - len(head))
            (size,) = _LENGTH.unpack(head)
            if size > _MAX_FRAME or len(fds) != 1:
                return
            job = json.loads(_recv_exactly(sock, size))
        except (EOFError, OSError):
            return
        with os.fdopen(fds[0], "wb", buffering=1 << 16) as out:
            try:
                header = run_job(store, union, job, out)
            except Exception as error:  # reported; the server decides
                header = _failure(error).header
        try:
            sock.sendall(encode(header))
        except OSError:  # the server is gone
            return
        if header.get("exit"):
            return


def main(argv: list[str]) -> None:
    """`python -m cskg.web.workers SOCKET_FD RELEASE PARENT_PID MAX_MEMORY [memory]`."""
    sock = socket.socket(fileno=int(argv[0]))
    applied = confine(int(argv[3]) or None, int(argv[2]))
    try:
        from cskg.query.engines import open_release_store, union_options

        store = open_release_store(Path(argv[1]), memory=argv[4:] == ["memory"])
        union = union_options(store)
    except (OSError, MemoryError, CskgError) as error:
        sock.sendall(encode({"ready": False, "message": _message(error)}))
        return
    sock.sendall(encode({"ready": True, "confinement": applied}))
    _serve_jobs(sock, store, union)


# -- the server side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerSpec:
    """How to start a worker: the release (a path, and an open descriptor of the folder that
    names it whatever happens to the path), its memory limit, and whether to load it into
    memory."""

    release: Path
    release_fd: int | None = None
    max_memory: int | None = None
    memory: bool = False

    def release_for_child(self) -> str:
        if self.release_fd is not None and Path("/proc/self/fd").is_dir():
            return f"/proc/self/fd/{self.release_fd}"
        return str(self.release)


class Worker:
    """One worker process and the socket to it; created by `Worker.start`."""

    def __init__(self, process: asyncio.subprocess.Process, sock: socket.socket) -> None:
        self.process, self.sock = process, sock
        self.stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._stderr_task = asyncio.ensure_future(self._read_stderr())
        self.confinement: dict[str, str] = {}

    @classmethod
    async def start(cls, spec: WorkerSpec, startup_timeout: float) -> Worker:
        parent, child = socket.socketpair()
        parent.setblocking(False)
        fds = [child.fileno()] + ([spec.release_fd] if spec.release_fd is not None else [])
        command = [
            sys.executable,
            "-m",
            "cskg.web.workers",
            str(child.fileno()),
            spec.release_for_child(),
            str(os.getpid()),
            str(spec.max_memory or 0),
        ] + (["memory"] if spec.memory else [])
        # started from the event loop's thread: the kernel's parent-death signal is tied to the
        # thread that forked, and this one lives as long as the server
        process = await asyncio.create_subprocess_exec(
            *command,
            pass_fds=fds,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "MALLOC_ARENA_MAX": "2"},
        )
        child.close()
        worker = cls(process, parent)
        try:
            hello = await asyncio.wait_for(worker.read_frame(), startup_timeout)
        except (TimeoutError, EOFError, OSError):
            await worker.kill()
            tail = " ".join(worker.stderr)[-300:]
            raise CskgError(
                f"a query worker did not start within {startup_timeout:g} s"
                + (f": {tail}" if tail else "")
            ) from None
        if not hello.get("ready"):
            await worker.kill()
            raise CskgError(f"a query worker could not open the release: {hello.get('message')}")
        worker.confinement = hello.get("confinement", {})
        return worker

    async def _read_stderr(self) -> None:
        stream = self.process.stderr
        assert stream is not None
        while True:
            try:
                line = await stream.readline()
            except (ValueError, asyncio.LimitOverrunError):  # a line over 64 KB
                line = await stream.read(4096)
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip()[:1000]
            self.stderr.append(text)
            log.warning("query worker %s: %s", self.process.pid, text)

    async def read_frame(self) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        head = await self._recv(loop, _LENGTH.size)
        (size,) = _LENGTH.unpack(head)
        if size > _MAX_FRAME:
            raise EOFError
        return json.loads(await self._recv(loop, size))

    async def _recv(self, loop: asyncio.AbstractEventLoop, size: int) -> bytes:
        data = bytearray()
        while len(data) < size:
            chunk = await loop.sock_recv(self.sock, size - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return bytes(data)

    async def send_job(self, job: dict[str, Any], out_fd: int) -> None:
        frame = encode(job)
        rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [out_fd]))]
        # The length goes with the file descriptor; the worker has read everything sent before,
        # so four bytes always fit in the socket's buffer.
        sent = self.sock.sendmsg([frame[: _LENGTH.size]], rights)
        await asyncio.get_running_loop().sock_sendall(self.sock, frame[sent:])

    async def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        await self.wait()

    async def wait(self) -> int:
        code = await self.process.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stderr_task, 2)
        self.sock.close()
        return code

    async def stop(self) -> None:
        self.sock.close()  # the worker reads end-of-file and exits
        try:
            await asyncio.wait_for(self.process.wait(), 2)
        except TimeoutError:
            await self.kill()
        self._stderr_task.cancel()

    def death(self, code: int) -> QueryRefused:
        """What to tell the client about a worker that died under its query."""
        said = "\n".join(self.stderr)
        if "memory allocation of" in said or "MemoryError" in said:
            return OutOfMemory(_memory_message() + "; it was stopped")
        if code == -signal.SIGKILL:
            return OutOfMemory(
                "the query's worker was killed by the operating system (out of memory?)"
            )
        if "overflowed its stack" in said:
            return BadQuery("the query nests too deeply for the parser")
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        return WorkerCrashed(f"the query's worker crashed ({how}); it has been replaced")


class WorkerPool:
    """A fixed number of workers; `run` hands a job to a free one and returns its header."""

    def __init__(
        self, spec: WorkerSpec, size: int, timeout: float, queue_timeout: float | None = None
    ) -> None:
        self.spec, self.size, self.timeout = spec, max(size, 1), timeout
        self.queue_timeout = queue_timeout if queue_timeout is not None else 3 * timeout
        self.startup_timeout = 600.0 if spec.memory else 60.0  # loading: ~7 s per M triples
        self._idle: asyncio.Queue[Worker] | None = None
        self._all: set[Worker] = set()
        self._replacing: set[asyncio.Task[None]] = set()
        self.confinement: dict[str, str] = {}

    async def start(self) -> None:
        self._idle = asyncio.Queue()
        workers = await asyncio.gather(*(self._spawn() for _ in range(self.size)))
        self.confinement = workers[0].confinement
        for worker in workers:
            self._idle.put_nowait(worker)

    async def _spawn(self) -> Worker:
        worker = await Worker.start(self.spec, self.startup_timeout)
        self._all.add(worker)
        return worker

    async def close(self) -> None:
        for task in list(self._replacing):
            task.cancel()
        workers, self._all = list(self._all), set()
        await asyncio.gather(*(w.stop() for w in workers), return_exceptions=True)

    async def _replace(self, worker: Worker) -> None:
        assert self._idle is not None
        self._all.discard(worker)
        with contextlib.suppress(ProcessLookupError, OSError):
            await worker.kill()
        while True:
            try:
                fresh = await self._spawn()
                break
            except CskgError as error:  # the release is gone, or the machine is full
                log.error("cannot start a query worker: %s; trying again", error)
                await asyncio.sleep(1)
        self._idle.put_nowait(fresh)

    def _replace_later(self, worker: Worker) -> None:
        task = asyncio.ensure_future(self._replace(worker))
        self._replacing.add(task)
        task.add_done_callback(self._replacing.discard)

    async def run(self, job: dict[str, Any], out_fd: int) -> dict[str, Any]:
        if self._idle is None:
            raise CskgError("the query workers are not started")
        try:
            worker = await asyncio.wait_for(self._idle.get(), self.queue_timeout)
        except TimeoutError:
            raise Busy(
                f"every query worker stayed busy for {self.queue_timeout:g} s; try again later"
            ) from None
        try:
            await worker.send_job(job, out_fd)
            header = await asyncio.wait_for(worker.read_frame(), self.timeout)
        except TimeoutError:
            self._replace_later(worker)
            raise QueryTimeout(
                f"the query ran longer than this endpoint's limit of {self.timeout:g} s "
                "and was stopped"
            ) from None
        except (EOFError, OSError, ValueError):
            code = await worker.wait()
            self._replace_later(worker)
            raise worker.death(code) from None
        except BaseException:  # cancelled (the client went away): the worker may be mid-query
            self._replace_later(worker)
            raise
        if header.get("exit"):
            self._replace_later(worker)
        else:
            self._idle.put_nowait(worker)
        return header


class SparqlService:
    """The one safe way to run a query against the release, for the endpoint and the pages.

    `await start()` before use (the app does it on startup), `await close()` after. `run`
    writes an answer into a new temporary file and returns it with its header; `query` returns
    it parsed, as an `Answer`, for pages that show results. Answers waiting in files for their
    clients may hold at most `pending_limit` bytes in all; beyond that new queries are refused
    (503) until slow readers have been served or cut off.
    """

    def __init__(
        self,
        spec: WorkerSpec,
        *,
        timeout: float = 10.0,
        max_rows: int = 10_000,
        max_bytes: int = 32_000_000,
        max_nesting: int = 40,
        workers: int = 2,
        queue_timeout: float | None = None,
        spill: str | None = None,
    ) -> None:
        self.timeout, self.max_rows, self.max_nesting = timeout, max_rows, max_nesting
        self.max_bytes, self.spill = max_bytes, spill
        self.pending, self.pending_limit = 0, 8 * max_bytes
        self.pool = WorkerPool(spec, workers, timeout, queue_timeout)

    async def start(self) -> None:
        await self.pool.start()

    async def close(self) -> None:
        await self.pool.close()

    def release_bytes(self, size: int) -> None:
        self.pending -= size

    async def run(
        self,
        text: str,
        media: Mapping[str, str | None],
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
        max_rows: int | None = None,
    ) -> tuple[dict[str, Any], IO[bytes]]:
        """The header and the file of one answer (status 200), counted in `pending` until the
        caller gives its size back with `release_bytes`; raises a `QueryRefused` otherwise."""
        if self.pending >= self.pending_limit:
            raise Busy("answers waiting for slow clients fill this endpoint's buffer; try again")
        job = {
            "query": text,
            "media": media,
            "default_graphs": list(default_graphs or []),
            "named_graphs": list(named_graphs or []),
            "base_iri": base_iri,
            "max_rows": self.max_rows if max_rows is None else min(max_rows, self.max_rows),
            "max_bytes": self.max_bytes,
            "max_nesting": self.max_nesting,
        }
        out = tempfile.TemporaryFile(dir=self.spill)  # noqa: SIM115 - handed to the caller
        try:
            header = await self.pool.run(job, out.fileno())
        except BaseException:
            out.close()
            raise
        status = header.get("status")
        if status != 200:
            out.close()
            refusal = _REFUSALS.get(status, WorkerCrashed)  # type: ignore[arg-type]
            error = refusal(header.get("message") or "the query failed")
            error.line, error.column = header.get("line"), header.get("column")
            raise error
        self.pending += header["bytes"]
        return header, out

    async def query(
        self, text: str, *, max_rows: int | None = None, base_iri: str | None = None
    ) -> Answer:
        """Run a query within the limits and return its answer parsed (for pages)."""
        media = {"results": "application/sparql-results+json", "graph": "application/n-triples"}
        header, out = await self.run(text, media, max_rows=max_rows, base_iri=base_iri)
        try:
            data = await asyncio.get_running_loop().run_in_executor(None, _read_all, out)
        finally:
            out.close()
            self.release_bytes(header["bytes"])
        return await asyncio.get_running_loop().run_in_executor(None, parse_answer, header, data)


def _read_all(out: IO[bytes]) -> bytes:
    out.seek(0)
    return out.read()


def parse_answer(header: dict[str, Any], data: bytes) -> Answer:
    """An answer the worker wrote as SPARQL JSON or N-Triples, back as an `Answer`."""
    from cskg.query.remote import parse_sparql_json

    truncated = header.get("truncated")
    limit = truncated["limit"] if truncated else None
    if header["kind"] == "graph":
        import pyoxigraph as ox

        from cskg.query.model import ox_triples

        triples = ox_triples(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
        return Answer("graph", triples=triples, truncated=bool(truncated), limit=limit)
    result = parse_sparql_json(data)
    return Answer(
        result.kind,
        result.variables,
        result.rows,
        result.boolean,
        truncated=bool(truncated),
        limit=limit,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
