"""`cskg build --cluster`: the parts checked on a real Dask cluster, a scheduler and workers
started here on loopback as `dask scheduler` and `dask worker` processes.

The release is the one the local build writes; a worker killed in the middle has its parts
checked again by another, or, when the scheduler allows no retry, the build fails in one line
and the previous release stays as it was; Ctrl-C cancels the cluster's tasks; a wrong address,
a silent port and a worker unlike this machine are each refused in one line.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import Client

from cskg import api
from cskg.build import cluster as cluster_module
from cskg.build.cluster import ClusterError
from cskg.build.partition import split_parts
from cskg.build.pipeline import build
from cskg.build.sources import load_sources
from cskg.lab.synth import synth

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PART = "cskg-part-"  # how the keys of the build's tasks begin (`cskg.build.cluster`)

pytestmark = pytest.mark.slow


class LoopbackCluster:
    """A `dask scheduler` and `dask worker`s (each with its nanny), processes of their own on
    127.0.0.1, and a client of this test's to watch them."""

    def __init__(self, folder: Path, workers: int, env: dict[str, str] | None = None) -> None:
        self.folder, self.env = folder, {**os.environ, **(env or {})}
        self.processes: list[subprocess.Popen[bytes]] = []
        file = folder / "scheduler.json"
        self.start("scheduler", "--host", "127.0.0.1", "--port", "0", "--scheduler-file", file)
        deadline = time.monotonic() + 60
        while not file.is_file() or not file.read_text():
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.1)
        self.address: str = json.loads(file.read_text())["address"]
        for _ in range(workers):
            self.add_worker()
        self.client = Client(self.address, set_as_default=False, timeout=30)
        self.client.wait_for_workers(workers, timeout=60)
        self.client.get_task_stream()  # the scheduler records the task stream from now on

    def start(self, *argv: object) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{argv[0]}-{len(self.processes)}.log").open("wb")
        process = subprocess.Popen(
            [BIN / "dask", *map(str, argv), "--no-dashboard"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,  # the nanny and its worker are one group, stopped together
        )
        self.processes.append(process)
        return process

    def add_worker(self, *options: object) -> subprocess.Popen[bytes]:
        return self.start(
            "worker", self.address, "--nthreads", "1", "--memory-limit", "0",
            "--local-directory", self.folder / "workers", *options,
        )  # fmt: skip

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def close(self) -> None:
        self.client.close()
        for process in reversed(self.processes):
            self.stop(process)

    def pids(self) -> dict[str, int]:
        return self.client.run(os.getpid)

    def busy_worker(self, build: subprocess.Popen[bytes]) -> tuple[str, set[str]]:
        """A worker given parts of the running `build`, and the parts' keys, once there is one."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert build.poll() is None, "the build ended before a worker had a part"
            for worker, keys in self.client.processing().items():
                parts = {key for key in keys if key.startswith(PART)}
                if parts:
                    return worker, parts
            time.sleep(0.01)
        raise AssertionError("no worker was given a part")

    def kill_busy_worker(self, build: subprocess.Popen[bytes]) -> tuple[str, set[str]]:
        """SIGKILL the process of a worker that holds parts of `build`: its address, its parts."""
        pids = self.pids()
        worker, parts = self.busy_worker(build)
        os.kill(pids[worker], signal.SIGKILL)
        assert build.poll() is None, "the build ended before the worker was killed"
        return worker, parts

    def parts_done(self) -> dict[str, set[str]]:
        """The build tasks the scheduler saw done, by worker."""
        done: dict[str, set[str]] = {}
        for task in self.client.get_task_stream():
            if task["key"].startswith(PART):
                done.setdefault(task["worker"], set()).add(task["key"])
        return done

    def leftovers(self) -> list[str]:
        """The build tasks and worker plugins the scheduler still knows."""

        def known(dask_scheduler) -> list[str]:
            tasks = [str(key) for key in dask_scheduler.tasks if str(key).startswith(PART)]
            return tasks + [name for name in dask_scheduler.worker_plugins if "cskg" in name]

        return list(self.client.run_on_scheduler(known))

    def forgets_the_build(self) -> None:
        """Wait until the scheduler knows no build task nor plugin (it forgets a client's tasks
        once the client has gone)."""
        deadline = time.monotonic() + 30
        while self.leftovers():
            assert time.monotonic() < deadline, self.leftovers()
            time.sleep(0.1)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cluster") / "corpus"
    synth(ROOT, out, 10)
    return out


@pytest.fixture(scope="module")
def local_release(corpus: Path) -> Path:
    result = build(corpus, corpus.parent / "local")
    assert result.written and result.conforms
    return result.out


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackCluster]:
    cluster = LoopbackCluster(tmp_path_factory.mktemp("two-workers"), workers=2)
    yield cluster
    cluster.close()


@pytest.fixture(scope="module")
def no_retries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackCluster]:
    """A scheduler that gives a part lost with its worker to no other worker."""
    env = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"}
    cluster = LoopbackCluster(tmp_path_factory.mktemp("no-retries"), workers=1, env=env)
    yield cluster
    cluster.close()


def start_build(corpus: Path, out: Path, address: str) -> subprocess.Popen[bytes]:
    argv = [BIN / "cskg", "--root", corpus, "build", "-q", "--out", out, "--cluster", address]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(build: subprocess.Popen[bytes]) -> tuple[int, str]:
    _, err = build.communicate(timeout=120)
    return build.returncode, err.decode()


def one_line_error(err: str) -> str:
    assert "Traceback" not in err, err
    assert err.count("\n") == 1 and err.startswith("cskg: error: "), err
    return err


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def stored(release: Path) -> list[str]:
    """The quads of a release's store, in a stable order (RocksDB's files differ from one load
    to the next, what they hold must not)."""
    import pyoxigraph as ox

    store = ox.Store.read_only(str(release / "store"))
    return sorted(str(quad) for quad in store)


def assert_same_release(built: Path, local: Path) -> None:
    """What the two builds wrote is the same: byte for byte, but for when they were built (and
    the time and memory each step took), the JSON-LD ontology compared as a graph (rdflib's JSON-LD
    writer orders the nodes differently from one run to the next) and the store by its quads."""
    from rdflib import Graph
    from rdflib.compare import isomorphic

    ours, theirs = (
        {name: data for name, data in tree(folder).items() if not name.startswith("store/")}
        for folder in (built, local)
    )
    assert ours.keys() == theirs.keys()
    assert ours["cskg.nq"] == theirs["cskg.nq"]
    assert len(ours["cskg.nq"]) > 1_000_000
    for name in ours.keys() - {"build.json", "void.ttl", "ontology.jsonld"}:
        assert ours[name] == theirs[name], name
    assert stored(built) == stored(local)
    ours_json, theirs_json = (json.loads(t["build.json"]) for t in (ours, theirs))
    for changing in ("built", "timings", "memory"):
        ours_json.pop(changing), theirs_json.pop(changing)
    assert ours_json == theirs_json
    modified = b"dcterms:modified"
    assert [line for line in ours["void.ttl"].splitlines() if modified not in line] == [
        line for line in theirs["void.ttl"].splitlines() if modified not in line
    ]
    jsonld = [Graph().parse(data=t["ontology.jsonld"], format="json-ld") for t in (ours, theirs)]
    assert len(jsonld[0]) > 500 and isomorphic(*jsonld)


def test_the_cluster_builds_the_local_release(
    two_workers: LoopbackCluster, corpus: Path, local_release: Path, tmp_path: Path
) -> None:
    build = start_build(corpus, tmp_path / "dist", two_workers.address)
    code, err = finish(build)
    assert code == 0, err
    assert_same_release(tmp_path / "dist", local_release)
    # every part was checked on the cluster, by both workers, and the plugin is gone
    parts = len(split_parts(load_sources(corpus).quads).groups)
    done = two_workers.parts_done()
    assert set(done) == set(two_workers.pids())
    assert len(set.union(*done.values())) == parts >= 10
    two_workers.forgets_the_build()


def test_a_killed_workers_parts_are_checked_again(
    two_workers: LoopbackCluster, corpus: Path, local_release: Path, tmp_path: Path
) -> None:
    build = start_build(corpus, tmp_path / "dist", two_workers.address)
    killed, parts = two_workers.kill_busy_worker(build)
    code, err = finish(build)
    assert code == 0, err
    assert_same_release(tmp_path / "dist", local_release)
    done_elsewhere = set.union(
        *(keys for w, keys in two_workers.parts_done().items() if w != killed)
    )
    assert parts & done_elsewhere, "no part of the killed worker was checked again elsewhere"
    two_workers.client.wait_for_workers(2, timeout=60)  # its nanny starts it again


def test_a_killed_worker_without_retries_fails_and_keeps_the_release(
    no_retries: LoopbackCluster, corpus: Path, local_release: Path, tmp_path: Path
) -> None:
    out = tmp_path / "dist"
    shutil.copytree(local_release, out)
    before = tree(out), sorted(p.name for p in tmp_path.iterdir())
    build = start_build(corpus, out, no_retries.address)
    no_retries.kill_busy_worker(build)
    code, err = finish(build)
    assert code == 2
    assert f"was lost: 1 worker of the cluster at {no_retries.address} died" in one_line_error(err)
    assert "more than its scheduler allows (distributed.scheduler.allowed-failures = 0)" in err
    # nothing written: the release as it was, nothing staged beside it
    assert (tree(out), sorted(p.name for p in tmp_path.iterdir())) == before
    no_retries.client.wait_for_workers(1, timeout=60)


def test_ctrl_c_cancels_the_clusters_tasks(
    two_workers: LoopbackCluster, corpus: Path, tmp_path: Path
) -> None:
    build = start_build(corpus, tmp_path / "dist", two_workers.address)
    two_workers.busy_worker(build)
    build.send_signal(signal.SIGINT)
    code, err = finish(build)
    assert (code, err.splitlines()[-1]) == (2, "cskg: interrupted"), err
    assert not (tmp_path / "dist").exists()
    two_workers.forgets_the_build()


def test_a_worker_unlike_this_machine_is_refused(
    no_retries: LoopbackCluster, corpus: Path, tmp_path: Path
) -> None:
    preload = tmp_path / "unlike.py"
    preload.write_text('import cskg\n\ncskg.__version__ = "0.0.1+unlike"\n', encoding="utf-8")
    unlike = no_retries.add_worker("--preload", preload)
    try:
        no_retries.client.wait_for_workers(2, timeout=60)
        code, err = finish(start_build(corpus, tmp_path / "dist", no_retries.address))
    finally:
        no_retries.stop(unlike)
    assert code == 2
    assert "is unlike this machine (cskg 0.0.1+unlike there, " in one_line_error(err)
    assert not (tmp_path / "dist").exists()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("address", "said"),
    [
        (None, "(Connection refused)"),
        ("127.0.0.1:8786", "give it as tcp://HOST:PORT"),
        ("tcp://127.0.0.1:70000", "give it as tcp://HOST:PORT"),
    ],
)
def test_a_wrong_address_is_one_line_and_quick(
    corpus: Path, tmp_path: Path, address: str | None, said: str
) -> None:
    address = address or f"tcp://127.0.0.1:{free_port()}"
    began = time.monotonic()
    code, err = finish(start_build(corpus, tmp_path / "dist", address))
    assert code == 2 and said in one_line_error(err)
    assert time.monotonic() - began < cluster_module.CONNECT_SECONDS
    assert not (tmp_path / "dist").exists()


def test_a_silent_port_is_given_up_in_bounded_time(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster_module, "CONNECT_SECONDS", 1.0)
    with socket.socket() as listener:  # accepts connections and never says a word
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        accepted: list[socket.socket] = []
        threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
        began = time.monotonic()
        with pytest.raises(ClusterError, match=r"nothing said within 1 s"):
            api.build(
                corpus, tmp_path / "dist", cluster=f"tcp://127.0.0.1:{listener.getsockname()[1]}"
            )
        assert time.monotonic() - began < 5
        assert accepted, "the probe never connected"
    assert not (tmp_path / "dist").exists()
