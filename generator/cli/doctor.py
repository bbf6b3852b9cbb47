"""`sovereign doctor`: one line per configured web service — reachable? key accepted? answers
usable?

Each check sends the smallest real request the service documents and reads the answer with
the parser the build uses (an arXiv error feed, search results of the wrong shape or
embeddings of another size than configured fail here as they would in the build). It never
prints a key: only whether the environment variable that should hold it is set.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from generator.cli.common import EXIT_FAILED, EXIT_OK, settings_of
from generator.inputs.settings import Settings

if TYPE_CHECKING:
    from generator.machinery.http import Service, Services


@dataclass(frozen=True)
class Check:
    service: str
    ok: bool
    message: str

    def __str__(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.service}: {self.message}"


def _probes(settings: Settings) -> dict[str, Callable[[Service], Any]]:
    from generator.drafting.embedders.nim import embeddings_parser
    from generator.drafting.sources.arxiv import error_summary, parse_feed
    from generator.drafting.sources.semantic_scholar import FIELDS, parse_search
    from generator.machinery.http import parse_json

    nim, llm = settings.services.nim, settings.services.llm
    return {
        "arxiv": lambda s: s.request(
            "GET",
            "query",
            params={"search_query": "all:experts", "max_results": 1},
            ttl_days=0,
            parse=parse_feed,
            error_detail=error_summary,
        ),
        "semantic_scholar": lambda s: s.request(
            "GET",
            "paper/search",
            params={"query": "mixture of experts", "limit": 1, "fields": FIELDS},
            auth="x-api-key",
            ttl_days=0,
            parse=parse_search,
        ),
        "nim": lambda s: s.request(
            "POST",
            "embeddings",
            json_body={
                "input": ["ping"],
                "model": nim.model,
                "input_type": "query",
                "encoding_format": "float",
            },
            auth="bearer",
            require_key=True,
            ttl_days=0,
            parse=embeddings_parser(1, nim.dimensions),
        ),
        "llm": lambda s: s.request(
            "POST",
            "chat/completions",
            json_body={
                "model": llm.model,
                "max_tokens": 1,
                "messages": [{"role": "user", "content": "Reply with OK."}],
            },
            auth="bearer",
            require_key=bool(llm.api_key_env),
            ttl_days=0,
            parse=parse_json,
        ),
    }


def run_checks(settings: Settings, services: Services, names: list[str]) -> list[Check]:
    """Probe each named service once (no retries, no cache)."""
    from generator.machinery.http import ServiceError

    probes = _probes(settings)
    checks = []
    for name in names:
        service = services.get(name)  # type: ignore[arg-type]
        env = service.settings.api_key_env
        key_note = "" if not env else f"; key {'set' if service.api_key else 'not set'} in ${env}"
        started = time.perf_counter()
        try:
            probes[name](service)
        except ServiceError as exc:
            checks.append(
                Check(name, False, f"{exc.reason} ({service.settings.base_url}){key_note}")
            )
        else:
            seconds = time.perf_counter() - started
            checks.append(
                Check(
                    name,
                    True,
                    f"reachable at {service.settings.base_url} in {seconds:.2f} s{key_note}",
                )
            )
    return checks


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check each configured web service's reachability and key, one line each."""
    settings = settings_of(args)
    names = ["arxiv", "semantic_scholar", "nim", "llm"] if args.all else settings.live_services()
    if not names:
        print(
            "No web service is configured: this build runs offline. "
            "Use --all to check every service anyway."
        )
        return EXIT_OK
    from generator.machinery.http import Services

    no_retry = {
        name: getattr(settings.services, name).model_copy(update={"retries": 0}) for name in names
    }
    services = Services(settings.services.model_copy(update=no_retry))
    try:
        checks = run_checks(settings, services, names)
    finally:
        services.close()
    for check in checks:
        print(check)
    return EXIT_OK if all(c.ok for c in checks) else EXIT_FAILED


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check each configured web service and its API key")
    p.add_argument("--all", action="store_true", help="check every service, configured or not")
    p.set_defaults(func=cmd_doctor)
