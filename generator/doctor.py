"""`sovereign doctor`: one line per configured web service — reachable? key accepted? answers
usable?

Each check sends the smallest real request the service documents and reads the answer with
the parser the build uses (an arXiv error feed, search results of the wrong shape or
embeddings of another size than configured fail here as they would in the build). It never
prints a key: only whether the environment variable that should hold it is set.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .http import Service, ServiceError, Services, parse_json
from .settings import Settings


@dataclass(frozen=True)
class Check:
    service: str
    ok: bool
    message: str

    def __str__(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.service}: {self.message}"


def _probes(settings: Settings) -> dict[str, Callable[[Service], Any]]:
    from .embedders.nim import embeddings_parser
    from .sources.arxiv import error_summary, parse_feed
    from .sources.semantic_scholar import FIELDS, parse_search

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
