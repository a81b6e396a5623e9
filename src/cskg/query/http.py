"""cskg's HTTP client, for `cskg push` and `cskg query --endpoint`: bounded, and careful with
credentials.

Every request has two bounds, whatever the server does:

- a **deadline**: connecting (name lookup included), TLS, sending, the status line and headers and
  the whole body must be done within `timeout` seconds of the start. httpx's own timeouts count
  per network operation, so a server sending a byte a second keeps such a client waiting for
  ever; here every network operation of httpcore (the library under httpx) is given only the
  time left (`_BoundedBackend`, through `httpcore.ConnectionPool(network_backend=...)`);
- a **byte cap**: the answer is read as a stream and refused as soon as it passes `max_bytes`
  (before reading anything when its Content-Length says so). Answers are asked for uncompressed
  (`Accept-Encoding: identity`), so the bytes counted are the bytes held; a compressed answer is
  refused. The status line and headers are bounded by httpcore (100 KiB).

Credentials (`Credentials`) go only to the origins (scheme, host, port) they were given for,
only once a server of those origins has asked (HTTP 401) in the scheme chosen beforehand —
Digest, or Basic when the store's profile or the user says so — and never in another: a server
that asks a Digest client for Basic gets nothing, and the request fails with a message saying
why. Basic, which carries the password itself, is refused in clear text (http://) to a host that
is not loopback unless explicitly allowed. Redirects are never followed.

Whatever a server sends that ends up in a message (a body, a reason phrase, a header value,
a protocol error quoting its bytes) goes through `server_text` first: control characters and
terminal escape sequences removed, anything that looks like credentials (and the password in
any form) removed, length bounded.

Proxy variables (`HTTP_PROXY` and the like) are not read: requests go to the server itself.
"""

from __future__ import annotations

import base64
import contextvars
import html
import ipaddress
import json
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

from cskg.errors import CskgError

SCHEMES = ("digest", "basic")

#: the time by which the current request must be done (time.monotonic()); None outside requests
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "cskg_http_deadline", default=None
)


# -- what a server says, made safe to print ----------------------------------------------------

_ESCAPES = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC (window titles, hyperlinks), to BEL or ST
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI (colours, cursor, clear screen)
    r"|\x1b[ -/]*[0-~]"  # other escape sequences
)
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_DIGEST = re.compile(r"(?i)\bdigest\s+(?:[\w-]+\s*=\s*(?:\"[^\"]*\"|[^\s,\"]+)\s*,?\s*)+")
_BASIC = re.compile(r"(?i)\bbasic\s+([A-Za-z0-9+/]{4,}={0,2})")
_AUTHORIZATION = re.compile(
    r"(?i)\b((?:proxy-)?authorization\"?)\s*[:=]\s*(?!(?:\w+ )?\[redacted\])"
    r"(?:\"[^\"]*\"|\S+(?:\s+[\w+/=.~-]{8,})?)"
)
_WINDOW = 64 * 1024  # characters of a body looked at: messages are short


def server_text(data: bytes | str | None, secrets: Iterable[str] = (), limit: int = 300) -> str:
    """What a server sent, as one line that is safe to print: terminal escapes and control
    characters removed, HTML tags dropped, credentials and every form of `secrets` removed,
    at most `limit` characters."""
    if not data:
        return ""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
    if len(text) > _WINDOW:  # cut where no secret can straddle the cut
        text = text[: _WINDOW - max(map(len, secrets), default=0)]
    text = _without(text, secrets)
    text = _ESCAPES.sub("", text)
    text = _CONTROLS.sub(" ", text)
    if "<" in text and re.search(r"<(html|body|h1|p|pre)\b", text, re.IGNORECASE):
        text = re.sub(r"<[^>]+>", " ", text)
    text = _DIGEST.sub("Digest [redacted] ", text)  # its response is a hash of the password
    text = _BASIC.sub(_basic, text)
    text = _AUTHORIZATION.sub(r"\1: [redacted]", text)
    text = _without(re.sub(r"\s+", " ", text).strip(), secrets)
    return text[:limit] + ("…" if len(text) > limit else "")


def _basic(found: re.Match[str]) -> str:
    """Basic credentials (base64 of "user:password") redacted; other words after "basic" kept."""
    token = found[1]
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
    except ValueError:
        return found[0]
    return "Basic [redacted]" if b":" in decoded else found[0]


def _without(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    return text


# -- the deadline, for every network operation -------------------------------------------------


def _left(timeout: float | None) -> float | None:
    """The timeout for one network operation: what is left of the request's deadline (and no
    more than httpcore's own per-operation `timeout`)."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.TimeoutException("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _BoundedStream(httpcore.NetworkStream):
    """A connection whose reads and writes end by the current request's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        # socket.sendall counts its timeout for the whole buffer (Python >= 3.5)
        self._stream.write(buffer, _left(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        # the TLS handshake counts its timeout for the whole handshake (Python >= 3.5)
        return _BoundedStream(self._stream.start_tls(ssl_context, server_hostname, _left(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _BoundedBackend(httpcore.NetworkBackend):
    """httpcore's socket backend with every operation bounded by the request's deadline."""

    def __init__(self) -> None:
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        error: Exception = httpcore.ConnectError(f"{host} has no address")
        for address in _addresses(host, port, _left(timeout)):
            try:
                stream = self._sockets.connect_tcp(
                    address, port, _left(timeout), local_address, socket_options
                )
            except httpcore.ConnectError as refused:  # the next address, as create_connection
                error = refused
                continue
            return _BoundedStream(stream)
        raise error

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _addresses(host: str, port: int, timeout: float | None) -> list[str]:
    """The host's addresses, looked up within `timeout` (the system resolver's own timeouts are
    far longer: a lookup left behind ends on its own, in a daemon thread)."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    found: list[Any] = []

    def lookup() -> None:
        try:
            found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as error:
            found.append(error)

    thread = threading.Thread(target=lookup, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise httpcore.ConnectTimeout(f"no address for {host} in time")
    if found and isinstance(found[0], OSError):
        raise httpcore.ConnectError(f"cannot look up {host}: {found[0]}")
    return list(dict.fromkeys(info[4][0] for info in found))


class _Transport(httpx.BaseTransport):
    """httpx over an httpcore connection pool whose network operations keep the deadline."""

    def __init__(self) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            network_backend=_BoundedBackend(),
            max_connections=10,
            keepalive_expiry=5.0,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        answer = self._pool.handle_request(
            httpcore.Request(
                method=request.method,
                url=httpcore.URL(
                    scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
                ),
                headers=request.headers.raw,
                content=request.stream,
                extensions=request.extensions,
            )
        )
        return httpx.Response(
            answer.status,
            headers=answer.headers,
            stream=_Body(answer.stream),  # type: ignore[arg-type]
            extensions=answer.extensions,
        )

    def close(self) -> None:
        self._pool.close()


class _Body(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


# -- credentials ------------------------------------------------------------------------------


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


def is_loopback(host: str) -> bool:
    """True for `localhost` and the loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Credentials:
    """A user and password for the servers at `urls`, sent by `scheme` ("digest" or "basic").

    Refuses Basic in clear text (http://) to a host that is not loopback unless
    `allow_insecure`: the password itself would cross the network readable."""

    user: str
    password: str = field(repr=False)
    scheme: str
    urls: tuple[str, ...]
    allow_insecure: bool = False

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise CskgError(f"unknown authentication {self.scheme!r}; one of {', '.join(SCHEMES)}")
        if self.scheme != "basic" or self.allow_insecure:
            return
        for url in self.urls:
            parts = urllib.parse.urlsplit(url)
            if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
                raise CskgError(
                    f"Basic authentication would send the password in clear text to "
                    f"{parts.hostname} (http://); use https, or --allow-insecure-auth"
                )

    def secrets(self) -> set[str]:
        """The password in every form a server could echo it back in."""
        password, pair = self.password, f"{self.user}:{self.password}".encode()
        return {
            password,
            html.escape(password),
            urllib.parse.quote(password, safe=""),
            urllib.parse.quote_plus(password),
            json.dumps(password)[1:-1],
            base64.b64encode(pair).decode("ascii"),
        }


class _ChallengedAuth(httpx.Auth):
    """The credentials, offered only to their origins, only once asked, only in their scheme.

    A request goes out without credentials until a server of those origins answers 401 with a
    challenge in the credentials' scheme; the request is then repeated with the answer, and
    from then on every request carries the credentials from the start. So a request is sent
    once, not twice (a store that answers 401 before reading a large body, as Virtuoso does from
    about 3 MB, resets the connection while a body sent without credentials is still going).
    A challenge in another scheme is not answered: `refused` keeps what was asked, and the 401
    stands."""

    def __init__(self, credentials: Credentials) -> None:
        self._origins = {_origin(httpx.URL(url)) for url in credentials.urls}
        self.scheme = credentials.scheme
        self._auth: httpx.Auth = (
            httpx.DigestAuth(credentials.user, credentials.password)
            if credentials.scheme == "digest"
            else httpx.BasicAuth(credentials.user, credentials.password)
        )
        self._answering = False  # a challenge has been answered: send them from the start
        self.refused: str | None = None  # the schemes a server asked for instead

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if _origin(request.url) not in self._origins:
            yield request
            return
        if self._answering:
            yield from self._auth.auth_flow(request)
            return
        response = yield request
        if response.status_code != 401:
            return
        offered = {
            h.split(" ", 1)[0].lower() for h in response.headers.get_list("WWW-Authenticate")
        }
        if self.scheme not in offered:  # (no challenge at all: the 401 stands as it is)
            self.refused = ", ".join(sorted(s.capitalize() for s in offered if s)) or None
            return
        self.refused, self._answering = None, True
        flow = self._auth.auth_flow(request)
        first = next(flow)
        if self.scheme == "digest":  # `first` is the request as it was, just answered
            first = flow.send(response)
        yield first


# -- the client -------------------------------------------------------------------------------


def short(url: str) -> str:
    """A URL for messages: without its query string."""
    return url.split("?", 1)[0]


@dataclass
class Answer:
    """A complete answer: its status, reason phrase, headers and body (at most the cap)."""

    where: str  # "METHOD URL (what)", for messages
    status: int
    reason: str
    headers: httpx.Headers
    body: bytes


class Client:
    """An HTTP client with a deadline and a byte cap per request, kept-alive connections,
    credentials as `Credentials` says, and no redirects followed. One request at a time."""

    def __init__(
        self, *, timeout: float, max_bytes: int, credentials: Credentials | None = None
    ) -> None:
        if timeout <= 0:
            raise CskgError("the timeout must be positive")
        if max_bytes < 1:
            raise CskgError("the byte limit must be positive")
        self.timeout, self.max_bytes = timeout, max_bytes
        self._auth = _ChallengedAuth(credentials) if credentials else None
        self._secrets = credentials.secrets() if credentials else set()
        self._http = httpx.Client(
            transport=_Transport(),
            auth=self._auth,
            timeout=timeout,
            follow_redirects=False,  # a redirect would carry the data (and credentials) elsewhere
            trust_env=False,
            headers={"Accept-Encoding": "identity"},
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def text(self, data: bytes | str | None, limit: int = 300) -> str:
        """What a server sent, safe to print (`server_text`, this client's password removed)."""
        return server_text(data, self._secrets, limit)

    def send(
        self,
        method: str,
        url: str,
        what: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """One request, done within the deadline, its answer read whole within the byte cap.

        Any HTTP status is returned; a failure to get a complete answer is a CskgError, as is a
        401 whose challenge asked for another scheme than the credentials'."""
        where = f"{method} {short(url)} ({what})"
        token = _DEADLINE.set(time.monotonic() + self.timeout)
        try:
            with self._http.stream(method, url, content=body, headers=headers) as response:
                answer = Answer(
                    where,
                    response.status_code,
                    response.reason_phrase,
                    response.headers,
                    self._read(response, where),
                )
        except httpcore.TimeoutException:
            raise CskgError(f"{where}: no complete answer within {self.timeout:g} s") from None
        except (httpcore.NetworkError, httpcore.ProtocolError, httpx.TransportError) as error:
            raise self._network_error(error, where) from None
        finally:
            _DEADLINE.reset(token)
        if answer.status == 401 and self._auth is not None and self._auth.refused:
            asked, ours = self.text(self._auth.refused, 80), self._auth.scheme.capitalize()
            raise CskgError(
                f"{where}: the server asks for {asked} authentication; the password goes only "
                f"by {ours} (the profile's, or --auth) and was not sent"
            )
        return answer

    def _read(self, response: httpx.Response, where: str) -> bytes:
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding != "identity":
            raise CskgError(
                f"{where}: HTTP {response.status_code} answered with Content-Encoding "
                f"{self.text(encoding, 40)}, which was not asked for"
            )
        announced = response.headers.get("Content-Length", "")
        if announced.isdigit() and int(announced) > self.max_bytes:
            raise self._too_large(where, f" (it announces {int(announced)})")
        data = bytearray()
        try:
            for chunk in response.iter_raw():
                data += chunk
                if len(data) > self.max_bytes:
                    raise self._too_large(where)
        except httpcore.RemoteProtocolError:
            more = f", {int(announced) - len(data)} more announced" if announced.isdigit() else ""
            raise CskgError(
                f"{where}: the answer was cut short ({len(data)} bytes received{more})"
            ) from None
        return bytes(data)

    def _too_large(self, where: str, announced: str = "") -> CskgError:
        return CskgError(
            f"{where}: the answer is larger than the limit of {self.max_bytes} bytes{announced}; "
            "refused"
        )

    def _network_error(self, error: Exception, where: str) -> CskgError:
        cause: BaseException | None = error
        while cause is not None:  # httpcore's error wraps the OSError
            if isinstance(cause, ConnectionRefusedError):
                return CskgError(f"{where}: connection refused (is the server running?)")
            cause = cause.__cause__ or cause.__context__
        return CskgError(f"{where}: {self.text(str(error)) or type(error).__name__}")

    def failure(self, answer: Answer, hint: str = "") -> CskgError:
        """The error for an answer that is not the success asked for: its status, `hint`, and
        what the server said (a redirect: where to, not followed)."""
        status = f"HTTP {answer.status} {self.text(answer.reason, 80)}".rstrip()
        if 300 <= answer.status < 400:
            location = self.text(short(answer.headers.get("Location", "")), 200)
            return CskgError(
                f"{answer.where}: HTTP {answer.status} redirect to {location or '(no Location)'} "
                "not followed; give the final URL"
            )
        said = self.text(answer.body)
        if hint:
            return CskgError(f"{answer.where}: {status}: {hint}" + (f" ({said})" if said else ""))
        return CskgError(f"{answer.where}: {status}" + (f": {said}" if said else ""))
