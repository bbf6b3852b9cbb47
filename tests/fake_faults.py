"""What the fake web services share: a request log and a queue of faults to inject.

A fault applies to one request each, in the order queued; when the queue is empty the fake
answers normally. `release()` ends the waits of slow answers at once (call it when the client
has given up, so the single-threaded test server is free for the next request).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

from werkzeug import Request, Response


@dataclass(frozen=True)
class Logged:
    """One request as the server saw it."""

    start: float  # time.monotonic() when the handler began
    path: str  # decoded
    uri: str  # as sent, still percent-encoded
    args: dict[str, str]
    headers: dict[str, str]


@dataclass
class Fault:
    kind: str
    retry_after: str | None = None
    seconds: float = 0.0


@dataclass
class FaultyService:
    """Request log and fault queue of one fake service."""

    log: list[Logged] = field(default_factory=list)
    _faults: deque[Fault] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _waits: list[threading.Event] = field(default_factory=list)

    def record(self, request: Request) -> Fault | None:
        """Log `request` and take the next fault, if any."""
        entry = Logged(
            start=time.monotonic(),
            path=request.path,
            uri=str(request.environ.get("RAW_URI") or request.full_path),
            args={key: request.args[key] for key in request.args},
            headers={key.lower(): value for key, value in request.headers.items()},
        )
        with self._lock:
            self.log.append(entry)
            return self._faults.popleft() if self._faults else None

    def inject(self, kind: str, times: int = 1, **options: object) -> None:
        """Queue `times` faults of `kind` (see the fakes for the kinds they know)."""
        with self._lock:
            self._faults.extend(Fault(kind, **options) for _ in range(times))  # type: ignore[arg-type]

    def fail_429(self, times: int = 1, retry_after: str | None = "1") -> None:
        """`times` answers 429 Too Many Requests, with Retry-After when given."""
        self.inject("429", times, retry_after=retry_after)

    def fail_500(self, times: int = 1) -> None:
        self.inject("500", times)

    def slow(self, times: int = 1, seconds: float = 5.0) -> None:
        """`times` answers held back `seconds` (or until `release()`), then sent normally."""
        self.inject("slow", times, seconds=seconds)

    def truncate(self, times: int = 1) -> None:
        """`times` answers cut in half, with the Content-Length of the whole body."""
        self.inject("truncate", times)

    def malformed(self, times: int = 1) -> None:
        """`times` answers 200 with a body that is not in the API's format."""
        self.inject("malformed", times)

    def empty(self, times: int = 1) -> None:
        """`times` well-formed answers with no results."""
        self.inject("empty", times)

    def clear_faults(self) -> None:
        """Drop the faults not used yet."""
        with self._lock:
            self._faults.clear()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._faults)

    def release(self) -> None:
        """End every slow answer's wait now."""
        with self._lock:
            waits, self._waits = self._waits, []
        for event in waits:
            event.set()

    def hold(self, seconds: float) -> None:
        event = threading.Event()
        with self._lock:
            self._waits.append(event)
        event.wait(seconds)

    def generic(self, fault: Fault) -> Response | None:
        """The answer for the faults every fake treats alike (None: answer normally)."""
        if fault.kind == "429":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return Response("Too Many Requests", status=429, headers=headers)
        if fault.kind == "500":
            return Response("Internal Server Error", status=500)
        if fault.kind == "slow":
            self.hold(fault.seconds)
        return None


def truncated(body: bytes, content_type: str) -> Response:
    """Half of `body`, announcing all of it: the client sees the connection end early."""
    response = Response(body[: len(body) // 2], status=200, content_type=content_type)
    response.headers["Content-Length"] = str(len(body))
    response.headers["Connection"] = "close"
    return response


class Recorder:
    """A `sleep` to inject into a Service: records the delays instead of waiting, and ends
    the slow answers the client has given up on (it sleeps only after a failed attempt)."""

    def __init__(self, fake: FaultyService | None = None):
        self.delays: list[float] = []
        self.fake = fake

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if self.fake is not None:
            self.fake.release()
