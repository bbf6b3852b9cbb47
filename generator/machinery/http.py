"""The one HTTP boundary: timeouts, retries with backoff, shared rate limits, response cache.

Every live backend talks to the web through a `Service`. Low-level httpx errors become
`ServiceError` here and nowhere else; API keys are read from the environment, sent only as
headers, and redacted from every message, log line and cache key.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import httpx

from generator import __version__
from generator.inputs.settings import ServiceSettings, ServicesSettings
from generator.machinery.deadline import budget, time_left

log = logging.getLogger("sovereign.http")

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = f"sovereign/{__version__} (autonomous research-draft generator)"


class ServiceError(Exception):
    """A web service could not give a usable answer (after retries). Safe to show."""

    def __init__(self, service: str, message: str, status: int | None = None):
        super().__init__(f"{service}: {message}")
        self.service = service
        self.reason = message
        self.status = status  # the HTTP status of the last answer, when there was one


class Refusal(ValueError):
    """The service answered, and its answer is an error that asking again will not change
    (a `parse` function raises it; the request fails at once, with this message)."""


class TooLarge(Exception):
    """An answer over the service's size limit (not retried: it would be as large again)."""


class Deadline(Exception):
    """A request outlasted its total time limit (`question`: the question's, not its own)."""

    def __init__(self, question: bool = False):
        super().__init__()
        self.question = question


class RateLimiter:
    """At most one request start per `interval` seconds, across threads and event loops."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic):
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._next = 0.0

    def reserve(self) -> float:
        """Book the next slot; return how long the caller must wait for it."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
            return slot - now


class ResponseCache:
    """HTTP answers on disk (diskcache), keyed without headers so no secret enters a key."""

    def __init__(self, directory: Path):
        import diskcache

        self._cache = diskcache.Cache(str(directory))

    @staticmethod
    def key(service: str, method: str, url: str, params: Any, body: Any) -> str:
        blob = json.dumps([service, method, url, params, body], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    def get(self, key: str) -> str | None:
        try:
            value = self._cache.get(key)
        except Exception:  # an unreadable entry is a miss
            return None
        return value if isinstance(value, str) else None

    def set(self, key: str, text: str, ttl_seconds: float | None) -> None:
        self._cache.set(key, text, expire=ttl_seconds)

    def close(self) -> None:
        self._cache.close()


@dataclass
class ServiceStats:
    """What one service cost during a build (shown in provenance and the summary)."""

    requests: int = 0
    retries: int = 0
    cache_hits: int = 0
    failures: int = 0
    not_found: int = 0  # HTTP 404: the service answered that it has no such thing
    circuit_opened: int = 0  # 1 once the service is no longer asked in this build
    out_of_time: int = 0  # requests stopped by their question's deadline
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class Service:
    """One web service: its settings, key, shared limiter, cache and statistics."""

    def __init__(
        self,
        name: str,
        settings: ServiceSettings,
        *,
        cache: ResponseCache | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.name = name
        self.settings = settings
        self.cache = cache
        self.limiter = RateLimiter(settings.min_interval)
        self.stats = ServiceStats()
        self._sleep = sleep
        # Shared by every thread of the build: a Retry-After pauses them all, and a service
        # that keeps failing is not asked again (its circuit opens).
        self._state_lock = threading.Lock()
        self._paused_until = 0.0
        self._failed_in_a_row = 0
        self._circuit: str | None = None
        self._client = httpx.Client(
            base_url=settings.base_url.rstrip("/") + "/",
            timeout=httpx.Timeout(settings.timeout),
            transport=transport,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
        )

    @property
    def api_key(self) -> str | None:
        env = self.settings.api_key_env
        value = os.environ.get(env, "").strip() if env else ""
        return value or None

    def redact(self, text: str) -> str:
        """`text` with the API key (if any) replaced, for messages and logs."""
        key = self.api_key
        return text.replace(key, "***") if key else text

    def _fail(self, message: str, status: int | None = None) -> ServiceError:
        # NOTE: a 404 is an answer ("no such paper"), not the service failing
        self.stats.add(**({"not_found": 1} if status == 404 else {"failures": 1}))
        return ServiceError(self.name, self.redact(message), status)

    def request(
        self,
        method: Literal["GET", "POST"],
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        auth: Literal["bearer", "x-api-key"] | None = None,
        require_key: bool = False,
        ttl_days: float | None = None,
        parse: Callable[[str], Any] = lambda text: text,
        error_detail: Callable[[str], str | None] | None = None,
    ) -> Any:
        """Send a request with retries; return `parse(body)`. Raise ServiceError on failure.

        `parse` must raise ValueError on a malformed body: that counts as a retryable fault;
        Refusal (a ValueError) is the service's own error answer and fails at once.
        `error_detail` reads the service's message out of an error answer's body (else the
        body's start is shown). `ttl_days` overrides the cache lifetime (`float('inf')`: keep
        forever).

        Long by design: one attempt loop in which the deadline, the shared rate limit,
        the circuit, the size cap and the mapping of each fault to retry-or-fail are
        checked in order; spread over helpers, that order would be hard to see.
        """
        key = self.api_key
        if require_key and not key:
            raise self._fail(
                f"no API key: set the environment variable {self.settings.api_key_env}"
            )
        headers = {}
        if key and auth == "bearer":
            headers["Authorization"] = f"Bearer {key}"
        elif key and auth == "x-api-key":
            headers["x-api-key"] = key
        ttl = self.settings.cache_ttl_days if ttl_days is None else ttl_days
        # NOTE: the key holds the full URL, so answers of another server (a mirror, a test
        # server) given by `base_url` are never reused for this one.
        url = self.settings.base_url.rstrip("/") + "/" + path.lstrip("/")
        cache_key = ResponseCache.key(self.name, method, url, params, json_body)
        if self.cache is not None and ttl > 0:
            cached = self.cache.get(cache_key)
            if cached is not None:
                try:
                    result = parse(cached)
                except ValueError:
                    pass
                else:
                    self.stats.add(cache_hits=1)
                    return result
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            if self._circuit is not None:  # opened before this request, or during its retries
                raise ServiceError(self.name, self._circuit)
            if attempt == 0:  # a retry has waited its own Retry-After already
                self._wait(self._paused_until - time.monotonic(), self._sleep)
            self._wait(self.limiter.reserve(), time.sleep)
            self.stats.add(requests=1)
            retry_after = None
            status = None
            try:
                response, body = self._send(method, path, params, json_body, headers)
            except TooLarge as exc:
                raise self._fail(str(exc)) from None
            except Deadline as exc:
                if exc.question:
                    raise self._out_of_time() from None
                problem = f"timed out after {self.settings.timeout:g} s"
            except httpx.TransportError as exc:
                problem = f"network error ({type(exc).__name__})"
            else:
                status = response.status_code
                if status in RETRY_STATUSES:
                    problem = f"HTTP {status}"
                    retry_after = _retry_after(response)
                elif status in (401, 403):
                    env = self.settings.api_key_env
                    if key:
                        why = f"the API key was refused (environment variable {env})"
                    elif env:
                        why = f"an API key is needed (environment variable {env})"
                    else:
                        why = "access refused; this service takes no key here (set api_key_env?)"
                    raise self._fail(f"HTTP {status}: {why}", status)
                elif status >= 400:
                    detail = error_detail(body) if error_detail else None
                    shown = detail or " ".join(body.split())[:200]
                    raise self._fail(f"HTTP {status}: {shown}", status)
                else:
                    try:
                        result = parse(body)
                    except Refusal as exc:
                        raise self._fail(str(exc), status) from None
                    except ValueError as exc:
                        problem = f"malformed response ({str(exc)[:120]})"
                    else:
                        if self.cache is not None and ttl > 0:
                            expire = None if ttl == float("inf") else ttl * 86400
                            self.cache.set(cache_key, body, expire)
                        with self._state_lock:
                            self._failed_in_a_row = 0
                        return result
            self._count_failure(problem)
            if attempt == attempts - 1:
                raise self._fail(f"{problem}; gave up after {attempts} attempts", status)
            delay = self.settings.backoff * 2**attempt * (1 + random.random() / 2)
            if retry_after is not None:
                delay = max(delay, retry_after)
            delay = min(delay, self.settings.max_backoff)
            if retry_after is not None:
                with self._state_lock:  # every other request of the build waits too
                    self._paused_until = max(self._paused_until, time.monotonic() + delay)
            left = time_left()
            if left is not None and left <= delay:  # the retry would start too late
                raise self._fail(f"{problem}; no time left in the question's deadline", status)
            self.stats.add(retries=1)
            log.warning(
                "%s: %s; retry %d of %d in %.1f s",
                self.name,
                self.redact(problem),
                attempt + 1,
                attempts - 1,
                delay,
            )
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, seconds: float, sleep: Callable[[float], None]) -> None:
        """Sleep before a request, unless the question's deadline comes first."""
        left = time_left()
        if left is not None and left <= max(seconds, 0.0):
            raise self._out_of_time()
        if seconds > 0:
            sleep(seconds)

    def _out_of_time(self) -> ServiceError:
        """Not the service's fault: counted apart, and never towards its circuit."""
        current = budget()
        limit = f" ({current.seconds:g} s, services.question_deadline)" if current else ""
        self.stats.add(out_of_time=1)
        return ServiceError(self.name, f"stopped: the question's time limit{limit} ran out")

    def _count_failure(self, problem: str) -> None:
        """One more failed attempt (of any request: they run concurrently); open the circuit
        at the limit, so requests in flight stop retrying and new ones are not sent."""
        limit = self.settings.circuit_after
        with self._state_lock:
            self._failed_in_a_row += 1
            if not limit or self._failed_in_a_row < limit or self._circuit is not None:
                return
            self._circuit = (
                f"not asked: {limit} attempts in a row failed in this build (the last: "
                f"{self.redact(problem)}); the build goes on without this service"
            )
        log.warning("%s: %s", self.name, self._circuit)
        self.stats.add(circuit_opened=1)

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        json_body: Any,
        headers: dict[str, str],
    ) -> tuple[httpx.Response, str]:
        """One request, read as a stream: the answer's text, or Deadline when the whole
        exchange outlasts `timeout` or the question's deadline, whichever comes first (httpx's
        own timeout bounds each read, not the total), or TooLarge past `max_body_mb` (nothing
        more is read)."""
        limit = int(self.settings.max_body_mb * 1_000_000)
        own = self.settings.timeout
        left = time_left()
        question = left is not None and left < own  # the question's deadline comes first
        seconds = min(own, left) if left is not None else own
        deadline = time.monotonic() + seconds
        request = self._client.build_request(
            method,
            path.lstrip("/"),
            params=params,
            json=json_body,
            headers=headers,
            timeout=httpx.Timeout(max(seconds, 0.001)),
        )
        # every way of running out of time (httpx's own timeouts included) is one Deadline
        try:
            response = self._client.send(request, stream=True)
            try:
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise TooLarge(self._too_large(int(declared), limit))
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge(self._too_large(size, limit, "at least "))
                    if time.monotonic() > deadline:
                        raise Deadline(question)
                    chunks.append(chunk)
            finally:
                response.close()
        except httpx.TimeoutException:
            raise Deadline(question) from None
        text = b"".join(chunks).decode(response.encoding or "utf-8", errors="replace")
        return response, text

    def _too_large(self, size: int, limit: int, prefix: str = "") -> str:
        return (
            f"the answer is {prefix}{size / 1e6:.1f} MB, over the limit of {limit / 1e6:g} MB "
            f"(services.{self.name}.max_body_mb); refused, not parsed or cached"
        )

    def close(self) -> None:
        self._client.close()


def parse_json(text: str) -> Any:
    """JSON body, or ValueError (which the retry loop treats as a malformed answer)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON at character {exc.pos}") from None


class Services:
    """The build's web services, made on first use: one client, limiter and cache each.

    `transports` lets tests (or a proxy) replace the network for a named service.
    """

    def __init__(
        self,
        settings: ServicesSettings,
        cache_dir: Path | None = None,
        transports: dict[str, httpx.BaseTransport] | None = None,
    ):
        self.settings = settings
        self.cache_dir = cache_dir
        self.transports = transports or {}
        self._services: dict[str, Service] = {}
        self._cache: ResponseCache | None = None
        self._lock = threading.Lock()

    def get(self, name: Literal["arxiv", "semantic_scholar", "nim", "llm"]) -> Service:
        with self._lock:
            if name not in self._services:
                if self._cache is None and self.cache_dir is not None:
                    self._cache = ResponseCache(self.cache_dir)
                self._services[name] = Service(
                    name,
                    getattr(self.settings, name),
                    cache=self._cache,
                    transport=self.transports.get(name),
                )
            return self._services[name]

    def stats(self) -> dict[str, ServiceStats]:
        return {name: service.stats for name, service in self._services.items()}

    def close(self) -> None:
        for service in self._services.values():
            service.close()
        if self._cache is not None:
            self._cache.close()
