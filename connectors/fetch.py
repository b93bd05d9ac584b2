"""The only way newsflow reads a URL or a local file: timeouts, size caps, redirect limit, SSRF guard."""
from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from urllib.robotparser import RobotFileParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from transforms.records import Fetched

log = logging.getLogger("newsflow.fetch")

USER_AGENT = "newsflow/0.1 (+https://github.com/newsflow/newsflow; news ingestion pipeline)"


class FetchError(Exception):
    """A URL could not be had: the message says why, in one line."""

    def __init__(self, url: str, reason: str, status: int | None = None, retry_after: str | None = None):
        super().__init__(f"{reason} ({url})")
        self.url = url
        self.reason = reason
        self.status = status
        self.retry_after = retry_after  # the server's Retry-After, on 429 and 503


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 30.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = USER_AGENT
    concurrency: int = 8
    allow_private_networks: bool = False
    backoff_base_seconds: float = 900.0  # a failing feed waits 15 min, 30, 60, ... up to the max
    backoff_max_seconds: float = 86400.0
    per_host_concurrency: int = 2
    per_host_delay: float = 0.25  # seconds between two requests to one host
    respect_robots: bool = True  # robots.txt, for article pages (feeds are the operator's choice)


def make_client(policy: FetchPolicy) -> httpx.Client:
    timeout = httpx.Timeout(policy.read_timeout, connect=policy.connect_timeout)
    limits = httpx.Limits(max_connections=policy.concurrency * 2, max_keepalive_connections=policy.concurrency)
    return httpx.Client(
        timeout=timeout,
        limits=limits,
        follow_redirects=False,  # followed by hand so every hop passes the address check
        headers={"User-Agent": policy.user_agent, "Accept-Encoding": "gzip, deflate"},
        trust_env=False,
    )


def is_public_address(value: str) -> bool:
    address = ipaddress.ip_address(value.split("%")[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


_RESOLVE_TTL = 300.0
_resolved: dict[str, tuple[float, bool | None]] = {}
_resolve_locks: dict[str, threading.Lock] = {}
_resolve_guard = threading.Lock()


def is_public_host(host: str) -> bool | None:
    """True when every address the host resolves to is globally routable, False when any is
    not, None when it does not resolve. Cached per host for a few minutes: a batch has many
    links to one host, and the connected-peer check covers a DNS answer that changes."""
    with _resolve_guard:
        lock = _resolve_locks.setdefault(host, threading.Lock())
    with lock:
        cached = _resolved.get(host)
        if cached and time.monotonic() - cached[0] < _RESOLVE_TTL:
            return cached[1]
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
            verdict: bool | None = all(is_public_address(info[4][0]) for info in infos)
        except (socket.gaierror, UnicodeError, OSError):
            verdict = None
        _resolved[host] = (time.monotonic(), verdict)
        return verdict


def check_address(url: str) -> None:
    """Raise unless the URL's host resolves, and only to public addresses."""
    host = urlsplit(url).hostname or ""
    verdict = is_public_host(host)
    if verdict is None:
        raise FetchError(url, f"cannot resolve host {host!r}")
    if not verdict:
        raise FetchError(url, "address is not public (private, loopback or link-local)")


def local_path(url: str) -> Path | None:
    """The filesystem path for a file: URL or a bare path; None for http(s)."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if parts.scheme in ("http", "https"):
        return None
    if parts.scheme and len(parts.scheme) > 1:
        raise FetchError(url, f"unsupported URL scheme {parts.scheme!r}")
    return Path(url)


def read_local(url: str, policy: FetchPolicy) -> Fetched:
    path = local_path(url)
    assert path is not None
    try:
        size = path.stat().st_size
        if size > policy.max_bytes:
            raise FetchError(url, f"file larger than the cap of {policy.max_bytes} bytes")
        with path.open("rb") as handle:
            content = handle.read(policy.max_bytes + 1)
    except OSError as exc:
        raise FetchError(url, f"cannot read file: {exc.strerror or exc}") from exc
    content_type = "text/html" if path.suffix.lower() in (".html", ".htm") else None
    if path.suffix.lower() in (".xml", ".rss", ".atom"):
        content_type = "application/xml"
    return Fetched(url=url, final_url=path.resolve().as_uri(), status=200, content=content, content_type=content_type)


def fetch(
    client: httpx.Client,
    url: str,
    policy: FetchPolicy,
    *,
    trusted: bool = False,
    headers: dict[str, str] | None = None,
) -> Fetched:
    """GET a URL (or read a local file) within the policy's limits.

    `trusted` is for URLs the operator configured (feeds); links from feed content are not
    trusted and must resolve to public addresses, after every redirect too.
    Non-2xx answers other than 304 raise FetchError with the status.
    """
    if local_path(url) is not None:
        if not trusted:
            raise FetchError(url, "local file links from feed content are not followed")
        return read_local(url, policy)
    deadline = time.monotonic() + policy.total_timeout
    current = url
    for _ in range(policy.max_redirects + 1):
        guarded = not (trusted or policy.allow_private_networks)
        if guarded:
            check_address(current)
        response = _get(client, current, policy, deadline, headers, check_peer=guarded)
        if response.status in (301, 302, 303, 307, 308):
            location = response.headers.get("location")
            if not location:
                raise FetchError(current, "redirect without Location", response.status)
            current = urljoin(current, location)
            if urlsplit(current).scheme not in ("http", "https"):
                raise FetchError(current, "redirect to a non-HTTP URL")
            trusted = False  # a redirect target is no longer what the operator wrote
            continue
        if response.status == 304 or 200 <= response.status < 300:
            return Fetched(url=url, final_url=current, status=response.status, content=response.content,
                           content_type=response.content_type, headers=response.headers)
        raise FetchError(current, f"HTTP {response.status}", response.status, response.headers.get("retry-after"))
    raise FetchError(url, f"more than {policy.max_redirects} redirects")


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    content: bytes
    content_type: str | None
    headers: dict[str, str]


def _get(client, url, policy, deadline, headers, *, check_peer: bool = False) -> _Response:
    try:
        with client.stream("GET", url, headers=headers or {}) as response:
            if check_peer:  # the address actually connected to: DNS may have changed since our check
                stream = response.extensions.get("network_stream")
                peer = stream.get_extra_info("server_addr") if stream is not None else None
                if peer and not is_public_address(peer[0]):
                    raise FetchError(url, "address is not public (private, loopback or link-local)")
            if response.status_code in (301, 302, 303, 307, 308, 304) or response.status_code >= 400:
                body = b""
            else:
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > policy.max_bytes:
                    raise FetchError(url, f"body larger than the cap of {policy.max_bytes} bytes", response.status_code)
                chunks, total = [], 0
                # iter_bytes yields decoded bytes, so the cap also holds for gzip bombs
                for chunk in response.iter_bytes():
                    total += len(chunk)
                    if total > policy.max_bytes:
                        raise FetchError(url, f"body larger than the cap of {policy.max_bytes} bytes", response.status_code)
                    if time.monotonic() > deadline:
                        raise FetchError(url, f"took longer than {policy.total_timeout:g}s")
                    chunks.append(chunk)
                body = b"".join(chunks)
            return _Response(
                status=response.status_code,
                content=body,
                content_type=response.headers.get("content-type"),
                headers={k.lower(): v for k, v in response.headers.items()},
            )
    except httpx.TimeoutException as exc:
        raise FetchError(url, f"timed out ({type(exc).__name__})") from exc
    except httpx.DecodingError as exc:
        raise FetchError(url, "undecodable compressed body") from exc
    except (httpx.TransportError, httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise FetchError(url, f"{type(exc).__name__}: {exc}"[:300]) from exc


class HostGate:
    """At most `per_host_concurrency` requests to one host at once, `per_host_delay` apart."""

    def __init__(self, policy: FetchPolicy):
        self._policy = policy
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}
        self._next_start: dict[str, float] = {}

    @contextmanager
    def __call__(self, url: str):
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            slot = self._slots.setdefault(host, threading.Semaphore(self._policy.per_host_concurrency))
        with slot:
            with self._lock:
                start = max(time.monotonic(), self._next_start.get(host, 0.0))
                self._next_start[host] = start + self._policy.per_host_delay
            time.sleep(max(0.0, start - time.monotonic()))
            yield


class RobotsCache:
    """robots.txt per host, fetched once per run under the same limits as any page.
    Missing (4xx) allows everything; unreachable or 5xx disallows for this run (RFC 9309)."""

    TOKEN = "newsflow"

    def __init__(self, client: httpx.Client, policy: FetchPolicy):
        self._client, self._policy = client, replace(policy, max_bytes=512 * 1024, max_redirects=5)
        self._lock = threading.Lock()
        self._origin_locks: dict[str, threading.Lock] = {}
        self._rules: dict[str, RobotFileParser | None] = {}

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            origin_lock = self._origin_locks.setdefault(origin, threading.Lock())
        with origin_lock:  # one fetch of robots.txt per origin, other hosts not held up
            if origin not in self._rules:
                self._rules[origin] = self._load(origin)
            rules = self._rules[origin]
        return rules is not None and rules.can_fetch(self.TOKEN, url)

    def _load(self, origin: str) -> RobotFileParser | None:
        parser = RobotFileParser()
        try:
            fetched = fetch(self._client, origin + "/robots.txt", self._policy)
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                parser.parse([])
                return parser
            return None
        parser.parse(fetched.content.decode("utf-8", errors="replace").splitlines())
        return parser


def fetch_many(
    urls: list[str],
    policy: FetchPolicy,
    *,
    trusted: bool,
    headers: dict[str, dict[str, str]] | None = None,
) -> dict[str, Fetched | FetchError]:
    """Fetch a batch concurrently with one keep-alive client, politely per host; every failure
    is returned, not raised. Untrusted (article) URLs also ask robots.txt when the policy says so."""
    headers = headers or {}
    gate = HostGate(policy)
    results: dict[str, Fetched | FetchError] = {}
    with make_client(policy) as client, ThreadPoolExecutor(max_workers=policy.concurrency) as pool:
        robots = RobotsCache(client, policy) if policy.respect_robots and not trusted else None

        def one(url: str) -> Fetched | FetchError:
            try:
                remote = local_path(url) is None
                if remote and not (trusted or policy.allow_private_networks):
                    check_address(url)
                if robots is not None and remote and not robots.allowed(url):
                    raise FetchError(url, "disallowed by robots.txt (or robots.txt unreachable)")
                # a local file costs no site anything: no spacing, no host cap
                with gate(url) if remote else nullcontext():
                    return fetch(client, url, policy, trusted=trusted, headers=headers.get(url))
            except FetchError as exc:
                log.info("fetch failed url=%s reason=%s", url, exc.reason)
                return exc

        for url, result in zip(urls, pool.map(one, urls)):
            results[url] = result
    return results
