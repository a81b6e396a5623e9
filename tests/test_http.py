"""cskg's HTTP client (`cskg.query.http`) against servers that misbehave, through the real
command line: `cskg push` and `cskg query --endpoint` stop at their deadline and at their byte
cap, send the password only in the scheme they were given, and print nothing a server sends
unsanitised.

The servers are small HTTP servers written on loopback sockets, one behaviour each: an endless
body, headers or a body trickled a byte every 0.5 s, a Basic challenge to a digest client, an
error page echoing the request's Authorization header, terminal escapes in an error.
"""

from __future__ import annotations

import base64
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REAL_ROOT

from cskg.cli import main
from cskg.errors import CskgError
from cskg.query.engines import EmbeddedStore
from cskg.query.push import make_target

USER, PASSWORD = "pusher", "Zq7-secret-Xylophone-91"  # distinctive, to be searched for
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
ENV = "CSKG_TEST_HTTP_PASSWORD"
ESC = "\x1b"
RELEASE = '<urn:cskg-test:s> <urn:cskg-test:p> "网络安全"@zh <urn:cskg-test:g> .\n'
ASK = "ASK { ?s ?p ?o }"
TRICKLE = 0.5  # seconds between two bytes of a trickling server
GIVE_UP = 40.0  # seconds after which a trickling server stops (a client without a deadline waits)
ENDLESS = (
    400 * 2**20
)  # bytes after which the endless server stops (what a client reads without a cap)


# -- the servers ------------------------------------------------------------------------------

Answer = Callable[["RawServer", socket.socket, str, bytes], bool]


class RawServer:
    """An HTTP/1.1 server on a free loopback port, written on sockets, a thread per connection.

    Every request is kept whole in `received` and answered by `answer(server, conn, method,
    request)`, which returns whether the connection may take another request."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.received: list[bytes] = []
        self.stopping = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.sock.close()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(60)
        with conn:
            try:
                while (request := _read_request(conn)) is not None:
                    self.received.append(request)
                    method = request.split(b" ", 1)[0].decode("ascii")
                    if not self.answer(self, conn, method, request):
                        return
            except OSError:  # the client gave up: what these tests expect
                return

    def seen(self, text: str) -> bool:
        """Whether `text` is anywhere in what the server received."""
        return any(text.encode() in request for request in self.received)


def _read_request(conn: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    while length and len(body) < int(length[1]):
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _send(
    conn: socket.socket, method: str, status: str, headers: dict[str, str], body: bytes = b""
) -> None:
    """An answer with its Content-Length (and without its body, to a HEAD request)."""
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items())]
    lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    conn.sendall(head if method == "HEAD" else head + body)


def _header(request: bytes, name: str) -> str:
    found = re.search(rb"(?im)^" + name.encode() + rb":\s*(.*?)\r$", request)
    return found[1].decode("latin-1") if found else ""


def endless(server: RawServer, conn: socket.socket, method: str, request: bytes) -> bool:
    """200, then SPARQL JSON that never ends (up to `ENDLESS` bytes)."""
    if method == "HEAD":
        _send(conn, method, "200 OK", {})
        return True
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n\r\n")
    conn.sendall(b'{"head": {"vars": ["x"]}, "results": {"bindings": [')
    chunk = b"x" * 65536
    for _ in range(ENDLESS // len(chunk)):
        if server.stopping.is_set():
            break
        conn.sendall(chunk)
    return False


def _trickle(server: RawServer, conn: socket.socket, data: bytes) -> None:
    began = time.monotonic()
    for byte in data:
        if server.stopping.is_set() or time.monotonic() - began > GIVE_UP:
            return
        conn.sendall(bytes([byte]))
        time.sleep(TRICKLE)


def trickled_head(server: RawServer, conn: socket.socket, method: str, request: bytes) -> bool:
    """The status line and headers, a byte every 0.5 s."""
    _trickle(server, conn, b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 200 + b"\r\n")
    return False


def trickled_body(server: RawServer, conn: socket.socket, method: str, request: bytes) -> bool:
    """Headers at once, then the body a byte every 0.5 s."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
    conn.sendall(head + b"Content-Length: 200\r\n\r\n")
    _trickle(server, conn, b" " * 200)
    return False


def asks_basic(server: RawServer, conn: socket.socket, method: str, request: bytes) -> bool:
    """401 with a Basic challenge, to every request."""
    _send(conn, method, "401 Unauthorized", {"WWW-Authenticate": 'Basic realm="store"'})
    return True


def echoing(scheme: str) -> Answer:
    """A challenge in `scheme`; then a 500 page quoting the Authorization header it got (and,
    for Basic, the password decoded from it)."""

    def answer(server: RawServer, conn: socket.socket, method: str, request: bytes) -> bool:
        sent = _header(request, "Authorization")
        if not sent:
            challenge = (
                'Basic realm="store"'
                if scheme == "basic"
                else 'Digest realm="store", nonce="5f1c9a", qop="auth", algorithm=MD5'
            )
            _send(conn, method, "401 Unauthorized", {"WWW-Authenticate": challenge})
            return True
        decoded = ""
        if sent.startswith("Basic "):
            decoded = base64.b64decode(sent.split()[1]).decode()
        page = (
            f"<html><body><h1>Internal error</h1><pre>Request headers:\nAuthorization: {sent}\n"
            f"credentials {decoded} {base64.b64encode(decoded.encode()).decode()}\n"
            f'{{"authorization": "{sent}"}}</pre><p>SR172: Transaction deadlocked</p>'
            "</body></html>"
        )
        headers = {"Content-Type": "text/html"}
        _send(conn, method, "500 Internal Server Error", headers, page.encode())
        return True

    return answer


def escapes(server: RawServer, conn: socket.socket, method: str, request: bytes) -> bool:
    """500 whose body would clear the screen and retitle the terminal."""
    body = "\x1b[2J\x1b]0;owned title\x07Error \x1b[31mSR172\x1b[0m: deadlocked\x9b2J\r\n"
    _send(conn, method, "500 Internal Server Error", {"Content-Type": "text/plain"}, body.encode())
    return True


def escaped_headers(server: RawServer, conn: socket.socket, method: str, request: bytes) -> bool:
    """Header values with a C1 escape (U+009B, CSI) in them: a redirect for push (its Location),
    a 200 that is not SPARQL results for a query (its Content-Type)."""
    if method in ("HEAD", "PUT"):
        head = b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://elsewhere/\x9b2J\r\n"
    else:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\x9b2J\r\n"
    conn.sendall(head + b"Content-Length: 5\r\n\r\nhello")
    return True


# -- running the command ----------------------------------------------------------------------


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    folder = tmp_path / "dist"
    folder.mkdir()
    (folder / "cskg.nq").write_text(RELEASE, encoding="utf-8")
    return folder


def push_argv(dist: Path, url: str, *extra: str) -> list[str]:
    return ["--dist", str(dist), "push", "--endpoint", url + "/sparql", "-q", *extra]


def query_argv(url: str, *extra: str) -> list[str]:
    return ["query", "-e", ASK, "--endpoint", url + "/sparql", *extra]


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str, float]:
    began = time.monotonic()
    code = main(argv)
    seconds = time.monotonic() - began
    out, err = capsys.readouterr()
    return code, out, err, seconds


def one_error_line(code: int, out: str, err: str) -> str:
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("cskg: error: ") and "Traceback" not in err
    return err


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The password, in the environment variable the command reads it from."""
    monkeypatch.setenv(ENV, PASSWORD)
    return ["--user", USER, "--password-env", ENV]


# -- the deadline -----------------------------------------------------------------------------

DEADLINE = 2.0


@pytest.mark.parametrize("answer", [trickled_head, trickled_body], ids=["head", "body"])
@pytest.mark.parametrize("command", ["push", "query"])
def test_a_trickling_server_is_left_at_the_deadline(capsys, dist, answer, command):
    """A byte every 0.5 s never lets a per-read timeout fire; the deadline ends it at 2 s."""
    with RawServer(answer) as server:
        if command == "push":
            argv = push_argv(dist, server.url, "--graph-store", server.url + "/store")
        else:
            argv = query_argv(server.url)
        code, out, err, seconds = run(capsys, [*argv, "--timeout", str(DEADLINE)])
    err = one_error_line(code, out, err)
    assert f"no complete answer within {DEADLINE:g} s" in err
    assert DEADLINE - 0.1 <= seconds < DEADLINE * 4  # generous: a busy machine is slow


# -- the byte cap -----------------------------------------------------------------------------


def test_an_endless_answer_is_refused_at_the_cap(capsys):
    with RawServer(endless) as server:
        code, out, err, seconds = run(capsys, query_argv(server.url, "--max-bytes", "1000000"))
    err = one_error_line(code, out, err)
    assert "the answer is larger than the limit of 1000000 bytes" in err
    assert seconds < 10


def test_an_announced_length_over_the_cap_is_refused_before_reading(capsys):
    def announces(server: RawServer, conn: socket.socket, method: str, request: bytes) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5000000\r\n\r\n{")
        time.sleep(3)  # the rest never comes: a client that waits for it fails the time bound
        return False

    with RawServer(announces) as server:
        code, out, err, seconds = run(capsys, query_argv(server.url, "--max-bytes", "1000000"))
    err = one_error_line(code, out, err)
    assert "larger than the limit of 1000000 bytes (it announces 5000000); refused" in err
    assert seconds < 2.5


PROBE = """\
import resource, sys
import httpx, pyoxigraph
from cskg.cli import main
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
code = main(sys.argv[1:])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(code, before, after)
"""


@pytest.mark.parametrize("command", ["push", "query"])
def test_the_memory_of_a_capped_answer_stays_small(dist, command):
    """An endless answer through a real `cskg` process: its peak memory grows by about the cap
    (push: its fixed 4 MiB; query: --max-bytes 8 MB), not by what the server would send."""
    cap = 8_000_000
    with RawServer(endless) as server:
        if command == "push":
            argv = push_argv(dist, server.url, "--graph-store", server.url + "/store")
        else:
            argv = query_argv(server.url, "--max-bytes", str(cap))
        done = subprocess.run(
            [sys.executable, "-c", PROBE, *argv],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    code, before, after = map(int, done.stdout.split())
    grown = (after - before) * 1024  # ru_maxrss is in kilobytes on Linux
    assert code == 2 and "larger than the limit of" in done.stderr
    assert done.stderr.count("\n") == 1
    assert grown < cap + 40_000_000, f"peak memory grew by {grown / 1e6:.0f} MB"


# -- credentials ------------------------------------------------------------------------------


def test_a_digest_client_never_answers_a_basic_challenge(capsys, dist, secret):
    """The virtuoso profile sends the password only by Digest: a server that asks for Basic gets
    a HEAD without credentials, then nothing; the push stops with a message."""
    with RawServer(asks_basic) as server:
        code, out, err, _ = run(
            capsys, push_argv(dist, server.url, "--profile", "virtuoso", *secret)
        )
    err = one_error_line(code, out, err)
    assert "asks for Basic authentication" in err and "was not sent" in err
    assert PASSWORD not in out + err and BASIC not in out + err
    assert [r.split(b" ", 2)[:2] for r in server.received] == [
        [b"HEAD", b"/sparql-graph-crud-auth?graph=urn%3Acskg-test%3Ag"]
    ]
    assert not server.seen(PASSWORD) and not server.seen(BASIC) and not server.seen("Authorization")


@pytest.mark.parametrize("scheme", ["basic", "digest"])
def test_an_error_page_echoing_the_credentials_is_printed_without_them(
    capsys, dist, secret, scheme
):
    with RawServer(echoing(scheme)) as server:
        argv = push_argv(dist, server.url, "--graph-store", server.url + "/store", *secret)
        code, out, err, _ = run(capsys, [*argv, "--auth", scheme])
        sent = {_header(request, "Authorization") for request in server.received} - {""}
    err = one_error_line(code, out, err)
    assert "HTTP 500 Internal Server Error" in err and "SR172: Transaction deadlocked" in err
    assert sent and all(value.lower().startswith(scheme + " ") for value in sent)  # echoed
    assert PASSWORD not in err and BASIC not in err
    assert "response=" not in err and "5f1c9a" not in err  # digest's hash of the password
    assert "[redacted]" in err


def test_basic_in_clear_text_to_another_host_is_refused(capsys, dist, secret):
    argv = push_argv(dist, "http://store.example.org:3030/ds", "--profile", "fuseki", *secret)
    code, out, err, _ = run(capsys, argv)
    err = one_error_line(code, out, err)
    assert "in clear text to store.example.org" in err and "--allow-insecure-auth" in err
    # allowed when asked, over https, to loopback; digest is never refused
    for url, options in [
        ("http://store.example.org:3030/ds/sparql", {"allow_insecure_auth": True}),
        ("https://store.example.org:3030/ds/sparql", {}),
        ("http://127.0.0.1:3030/ds/sparql", {}),
        ("http://[::1]:3030/ds/sparql", {}),
        ("http://localhost:3030/ds/sparql", {}),
    ]:
        make_target(url, profile="fuseki", user=USER, password=PASSWORD, **options)
    make_target("http://store.example.org:8890/sparql", user=USER, password=PASSWORD)
    with pytest.raises(CskgError, match="clear text"):
        make_target("http://10.0.0.1/sparql", auth="basic", user=USER, password=PASSWORD)


# -- what a server says -----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["push", "query"])
def test_terminal_escapes_in_an_error_body_never_reach_the_terminal(capsys, dist, command):
    with RawServer(escapes) as server:
        if command == "push":
            argv = push_argv(dist, server.url, "--graph-store", server.url + "/store")
        else:
            argv = query_argv(server.url)
        code, out, err, _ = run(capsys, argv)
    err = one_error_line(code, out, err)
    assert ESC not in err and "\x9b" not in err and "\x07" not in err
    assert "HTTP 500 Internal Server Error: Error SR172: deadlocked" in err
    assert "owned title" not in err  # an OSC sequence is dropped whole


@pytest.mark.parametrize("command", ["push", "query"])
def test_escapes_in_header_values_never_reach_the_terminal(capsys, dist, command):
    with RawServer(escaped_headers) as server:
        if command == "push":
            argv = push_argv(dist, server.url, "--graph-store", server.url + "/store")
            expected = "HTTP 307 redirect to http://elsewhere/ not followed"
        else:
            argv = query_argv(server.url)
            expected = "(Content-Type: text/html): hello"
        code, out, err, _ = run(capsys, argv)
    err = one_error_line(code, out, err)
    assert expected in err and "\x9b" not in err and ESC not in err


@pytest.mark.parametrize(
    ("said", "shown"),
    [
        ("plain words", "plain words"),
        ("a\x1b[2Jb\x1b]8;;http://x\x1b\\c\x07d\x00e\u202ef", "abc d e f"),
        ("<html><body><h1>Oops</h1><p>it &amp; broke</p></body></html>", "Oops it &amp; broke"),
        (f"Authorization: Basic {BASIC}", "Authorization: Basic [redacted]"),
        ('authorization: Digest username="u", response="abc123", nonce="n"', "authorization:"),
        ("Proxy-Authorization: Negotiate YIIFzgYGKwYBBQUCoIIFwjCCBb6g", "[redacted]"),
        ("needs basic authentication", "needs basic authentication"),
        (f"pw={PASSWORD}!", "pw=[redacted]!"),
        ("x" * 1000, "x" * 300 + "…"),
    ],
)
def test_server_text(said, shown):
    from cskg.query.http import server_text

    text = server_text(said.encode(), [PASSWORD])
    assert shown in text and PASSWORD not in text and BASIC not in text
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", text) and len(text) <= 301
    assert "abc123" not in text and "YIIFzgYGKwYBBQUCoIIFwjCCBb6g" not in text


# -- a real Virtuoso --------------------------------------------------------------------------


@pytest.mark.virtuoso
@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "table", "sparql-json", "sparql-xml"])
@pytest.mark.parametrize("asserted", [False, True], ids=["union", "asserted"])
def test_an_ask_query_on_virtuoso_renders_like_a_local_one(
    capsys, release, virtuoso, fmt, asserted
):
    """The answer is fetched as SPARQL JSON whatever --format says, and rendered by the same
    code as the embedded store's: the output is the same bytes."""
    extra = ["--asserted"] if asserted else []
    argv = ["--root", str(REAL_ROOT), "query", "realised-claims-have-shortcut", "--format", fmt]
    code, theirs, err, _ = run(capsys, [*argv, "--endpoint", virtuoso.endpoint, *extra])
    assert code == 0, err
    code, ours, err, _ = run(capsys, ["--dist", str(release), *argv, *extra])
    assert code == 0, err
    assert theirs == ours
    with EmbeddedStore(release / "store") as store:
        text = (REAL_ROOT / "queries" / "realised-claims-have-shortcut.rq").read_text("utf-8")
        assert store.query(text).kind == "ask"
