"""One HTTP(S) GET streamed into a file, that can be cancelled at any moment and gives up on a trickle.

A plain ``response.read(65536)`` blocks until 64 KB have arrived: at 4 KB/s that is 16 seconds
in which a Cancel button does nothing, and a server that sends one byte every few seconds never
trips a socket timeout. Here a *watchdog* thread looks at the transfer every ``poll_interval``
seconds. When the caller cancels, or when fewer than ``min_rate * stall_window`` bytes arrived
in the last ``stall_window`` seconds, it shuts the socket down, which wakes the blocked read at
once; the reading thread then raises :class:`Cancelled` or :class:`TooSlow`. Reads are
``read1`` calls, which return whatever has arrived, so progress is reported as bytes come in.

The watchdog also watches the socket while it connects (a firewall that drops packets would
otherwise hold a Cancel for the whole ``timeout``); only the name lookup cannot be interrupted.
Redirects are followed (at most five), and the proxies of the environment (``https_proxy``,
``no_proxy``...) are used as ``urllib`` would. The socket ``timeout`` still bounds connecting
and each read. No Qt, no MNIST: :mod:`engine.datasets.mnist` turns the errors into its own.
"""
from __future__ import annotations

import functools
import hashlib
import http.client
import socket
import threading
import time
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable
from typing import Any, BinaryIO

CHUNK_SIZE = 64 * 1024  # the most one read returns; it returns less as soon as less has arrived
MAX_REDIRECTS = 5


class Cancelled(Exception):
    """The caller's cancel flag was set."""


class TooSlow(Exception):
    """Fewer than ``min_rate`` bytes per second arrived during a whole ``stall_window``."""


class CannotConnect(Exception):
    """No connection to the server (no network, unknown host, refused, timed out...)."""


class HTTPStatusError(Exception):
    """The server answered with an error status (4xx, 5xx)."""

    def __init__(self, status: int, reason: str):
        super().__init__(f"HTTP {status} {reason}".strip())
        self.status, self.reason = status, reason


def is_cancelled(cancel: Any) -> bool:
    """``cancel`` is None, an Event-like object with ``is_set()``, or a callable returning a bool."""
    if cancel is None:
        return False
    if hasattr(cancel, "is_set"):
        return bool(cancel.is_set())
    return bool(cancel())


class Watchdog:
    """Watches one transfer from its own thread; shuts the socket down on cancel or a trickle."""

    def __init__(self, cancel: Any, min_rate: float, stall_window: float, poll_interval: float):
        self.cancel, self.min_rate, self.stall_window = cancel, min_rate, stall_window
        self.poll_interval = poll_interval
        self.done = 0  # bytes received so far (written by the reading thread)
        self.reason: str | None = None  # "cancelled" or "slow" once tripped
        self.slow_bytes = 0  # what arrived in the last window when it tripped on "slow"
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="download-watchdog", daemon=True)

    def __enter__(self) -> Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopped.set()
        self._thread.join()

    def watch(self, sock: socket.socket | None) -> None:
        """The socket to shut down when the watchdog trips (a redirect brings a new one)."""
        with self._lock:
            self._sock = sock
        if self.reason is not None:
            self._shut_down()

    def check(self) -> None:
        """Raise :class:`Cancelled` or :class:`TooSlow` if the watchdog has tripped (or cancel is set)."""
        if self.reason is None and is_cancelled(self.cancel):
            self.reason = "cancelled"
        if self.reason == "cancelled":
            raise Cancelled()
        if self.reason == "slow":
            raise TooSlow(self.slow_bytes)

    def _watch(self) -> None:
        history: deque[tuple[float, int]] = deque([(time.monotonic(), 0)])
        while not self._stopped.wait(self.poll_interval):
            now = time.monotonic()
            if is_cancelled(self.cancel):
                self._trip("cancelled")
                return
            history.append((now, self.done))
            while len(history) > 1 and history[1][0] <= now - self.stall_window:
                history.popleft()  # keep the newest point at least a window old: the baseline
            since, done_then = history[0]
            if now - since >= self.stall_window and self.done - done_then < self.min_rate * self.stall_window:
                self.slow_bytes = self.done - done_then
                self._trip("slow")
                return

    def _trip(self, reason: str) -> None:
        self.reason = reason
        self._shut_down()

    def _shut_down(self) -> None:
        with self._lock:
            sock = self._sock
        if sock is not None:
            try:  # the base method: for TLS too it wakes a read blocked on the raw socket
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass


def _connection(parts: urllib.parse.SplitResult, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    """A connection for ``parts`` (through the environment's proxy if any) and the request target."""
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"cannot download from a {parts.scheme or 'schemeless'} URL; use http:// or https://")
    host = parts.hostname or ""
    port = parts.port
    target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    proxy = urllib.request.getproxies().get(parts.scheme)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    if proxy and not urllib.request.proxy_bypass(host):
        proxy_parts = urllib.parse.urlsplit(proxy if "://" in proxy else "http://" + proxy)
        if parts.scheme == "https":
            conn = kind(proxy_parts.hostname, proxy_parts.port, timeout=timeout)
            conn.set_tunnel(host, port)
            return conn, target
        conn = http.client.HTTPConnection(proxy_parts.hostname, proxy_parts.port, timeout=timeout)
        return conn, urllib.parse.urlunsplit(parts._replace(fragment=""))
    return kind(host, port, timeout=timeout), target


def _watched_connection(watchdog: Watchdog, address: tuple[str, int], timeout: float, source_address=None):
    """``socket.create_connection`` whose socket the watchdog can shut down while it connects."""
    host, port = address
    error: OSError | None = None
    for family, kind, proto, _, sockaddr in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        sock = socket.socket(family, kind, proto)
        watchdog.watch(sock)
        try:
            sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
            watchdog.check()  # a cancel that broke the connection attempt is a cancel
    raise error or OSError(f"cannot resolve {host}")


def fetch(url: str, out: BinaryIO, *, user_agent: str, timeout: float, cancel: Any = None,
          progress: Callable[[int, int | None], Any] | None = None, min_rate: float = 0.0,
          stall_window: float = 30.0, poll_interval: float = 0.1) -> tuple[str, int, int | None]:
    """GET ``url`` into ``out``; return ``(sha256 hex digest, bytes received, Content-Length or None)``.

    ``progress(done, total_or_None)`` is called as bytes arrive. Raises :class:`Cancelled`,
    :class:`TooSlow`, :class:`CannotConnect`, :class:`HTTPStatusError`, ``ValueError`` for a URL that is not HTTP(S),
    and what ``socket`` and ``http.client`` raise (``OSError``, ``http.client.HTTPException``).
    """
    hasher = hashlib.sha256()
    with Watchdog(cancel, min_rate, stall_window, poll_interval) as watchdog:
        for _ in range(MAX_REDIRECTS + 1):
            watchdog.check()
            conn, target = _connection(urllib.parse.urlsplit(url), timeout)
            conn._create_connection = functools.partial(_watched_connection, watchdog)  # cancellable while connecting
            try:
                try:
                    conn.connect()
                except OSError as exc:
                    watchdog.check()
                    raise CannotConnect(exc.strerror or str(exc) or type(exc).__name__) from exc
                watchdog.watch(conn.sock)
                try:
                    conn.request("GET", target, headers={"User-Agent": user_agent})
                    response = conn.getresponse()
                    if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
                        url = urllib.parse.urljoin(url, response.getheader("Location"))
                        continue
                    if response.status >= 400:
                        raise HTTPStatusError(response.status, response.reason)
                    length = (response.getheader("Content-Length") or "").strip()
                    total = int(length) if length.isdigit() else None
                    done = 0
                    if progress is not None:
                        progress(0, total)
                    while True:
                        watchdog.check()
                        chunk = response.read1(CHUNK_SIZE)
                        watchdog.check()  # a shut-down socket reads as the end: say why it ended
                        if not chunk:
                            return hasher.hexdigest(), done, total
                        out.write(chunk)
                        hasher.update(chunk)
                        done += len(chunk)
                        watchdog.done = done
                        if progress is not None:
                            progress(done, total)
                except (OSError, http.client.HTTPException):
                    watchdog.check()  # the watchdog's shutdown broke the read: say why
                    raise
            finally:
                watchdog.watch(None)
                conn.close()
        raise http.client.HTTPException(f"more than {MAX_REDIRECTS} redirects")
