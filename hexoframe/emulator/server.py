"""The emulator's HTTP/1.1 server and the :class:`Emulator` front object.

A threaded server on loopback with keep-alive: every answer carries a
``Content-Length``, request bodies are read completely, and idle connections time out.
Transport faults (dropped or truncated bodies) are applied here, after the WSGI
application has produced the full answer.

Examples
--------
>>> import requests
>>> with Emulator() as emu:
...     r = requests.get(emu.url + "/api/v1/record/", auth=("athlete@hexoskin.com", "hexoskin"))
...     r.json()["meta"]["total_count"]
29
"""

from __future__ import annotations

import io
import json
import logging
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from hexoframe.emulator.app import EmulatorApp, Stats
from hexoframe.emulator.auth import OAUTH_CLIENT, Authenticator
from hexoframe.emulator.cache import ANSWER_CACHE_BYTES
from hexoframe.emulator.clock import Clock
from hexoframe.emulator.faults import FaultConfig, FaultInjector
from hexoframe.emulator.store import DEMO_USERS, Store, add_import

log = logging.getLogger("hexoframe.emulator")

MAX_BODY = 16_000_000
CHUNK = 64 * 1024  # bytes written per step when a bandwidth is set


class Network:
    """Network shaping of a distant service, and the counters that show it applied.

    Every answer is held back by ``latency`` seconds (the round trip a distant client
    pays per request), and with a ``bandwidth`` the answer bodies share one link of
    that many bytes per second: bodies are written in chunks of 64 KiB, each waiting
    for its turn on the link, so concurrent answers split the bandwidth between them.

    Parameters
    ----------
    latency : float
        Seconds added to every request (a round trip).
    bandwidth : float, optional
        Bytes per second of the shared link; ``None`` for no limit.

    Examples
    --------
    >>> net = Network(latency=0.08, bandwidth=1_000_000)
    >>> net.link_seconds(500_000)
    0.5
    >>> net.snapshot()["requests"]
    0
    """

    def __init__(self, latency: float = 0.0, bandwidth: float | None = None) -> None:
        if not latency >= 0:
            raise ValueError(f"latency must be a number of seconds >= 0, not {latency!r}")
        if bandwidth is not None and not bandwidth > 0:
            raise ValueError(f"bandwidth must be bytes per second > 0, not {bandwidth!r}")
        self.latency = float(latency)
        self.bandwidth = None if bandwidth is None else float(bandwidth)
        self._lock = threading.Lock()
        self._link_free = 0.0  # monotonic time at which the link is next idle
        self.reset()

    def reset(self) -> None:
        """Zero the counters."""
        with self._lock:
            self._requests = 0
            self._bytes = 0
            self._delay = 0.0
            self._active = 0
            self._peak = 0

    def link_seconds(self, nbytes: int) -> float:
        """Seconds *nbytes* occupy the link (0 without a bandwidth)."""
        return 0.0 if self.bandwidth is None else nbytes / self.bandwidth

    def begin(self) -> None:
        """A request arrived: count it and the requests in flight."""
        with self._lock:
            self._requests += 1
            self._active += 1
            self._peak = max(self._peak, self._active)

    def end(self) -> None:
        """A request was answered."""
        with self._lock:
            self._active -= 1

    def wait_latency(self) -> None:
        """Hold the answer back by the configured latency."""
        if self.latency:
            with self._lock:
                self._delay += self.latency
            time.sleep(self.latency)

    def send(self, write: Any, data: bytes) -> None:
        """Write *data* with *write*, paced by the shared link."""
        with self._lock:
            self._bytes += len(data)
        if self.bandwidth is None:
            write(data)
            return
        view = memoryview(data)
        for start in range(0, len(view), CHUNK):
            piece = view[start : start + CHUNK]
            cost = len(piece) / self.bandwidth
            with self._lock:
                begin = max(time.monotonic(), self._link_free)
                self._link_free = begin + cost
                self._delay += cost
            pause = begin + cost - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            write(piece)

    def snapshot(self) -> dict[str, Any]:
        """Counters: ``requests``, ``bytes`` sent, ``delay`` added (seconds, as
        configured: latency per request plus bytes/bandwidth), ``peak_concurrency``
        (most requests in flight at once), and the settings."""
        with self._lock:
            return {
                "latency": self.latency,
                "bandwidth": self.bandwidth,
                "requests": self._requests,
                "bytes": self._bytes,
                "delay": self._delay,
                "peak_concurrency": self._peak,
            }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "HexoskinEmulator/0.1"
    timeout = 30  # idle keep-alive connections are closed after this many seconds

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        log.debug("%s - %s", self.address_string(), format % args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level errors (bad request line, oversized headers) as JSON too."""
        text = message or self.responses.get(code, ("error",))[0]
        body = json.dumps({"error": f"{text}"}).encode()
        self.close_connection = True
        self.request_version = self.protocol_version  # always answer with a status line
        try:
            self.send_response(code, message)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(body)
        except OSError:
            pass

    def handle_one_request(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.send_error(414)
                self.close_connection = True
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            self._run()
        except (TimeoutError, ConnectionError, OSError):
            self.close_connection = True

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            total = 0
            while True:
                line = self.rfile.readline(1024)
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    return None
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
            return b"".join(chunks)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        if length < 0 or length > MAX_BODY:
            return None
        return self.rfile.read(length) if length else b""

    def _environ(self, body: bytes) -> dict[str, Any]:
        target = self.path
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            target = parts.path + ("?" + parts.query if parts.query else "")
        path, _, query = target.partition("?")
        host, port = self.server.server_address[:2]  # type: ignore[index,str-unpack]
        env: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "REQUEST_URI": self.path,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for key in set(self.headers.keys()):
            name = key.upper().replace("-", "_")
            if name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                continue
            env["HTTP_" + name] = ",".join(self.headers.get_all(key) or [])
        return env

    def _run(self) -> None:
        net: Network = self.server.network  # type: ignore[attr-defined]
        net.begin()
        try:
            self._answer(net)
        finally:
            net.end()

    def _answer(self, net: Network) -> None:
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self._send(
                413,
                "Payload Too Large",
                [("Content-Type", "application/json")],
                b'{"error":"request body too large or malformed"}',
            )
            return
        env = self._environ(body)
        captured: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            captured["status"] = status
            captured["headers"] = headers
            return lambda data: None

        result = self.server.app(env, start_response)  # type: ignore[attr-defined]
        try:
            payload = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        code_text, _, reason = captured["status"].partition(" ")
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        length = next((v for k, v in captured["headers"] if k.lower() == "content-length"), None)
        if self.command != "HEAD" or length is None:
            length = str(len(payload))
        headers.append(("Content-Length", length))
        fault = env.get("hexoframe.fault")
        net.wait_latency()
        self._send(int(code_text), reason, headers, payload, fault, net)

    def _send(
        self,
        code: int,
        reason: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        fault: str | None = None,
        net: Network | None = None,
    ) -> None:
        self.send_response(code, reason)
        for key, value in headers:
            self.send_header(key, value)
        if self.close_connection or fault:
            self.send_header("Connection", "close")
        buffer = getattr(self, "_headers_buffer", [])
        head = b"".join(buffer) + b"\r\n" if buffer else b""
        self._headers_buffer: list[bytes] = []
        if fault and body:
            self.wfile.write(head + body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            if fault == "drop":
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
            else:
                self.connection.shutdown(socket.SHUT_WR)
            return
        data = head + body if self.command != "HEAD" else head
        if net is None:
            self.wfile.write(data)
        else:
            net.send(self.wfile.write, data)
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: EmulatorApp, network: Network) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        self.network = network
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_all(self) -> None:
        with self._open_lock:
            conns = list(self._open)
            self._open.clear()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Emulator:
    """A running Hexoskin API emulator on loopback.

    Parameters
    ----------
    host : str
        Address to bind (loopback by default).
    port : int
        Port; 0 picks a free one.
    db : str or Path, optional
        SQLite file for the stored objects; in memory when ``None``. A file db
        survives restarts and is seeded only when new.
    seed : int
        Seed of the deterministic signal generator.
    imports : iterable of paths
        Hexoskin export folders or zips served as records of user 1511.
    faults : FaultConfig, optional
        Fault injection; change at runtime with :meth:`set_faults`.
    token_ttl : float
        Lifetime of OAuth2 access tokens in seconds.
    signature_window : float
        Accepted clock distance (seconds) of API-key signatures.
    tick_rate : int
        Ticks per second of the HexoTimestamps served: 256 (Hexoskin, the default) or 1000
        (an Astroskin host; see :mod:`hexoframe.emulator.clock`).
    latency : float
        Seconds added to every request, as a distant service's round trip (see
        :class:`Network`).
    bandwidth : float, optional
        Bytes per second of the link all answer bodies share; ``None``: unlimited.
    answer_cache : int
        Most bytes of rendered data answers kept in memory (least recently used dropped
        first); a week of ECG read lazily and in memory is 444 MB of answers.

    Attributes
    ----------
    url : str
        Server root, e.g. ``http://127.0.0.1:54321`` (the API is under ``/api/v1/``).
    users : dict
        Demo credentials by role (``athlete``, ``friend``, ``coach``, ``athlete2``,
        ``stranger``).

    Examples
    --------
    >>> import requests
    >>> with Emulator() as emu:
    ...     r = requests.get(emu.url + "/api/v1/account/",
    ...                      auth=("athlete@hexoskin.com", "hexoskin"))
    ...     r.json()["objects"][0]["id"]
    1511
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        db: str | Path | None = None,
        seed: int = 0,
        imports: Iterable[str | Path] = (),
        faults: FaultConfig | None = None,
        token_ttl: float = 3600.0,
        signature_window: float = 300,
        tick_rate: int = 256,
        latency: float = 0.0,
        bandwidth: float | None = None,
        answer_cache: int = ANSWER_CACHE_BYTES,
    ) -> None:
        self.network = Network(latency, bandwidth)
        self.answer_cache = int(answer_cache)
        self.host = host
        self.port = int(port)
        self.db = db
        self.seed = int(seed)
        self.imports = [str(p) for p in imports]
        self.token_ttl = token_ttl
        self.signature_window = signature_window
        self.clock = Clock(int(tick_rate))
        self._faults = FaultInjector(faults)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.app: EmulatorApp | None = None
        self.store: Store | None = None
        self.imported: dict[int, str] = {}

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Emulator:
        """Start serving in a background thread; returns ``self``."""
        if self._server is not None:
            return self
        self.store = Store(self.db)
        try:
            self.imported = {add_import(self.store, path): path for path in self.imports}
        except BaseException:
            self.store.close()
            self.store = None
            raise
        auth = Authenticator(token_ttl=self.token_ttl, signature_window=self.signature_window)
        self.app = EmulatorApp(
            self.store,
            auth,
            self._faults,
            seed=self.seed,
            import_paths=self.imported,
            clock=self.clock,
            answer_cache=self.answer_cache,
        )
        self._server = _Server((self.host, self.port), self.app, self.network)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"hexoskin-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and the database."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.store is not None:
            self.store.close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Start (if needed) and block until :meth:`stop` or KeyboardInterrupt."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    # ------------------------------------------------------------------ information
    @property
    def url(self) -> str:
        """Server root URL (no trailing slash)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        """API root URL, ``<url>/api/v1/``."""
        return self.url + "/api/v1/"

    @property
    def running(self) -> bool:
        """True while serving."""
        return self._server is not None

    @property
    def users(self) -> dict[str, dict[str, Any]]:
        """Demo credentials by role (a copy)."""
        return {role: dict(info) for role, info in DEMO_USERS.items()}

    @property
    def oauth_client(self) -> dict[str, str]:
        """The demo OAuth2 client id and secret."""
        return dict(OAUTH_CLIENT)

    @property
    def stats(self) -> Stats:
        """Live request counters (``total``, ``data_requests``, ``by_path``)."""
        if self.app is None:
            return Stats()
        return self.app.stats

    def reset_stats(self) -> None:
        """Zero the request counters (and the network counters)."""
        if self.app is not None:
            self.app.stats.reset()
        self.network.reset()

    @property
    def network_stats(self) -> dict[str, Any]:
        """Network counters since start or :meth:`reset_stats` (see :meth:`Network.snapshot`).

        Examples
        --------
        >>> import requests
        >>> with Emulator(latency=0.01, bandwidth=10_000_000) as emu:
        ...     r = requests.get(emu.api_url + "record/", auth=("athlete@hexoskin.com", "hexoskin"))
        ...     s = emu.network_stats
        >>> s["requests"], s["latency"], s["bandwidth"]
        (1, 0.01, 10000000.0)
        """
        return self.network.snapshot()

    @property
    def fault_counts(self) -> dict[str, int]:
        """Faults injected since the last :meth:`set_faults`, by kind.

        Examples
        --------
        >>> import requests
        >>> from hexoframe.emulator import Emulator, FaultConfig
        >>> with Emulator(faults=FaultConfig(error_rate=1.0, retry_after=0)) as emu:
        ...     _ = requests.get(emu.api_url + "record/", timeout=5)
        ...     emu.fault_counts.get("500", 0) + emu.fault_counts.get("503", 0) == 1
        True
        """
        return self._faults.counts

    def set_faults(self, faults: FaultConfig | None) -> None:
        """Replace the fault configuration (``None`` disables faults); reseeds the RNG."""
        self._faults.configure(faults)

    def clear_cache(self) -> None:
        """Forget cached data answers."""
        if self.app is not None:
            self.app.clear_cache()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Emulator {self.url} {state}>"
