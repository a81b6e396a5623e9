"""The parts checked on a Dask distributed cluster: `cskg build --cluster tcp://HOST:PORT`.

This process is the cluster's client. It connects to the scheduler (a one-line error when none
answers within `CONNECT_SECONDS`) and checks that every worker runs what this machine runs
(`identity`: the versions of cskg, Python, pyoxigraph, rdflib and the engines). It then
registers a `WorkerPlugin` that carries what every part shares (`cskg.build.pool.Shared`, as
bytes) to each worker once, also to a worker that joins later (one its nanny restarted), and
gives the parts to the scheduler as tasks: a part's quads go as N-Quads, its result comes back
as `cskg.build.pool.Shipped`. The workers need cskg installed, none of the project's files.
The parts go through the scheduler rather than straight to a worker (`Client.scatter`), which
would halve the bytes on the wire (`benchmarks/cluster.md`) but leave a part only on the worker
that died with it; held by the scheduler, it can go to another.

A worker that dies is the scheduler's to handle: it gives the worker's parts to others, a part
at most `distributed.scheduler.allowed-failures` times again (3 unless the scheduler is told
otherwise); beyond that, or when the cluster has had no worker for `NO_WORKERS_SECONDS`, the
build fails with a one-line error, before anything is written. Ctrl-C or an error cancels the
parts still in flight (`cskg.build.pool`), and the plugin leaves the workers when the build
ends, whatever its outcome. What goes wrong reaches the caller as a `ClusterError`; the Dask
client's own log, which would repeat it as a traceback, is kept quiet while connected.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

from distributed import CancelledError, Client, KilledWorker, WorkerPlugin, get_worker
from distributed.comm.core import CommClosedError

from cskg.build.engines import Engines
from cskg.build.pool import PartChecker, Shared, Shipped, Submitter, Task
from cskg.errors import CskgError

if TYPE_CHECKING:
    from distributed import Future, Worker

ADDRESS = re.compile(r"tcp://(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(?P<port>[0-9]{1,5})")
#: how long the scheduler has to answer
CONNECT_SECONDS = 10.0
#: how long the build waits for a worker when the cluster has none
NO_WORKERS_SECONDS = 60.0
#: how often a wait for a part looks whether the cluster still has workers
POLL_SECONDS = 1.0


class ClusterError(CskgError):
    """The cluster cannot check the parts: no scheduler, a worker unlike this machine, workers
    lost."""


def scheduler_address(address: str) -> tuple[str, int]:
    """The host and port of a scheduler's address `tcp://HOST:PORT`; ClusterError for another
    form."""
    match = ADDRESS.fullmatch(address)
    if not match or not 0 < int(match["port"]) < 65536:
        raise ClusterError(f"cluster address {address[:60]!r}: give it as tcp://HOST:PORT")
    return match["host"].strip("[]"), int(match["port"])


def identity(engines: Engines) -> dict[str, str]:
    """What this machine and every worker must share for the release to be the same: the
    versions of cskg, of Python, of the RDF libraries and of the engines (by their packages)."""
    import platform
    from importlib import metadata

    import cskg

    found = {"cskg": cskg.__version__, "python": ".".join(platform.python_version_tuple()[:2])}
    for package in ("pyoxigraph", "rdflib", engines.reasoner.name, engines.validator.name):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def differences(worker: str, found: dict[str, str], expected: dict[str, str]) -> str | None:
    """What the worker at `worker` runs unlike this machine, as the one-line error, or None."""
    unlike = [
        f"{name} {found.get(name, '?')} there, {version} here"
        for name, version in expected.items()
        if found.get(name) != version
    ]
    if not unlike:
        return None
    return f"worker {worker} is unlike this machine ({'; '.join(unlike)}); install the same there"


@contextlib.contextmanager
def connected(address: str, engines: Engines) -> Iterator[DaskCluster]:
    """The cluster whose scheduler is at `address`, its workers checked against this machine;
    the connection closed when the context ends."""
    _probe(address)
    with _quiet_client_logs():
        try:
            client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except Exception as error:  # whatever a server that is no scheduler makes it raise
            raise ClusterError(f"no scheduler at {address} ({type(error).__name__})") from None
        try:
            expected = identity(engines)
            for worker, found in client.run(identity, engines).items():
                problem = differences(worker, found, expected)
                if problem:
                    raise ClusterError(problem)
            yield DaskCluster(client, address, expected)
        finally:
            client.close()


@contextlib.contextmanager
def _quiet_client_logs() -> Iterator[None]:
    """The log handlers Dask gives its loggers (and tornado's) silenced, then set back."""
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    handlers = [
        handler
        for logger in loggers
        if logger.name.split(".")[0] in ("distributed", "tornado")
        for handler in logger.handlers
    ]
    levels = [handler.level for handler in handlers]
    for handler in handlers:
        handler.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for handler, level in zip(handlers, levels, strict=True):
            handler.setLevel(level)


def _probe(address: str) -> None:
    """ClusterError unless the server at `address` speaks first, as a scheduler does (it sends
    its handshake as soon as a connection opens): a quick answer when nothing listens, and a
    bounded one when something listens but stays silent, which the client would wait for."""
    try:
        with socket.create_connection(scheduler_address(address), CONNECT_SECONDS) as probe:
            if probe.recv(1):
                return
        reason = "it closed the connection"
    except TimeoutError:
        reason = f"nothing said within {CONNECT_SECONDS:.0f} s"
    except OSError as error:
        reason = error.strerror or str(error)
    raise ClusterError(f"no scheduler answers at {address} ({reason})")


class DaskCluster:
    """A connected cluster as the pool's `cskg.build.pool.Workers`."""

    def __init__(self, client: Client, address: str, expected: dict[str, str]) -> None:
        self.client, self.address, self.expected = client, address, expected
        self.without_workers_since: float | None = None

    @contextlib.contextmanager
    def started(self, shared: Shared) -> Iterator[Submitter]:
        plugin = PartsPlugin(shared, self.expected)
        try:
            # raises, from each worker that is unlike this machine, its ClusterError
            self.client.register_plugin(plugin)
            threads = sum(self.client.nthreads().values())
            yield _ClusterSubmitter(self, plugin.name, slots=max(4, 2 * threads))
        finally:
            with contextlib.suppress(OSError):  # a scheduler gone has no plugin left
                self.client.unregister_worker_plugin(plugin.name)

    def check_workers(self) -> None:
        """ClusterError when the cluster has had no worker for `NO_WORKERS_SECONDS`."""
        if self.client.nthreads():
            self.without_workers_since = None
            return
        now = time.monotonic()
        self.without_workers_since = self.without_workers_since or now
        if now - self.without_workers_since > NO_WORKERS_SECONDS:
            raise ClusterError(
                f"the cluster at {self.address} has had no worker for {NO_WORKERS_SECONDS:.0f} s"
            )


class _ClusterSubmitter:
    def __init__(self, cluster: DaskCluster, plugin: str, slots: int) -> None:
        self.cluster, self.plugin, self.slots = cluster, plugin, slots
        self.numbers = itertools.count(1)

    def submit(self, task: Task) -> _ClusterPart:
        number = next(self.numbers)
        key = f"cskg-part-{self.plugin.removeprefix('cskg-parts-')}-{number}"
        future = self.cluster.client.submit(_check_on_worker, self.plugin, task, key=key)
        return _ClusterPart(future, number, self.cluster)


class _ClusterPart:
    """A part given to the cluster, its failures told as `ClusterError`s."""

    def __init__(self, future: Future, number: int, cluster: DaskCluster) -> None:
        self.future, self.number, self.cluster = future, number, cluster

    def result(self) -> Shipped:
        try:
            return self._wait()
        except KilledWorker as error:
            died = error.allowed_failures + 1
            raise ClusterError(
                f"part {self.number} was lost: {died} worker{'s' * (died > 1)} of the cluster "
                f"at {self.cluster.address} died checking it, more than its scheduler allows "
                f"(distributed.scheduler.allowed-failures = {died - 1})"
            ) from None
        except (CancelledError, CommClosedError):
            raise ClusterError(
                f"part {self.number}: the connection to the scheduler at "
                f"{self.cluster.address} was lost"
            ) from None

    def _wait(self) -> Shipped:
        while True:
            try:
                return cast(Shipped, self.future.result(timeout=POLL_SECONDS))
            except TimeoutError:
                self.cluster.check_workers()

    def cancel(self) -> bool:
        with contextlib.suppress(OSError):  # a scheduler gone has no task left either
            self.future.cancel()
            return True
        return False


class PartsPlugin(WorkerPlugin):
    """What every part shares, on each worker; its checker is made by the first part there."""

    def __init__(self, shared: Shared, expected: dict[str, str]) -> None:
        self.name = f"cskg-parts-{uuid.uuid4().hex}"
        self.shared, self.expected = shared, expected

    def setup(self, worker: Worker) -> None:
        self.lock = threading.Lock()
        self.checker: PartChecker | None = None
        self.problem = differences(worker.address, identity(self.shared.engines), self.expected)
        if self.problem:
            raise ClusterError(self.problem)

    def check(self, task: Task) -> Shipped:
        if self.problem:  # a worker that joined later, unlike this machine
            raise ClusterError(self.problem)
        with self.lock:  # made in a task's thread, not in the worker's event loop
            if self.checker is None:
                self.checker = self.shared.checker()
        return self.checker.check_group(task)


def _check_on_worker(plugin: str, task: Task) -> Shipped:
    """A part checked on a worker, by the build's plugin there."""
    return cast(PartsPlugin, get_worker().plugins[plugin]).check(task)
