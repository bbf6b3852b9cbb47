"""The HTTP boundary against a real local server: retries, Retry-After, timeouts, broken
bodies, key handling and redaction, the response cache and the shared rate limiter."""

from __future__ import annotations

import email.utils
import itertools
import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from generator.inputs.settings import ServiceSettings
from generator.machinery.deadline import question_deadline
from generator.machinery.http import RateLimiter, ResponseCache, Service, ServiceError, parse_json

from .fake_faults import FaultyService, Recorder, truncated

KEY_ENV = "SOVEREIGN_TEST_API_KEY"
CANARY = "canary-key-7f3a9c-do-not-leak"


class Endpoint(FaultyService):
    """`/v1/thing`: JSON `{"n": <request number>, "q": <query args>}`, faults on demand.

    Extra fault kinds: "401", "404", "echo_key_400" (a 400 whose body repeats the x-api-key
    header) and "echo_key_200" (a 200, not JSON, repeating it).
    """

    def __init__(self, server: HTTPServer, root: str = "/v1"):
        super().__init__()
        self.server = server
        self.root = root
        server.expect_request(f"{root}/thing").respond_with_handler(self.handle)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}{self.root}"

    def handle(self, request: Request) -> Response:
        fault = self.record(request)
        body = json.dumps({"n": len(self.log), "q": dict(request.args)}).encode()
        key = request.headers.get("x-api-key", "")
        if fault is not None:
            if fault.kind == "malformed":
                return Response("{not json", status=200, content_type="application/json")
            if fault.kind == "truncate":
                return truncated(body, "application/json")
            if fault.kind in ("401", "404"):
                return Response('{"message": "no"}', status=int(fault.kind))
            if fault.kind == "echo_key_400":
                return Response(f"bad request with key {key}", status=400)
            if fault.kind == "echo_key_200":
                return Response(f"<html>your key {key}</html>", status=200)
            special = self.generic(fault)
            if special is not None:
                return special
        return Response(body, status=200, content_type="application/json")


@pytest.fixture
def endpoint(httpserver: HTTPServer) -> Iterator[Endpoint]:
    fake = Endpoint(httpserver)
    yield fake
    fake.release()
    httpserver.check_handler_errors()


@pytest.fixture
def make_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv(KEY_ENV, raising=False)
    made: list[Service] = []

    def make(base_url: str, *, cache: ResponseCache | None = None, sleep: Any = None, **options):
        values: dict[str, Any] = {
            "base_url": base_url,
            "api_key_env": KEY_ENV,
            "retries": 2,
            "backoff": 0.01,
            "max_backoff": 0.05,
            "timeout": 2.0,
        }
        values.update(options)
        service = Service(
            "thing", ServiceSettings(**values), cache=cache, sleep=sleep or Recorder()
        )
        made.append(service)
        return service

    yield make
    for service in made:
        service.close()


def get(service: Service, **kwargs: Any) -> Any:
    return service.request("GET", "thing", auth="x-api-key", parse=parse_json, **kwargs)


# --- retries --------------------------------------------------------------------------


def test_429_is_retried_after_the_retry_after_seconds(endpoint, make_service):
    sleep = Recorder()
    service = make_service(endpoint.base_url, sleep=sleep, retries=3, max_backoff=5)
    endpoint.fail_429(times=2, retry_after="2")
    assert get(service)["n"] == 3
    assert sleep.delays == [2.0, 2.0]  # Retry-After wins over the 0.01 s backoff
    assert (service.stats.requests, service.stats.retries, service.stats.failures) == (3, 2, 0)


def test_retry_after_as_an_http_date(endpoint, make_service):
    sleep = Recorder()
    service = make_service(endpoint.base_url, sleep=sleep, max_backoff=10)
    when = datetime.now(UTC) + timedelta(seconds=3)
    endpoint.fail_429(retry_after=email.utils.format_datetime(when, usegmt=True))
    assert get(service)["n"] == 2
    assert len(sleep.delays) == 1 and 1.0 < sleep.delays[0] <= 3.5


def test_retry_after_is_capped_by_max_backoff(endpoint, make_service):
    sleep = Recorder()
    service = make_service(endpoint.base_url, sleep=sleep, max_backoff=0.05)
    endpoint.fail_429(retry_after="120")
    assert get(service)["n"] == 2
    assert sleep.delays == [0.05]


def test_429_for_ever_gives_up_with_a_service_error(endpoint, make_service):
    service = make_service(endpoint.base_url, retries=2)
    endpoint.fail_429(times=5, retry_after="0")
    with pytest.raises(ServiceError, match=r"HTTP 429; gave up after 3 attempts") as info:
        get(service)
    assert info.value.status == 429
    assert len(endpoint.log) == 3
    assert service.stats.failures == 1


def test_500_then_success_backs_off_exponentially(endpoint, make_service):
    sleep = Recorder()
    service = make_service(endpoint.base_url, sleep=sleep, backoff=0.01, max_backoff=1)
    endpoint.fail_500(times=2)
    assert get(service)["n"] == 3
    first, second = sleep.delays
    assert 0.01 <= first <= 0.015 and 0.02 <= second <= 0.03  # doubling, plus up to 50 % jitter


def test_timeout_then_success(endpoint, make_service):
    sleep = Recorder(endpoint)
    service = make_service(endpoint.base_url, sleep=sleep, timeout=0.2)
    endpoint.slow(seconds=5)
    started = time.monotonic()
    assert get(service)["n"] == 2
    assert time.monotonic() - started < 2
    assert len(sleep.delays) == 1 and service.stats.retries == 1


def test_timeout_for_ever_is_a_service_error(endpoint, make_service):
    service = make_service(endpoint.base_url, sleep=Recorder(endpoint), timeout=0.2, retries=1)
    endpoint.slow(times=2, seconds=5)
    with pytest.raises(ServiceError, match=r"timed out after 0.2 s; gave up after 2 attempts"):
        get(service)
    assert len(endpoint.log) == 2


def test_truncated_body_is_retried(endpoint, make_service):
    service = make_service(endpoint.base_url)
    endpoint.truncate()
    assert get(service)["n"] == 2
    assert service.stats.retries == 1


def test_truncated_body_for_ever_is_a_network_error(endpoint, make_service):
    service = make_service(endpoint.base_url, retries=1)
    endpoint.truncate(times=2)
    with pytest.raises(ServiceError, match=r"network error \(RemoteProtocolError\)"):
        get(service)


def test_malformed_json_is_retried_then_a_service_error_and_never_cached(
    endpoint, make_service, tmp_path: Path
):
    cache = ResponseCache(tmp_path / "http")
    service = make_service(endpoint.base_url, cache=cache, retries=2)
    endpoint.malformed(times=3)
    with pytest.raises(ServiceError, match=r"malformed response \(invalid JSON"):
        get(service)
    assert len(endpoint.log) == 3
    assert get(service)["n"] == 4  # the broken body was not cached
    cache.close()


def test_other_client_errors_are_not_retried(endpoint, make_service):
    service = make_service(endpoint.base_url)
    endpoint.inject("404")
    with pytest.raises(ServiceError, match=r"HTTP 404") as info:
        get(service)
    assert info.value.status == 404
    assert len(endpoint.log) == 1


# --- keys -----------------------------------------------------------------------------


def test_401_without_a_key_names_the_environment_variable(endpoint, make_service):
    service = make_service(endpoint.base_url)
    endpoint.inject("401")
    with pytest.raises(ServiceError, match=KEY_ENV) as info:
        get(service)
    assert info.value.status == 401 and len(endpoint.log) == 1
    assert "x-api-key" not in endpoint.log[0].headers


def test_401_with_a_key_names_the_variable_but_never_the_key(
    endpoint, make_service, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    monkeypatch.setenv(KEY_ENV, CANARY)
    service = make_service(endpoint.base_url)
    endpoint.inject("401")
    with caplog.at_level(logging.DEBUG), pytest.raises(ServiceError) as info:
        get(service)
    assert KEY_ENV in str(info.value) and "refused" in str(info.value)
    assert CANARY not in str(info.value)
    assert CANARY not in caplog.text


def test_key_is_sent_only_as_a_header_and_redacted_everywhere(
    endpoint,
    make_service,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
):
    monkeypatch.setenv(KEY_ENV, CANARY)
    cache = ResponseCache(tmp_path / "http")
    service = make_service(endpoint.base_url, cache=cache, retries=1)

    def strict(text: str) -> Any:  # a parser whose error repeats the body, key included
        if not text.startswith("{"):
            raise ValueError(f"unexpected body {text}")
        return json.loads(text)

    endpoint.inject("echo_key_200")
    with caplog.at_level(logging.DEBUG):
        assert service.request("GET", "thing", params={"a": "1"}, auth="x-api-key", parse=strict)
    assert "***" in caplog.text and CANARY not in caplog.text  # the retry's warning
    assert all(entry.headers.get("x-api-key") == CANARY for entry in endpoint.log)
    assert all(CANARY not in json.dumps(entry.args) for entry in endpoint.log)

    endpoint.inject("echo_key_400")
    with pytest.raises(ServiceError) as info:
        get(service, params={"a": "2"})
    assert "***" in str(info.value) and CANARY not in str(info.value)
    assert CANARY not in caplog.text
    cache.close()
    stored = b"".join(p.read_bytes() for p in (tmp_path / "http").rglob("*") if p.is_file())
    assert stored and CANARY.encode() not in stored


def test_no_key_header_without_auth(endpoint, make_service, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(KEY_ENV, CANARY)
    service = make_service(endpoint.base_url)
    service.request("GET", "thing", parse=parse_json)
    assert "x-api-key" not in endpoint.log[0].headers


# --- cache ----------------------------------------------------------------------------


def test_a_cache_hit_sends_no_second_request(endpoint, make_service, tmp_path: Path):
    cache = ResponseCache(tmp_path / "http")
    service = make_service(endpoint.base_url, cache=cache)
    first = get(service, params={"q": "moe"})
    assert get(service, params={"q": "moe"}) == first
    assert len(endpoint.log) == 1 and service.stats.cache_hits == 1
    assert get(service, params={"q": "other"})["n"] == 2  # other parameters: another request
    assert get(service, params={"q": "moe"}, ttl_days=float("inf")) == first
    assert len(endpoint.log) == 2
    cache.close()


def test_ttl_zero_bypasses_the_cache(endpoint, make_service, tmp_path: Path):
    cache = ResponseCache(tmp_path / "http")
    service = make_service(endpoint.base_url, cache=cache, cache_ttl_days=0)
    get(service)
    get(service)
    assert len(endpoint.log) == 2 and service.stats.cache_hits == 0
    cache.close()


def test_the_cache_keeps_servers_apart(
    endpoint, make_service, httpserver: HTTPServer, tmp_path: Path
):
    mirror = Endpoint(httpserver, root="/mirror/v1")
    cache = ResponseCache(tmp_path / "http")
    one = make_service(endpoint.base_url, cache=cache)
    same = make_service(endpoint.base_url + "/", cache=cache)  # the same server
    other = make_service(mirror.base_url, cache=cache)
    assert get(one) == get(same)
    assert len(endpoint.log) == 1
    get(other)  # another base URL is another server: its answers are its own
    assert len(mirror.log) == 1
    cache.close()


# --- rate limit -----------------------------------------------------------------------


def test_rate_limiter_books_consecutive_slots():
    now = [100.0]
    limiter = RateLimiter(0.5, clock=lambda: now[0])
    assert [limiter.reserve() for _ in range(3)] == [0.0, 0.5, 1.0]
    now[0] = 110.0
    assert limiter.reserve() == 0.0


def test_one_service_spaces_requests_across_threads(endpoint, make_service):
    service = make_service(endpoint.base_url, min_interval=0.2)
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            for i in range(3):
                get(service, params={"worker": name, "i": str(i)})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(name,)) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors
    starts = sorted(entry.start for entry in endpoint.log)
    assert len(starts) == 6
    assert {entry.args["worker"] for entry in endpoint.log} == {"a", "b"}
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    # NOTE: the limiter spaces the sends 0.2 s apart; an arrival the loaded machine delays
    # shortens the next gap by as much, so each gap is held to half the interval (without a
    # shared limiter the two threads' requests arrive together, ~0 s apart) and the whole
    # span to 90% of five intervals.
    assert min(gaps) >= 0.1, gaps
    assert starts[-1] - starts[0] >= 0.9, gaps


# --- size limit and total deadline -----------------------------------------------------------


def test_an_oversized_answer_is_refused_unparsed_and_uncached(
    httpserver: HTTPServer, make_service, tmp_path: Path
) -> None:
    """Declared (Content-Length) or not (chunked), an answer over max_body_mb is refused at
    once with a message naming the setting, and nothing is cached."""
    big = b'{"x": "' + b"a" * 1_500_000 + b'"}'

    def chunked(request: Request) -> Response:
        return Response(iter([big[i : i + 65536] for i in range(0, len(big), 65536)]))

    httpserver.expect_request("/v1/declared").respond_with_data(big)
    httpserver.expect_request("/v1/chunked").respond_with_handler(chunked)
    cache = ResponseCache(tmp_path / "http")
    service = make_service(httpserver.url_for("/v1"), cache=cache, max_body_mb=1.0)
    for path in ("declared", "chunked"):
        with pytest.raises(ServiceError) as caught:
            service.request("GET", path, parse=parse_json)
        assert "over the limit of 1 MB (services.thing.max_body_mb); refused" in str(caught.value)
    assert service.stats.requests == 2 and service.stats.retries == 0
    assert len(httpserver.log) == 2
    with pytest.raises(ServiceError):  # nothing was cached: the server is asked again
        service.request("GET", "declared", parse=parse_json)
    assert len(httpserver.log) == 3


def test_a_trickling_answer_is_cut_off_at_the_total_deadline(
    httpserver: HTTPServer, make_service
) -> None:
    """One byte every 0.2 s never trips a per-read timeout of 1 s; the total deadline of 1 s
    stops it anyway: the client gives up while the server still has most of the answer to
    send (counted at the server, not by the wall clock)."""
    stop = threading.Event()
    sent: list[int] = []

    def trickle(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            for _ in range(40):
                if stop.wait(0.2):
                    return
                sent.append(1)
                yield b" "

        return Response(body(), content_type="application/json")

    httpserver.expect_request("/v1/slow").respond_with_handler(trickle)
    service = make_service(httpserver.url_for("/v1"), timeout=1.0, retries=0)
    with pytest.raises(ServiceError, match=r"timed out after 1 s"):
        service.request("GET", "slow", parse=parse_json)
    assert len(sent) < 40  # the answer was not read to its end
    stop.set()


# --- shared back-off and the circuit -------------------------------------------------------


def test_a_service_that_keeps_failing_is_not_asked_again(endpoint, make_service, caplog):
    """After `circuit_after` failed attempts in a row, the rest of the build's requests fail
    at once with a message saying why, and the console says so once."""
    service = make_service(endpoint.base_url, retries=1, circuit_after=4)
    endpoint.fail_500(times=10_000)
    with caplog.at_level(logging.WARNING, logger="sovereign"):
        for _ in range(5):
            with pytest.raises(ServiceError):
                get(service)
    assert len(endpoint.log) == 4  # two requests of two attempts, then nothing
    with pytest.raises(ServiceError, match=r"not asked: 4 attempts in a row failed in this build"):
        get(service)
    opened = [r for r in caplog.records if "not asked" in r.getMessage()]
    assert len(opened) == 1
    assert service.stats.circuit_opened == 1


def test_a_success_between_failures_keeps_the_circuit_closed(endpoint, make_service):
    service = make_service(endpoint.base_url, retries=0, circuit_after=2)
    for _ in range(3):  # one failure, then a success: never two in a row
        endpoint.fail_500(times=1)
        with pytest.raises(ServiceError):
            get(service)
        assert get(service)["n"] >= 1  # the next request succeeds and resets the count
    assert service.stats.circuit_opened == 0


def test_circuit_after_zero_always_asks(endpoint, make_service):
    service = make_service(endpoint.base_url, retries=0, circuit_after=0)
    endpoint.fail_500(times=10_000)
    for _ in range(5):
        with pytest.raises(ServiceError, match="HTTP 500"):
            get(service)
    assert len(endpoint.log) == 5


def test_retry_after_pauses_every_request_of_the_build(endpoint, make_service):
    """One request gets 429 with Retry-After: 3; a request started afterwards by another
    thread waits for it too (the fake sleep records the wait; no wall clock involved)."""
    sleep = Recorder()
    service = make_service(endpoint.base_url, sleep=sleep, retries=1, max_backoff=10)
    endpoint.fail_429(times=1, retry_after="3")
    first = threading.Thread(target=get, args=(service,))
    first.start()
    first.join()
    assert sleep.delays == [3.0]  # the request that got the 429 waited its Retry-After
    other = threading.Thread(target=get, args=(service,))
    other.start()
    other.join()
    assert len(sleep.delays) == 2 and 0 < sleep.delays[1] <= 3.0  # the other waited too
    assert len(endpoint.log) == 3


# --- the question's deadline ---------------------------------------------------------------


def test_a_hanging_answer_is_cut_off_at_the_question_deadline(endpoint, make_service):
    """A request under a 30 s timeout with 4 retries would hang for minutes; inside a
    question's 0.5 s deadline it stops with a message naming the setting, and is neither
    retried nor counted against the service (its circuit stays closed)."""
    service = make_service(endpoint.base_url, timeout=30.0, retries=4, circuit_after=1)
    endpoint.slow(times=1, seconds=60)
    with question_deadline(0.5), pytest.raises(ServiceError) as caught:
        get(service)
    assert "stopped: the question's time limit (0.5 s, services.question_deadline) ran out" in (
        str(caught.value)
    )
    assert len(endpoint.log) == 1 and service.stats.retries == 0
    assert service.stats.out_of_time == 1 and service.stats.circuit_opened == 0
    endpoint.release()
    assert get(service)["n"] == 2  # outside the deadline the service is asked as before


def test_no_retry_starts_after_the_question_deadline(endpoint, make_service):
    """A 503 whose back-off (5 s) would end after the deadline (1 s) is not retried: one
    request reaches the server, and the fake sleep never waited."""
    sleep = Recorder()
    service = make_service(endpoint.base_url, sleep=sleep, backoff=5.0, max_backoff=10)
    endpoint.fail_500(times=3)
    with question_deadline(1.0), pytest.raises(ServiceError, match="no time left"):
        get(service)
    assert len(endpoint.log) == 1 and sleep.delays == []


def test_nothing_is_sent_once_the_question_deadline_has_passed(endpoint, make_service):
    service = make_service(endpoint.base_url)
    with question_deadline(0.001):
        time.sleep(0.01)
        with pytest.raises(ServiceError, match="ran out"):
            get(service)
    assert endpoint.log == []


def test_each_question_keeps_its_own_deadline(endpoint, make_service):
    """Two questions run side by side in threads: one whose time is up sends nothing, the
    other (no deadline) is answered — the deadline is per question, not per build."""
    service = make_service(endpoint.base_url)
    results: dict[str, Any] = {}

    def run(name: str, seconds: float | None) -> None:
        try:
            if seconds is None:
                results[name] = get(service)["n"]
            else:
                with question_deadline(seconds):
                    time.sleep(2 * seconds)
                    results[name] = get(service)["n"]
        except ServiceError as exc:
            results[name] = str(exc)

    threads = [
        threading.Thread(target=run, args=("late", 0.01)),
        threading.Thread(target=run, args=("free", None)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert "ran out" in results["late"] and results["free"] == 1
