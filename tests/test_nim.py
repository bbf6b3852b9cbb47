"""The NIM embedder against a fake NIM embeddings server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from generator.drafting.embedders import make_embedder
from generator.drafting.embedders.nim import NimEmbedder
from generator.inputs.settings import NimSettings, ServicesSettings, Settings
from generator.machinery.http import ServiceError, Services

from .fake_nim import FakeNim, bag_of_words, register_fake_nim

KEY_ENV = "SOVEREIGN_TEST_NIM_KEY"
CANARY = "nvapi-CANARY-5e1f0a9d7c3b"

Make = Callable[..., tuple[NimEmbedder, Services]]


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeNim:
    return register_fake_nim(httpserver, FakeNim(key=CANARY, dimensions=64))


@pytest.fixture
def make(httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Make]:
    """Build an embedder (and its Services) for the fake server; closed after the test."""
    monkeypatch.setenv(KEY_ENV, CANARY)
    opened: list[Services] = []

    def build(cache: bool = True, **overrides: object) -> tuple[NimEmbedder, Services]:
        options: dict[str, object] = {
            "base_url": httpserver.url_for("/"),
            "api_key_env": KEY_ENV,
            "dimensions": 64,
            "retries": 1,
            "backoff": 0.01,
            "max_backoff": 0.05,
            **overrides,
        }
        settings = NimSettings.model_validate(options)
        services = Services(
            ServicesSettings(nim=settings), cache_dir=tmp_path / "http" if cache else None
        )
        opened.append(services)
        return NimEmbedder(services.get("nim"), settings), services

    yield build
    for services in opened:
        services.close()


def test_describe_names_model_dimensions_and_input_types(make: Make) -> None:
    embedder, _ = make(dimensions=1024)
    assert embedder.name == "nim"
    assert embedder.describe() == "NVIDIA NIM nvidia/nv-embedqa-e5-v5 (1024-d, query/passage)"


def test_request_format_key_and_input_type(fake: FakeNim, make: Make) -> None:
    embedder, _ = make()
    vectors = embedder.embed(["mixture of experts", "dense transformer"], "passage")
    assert len(vectors) == 2 and all(len(v) == 64 for v in vectors)
    assert fake.requests == [
        {
            "model": "nvidia/nv-embedqa-e5-v5",
            "input": ["dense transformer", "mixture of experts"],
            "input_type": "passage",
            "encoding_format": "float",
            "truncate": "END",
        }
    ]
    assert fake.headers[0]["Authorization"] == f"Bearer {CANARY}"
    assert CANARY not in str(fake.requests)


def test_batches_of_batch_size(fake: FakeNim, make: Make) -> None:
    embedder, services = make(batch_size=32)
    texts = [f"text number {i} about experts" for i in range(70)]
    vectors = embedder.embed(texts, "passage")
    assert [len(batch) for batch in fake.inputs] == [32, 32, 6]
    assert sorted(t for batch in fake.inputs for t in batch) == sorted(texts)
    assert vectors == [pytest.approx(bag_of_words(t, 64)) for t in texts]
    assert services.stats()["nim"].requests == 3


def test_duplicates_are_embedded_once_and_returned_in_caller_order(
    fake: FakeNim, make: Make
) -> None:
    embedder, _ = make()
    texts = ["b routing", "a gating", "b routing"]
    vectors = embedder.embed(texts, "query")
    assert fake.inputs == [["a gating", "b routing"]]
    assert vectors[0] == vectors[2] == pytest.approx(bag_of_words("b routing", 64))
    assert vectors[1] == pytest.approx(bag_of_words("a gating", 64))


def test_results_are_ordered_by_index(fake: FakeNim, make: Make) -> None:
    embedder, _ = make()
    texts = ["zeta load balancing", "alpha expert capacity", "mid router noise"]
    fake.fail("shuffled")
    vectors = embedder.embed(texts, "passage")
    assert all(v == pytest.approx(bag_of_words(t, 64)) for v, t in zip(vectors, texts, strict=True))
    assert len(fake.requests) == 1  # the reversed answer was valid, not retried


def test_wrong_dimensions_are_a_settings_error_reported_at_once(fake: FakeNim, make: Make) -> None:
    """Every vector 63-d while 64 are configured: the setting is wrong, and asking again
    cannot fix it, so there is one request and the message says what to change."""
    embedder, services = make()
    fake.fail("wrong_dimensions", "wrong_dimensions", "wrong_dimensions")
    with pytest.raises(ServiceError) as caught:
        embedder.embed(["sparse experts", "dense layers"], "query")
    assert "the model answers 63-d embeddings but services.nim.dimensions is 64" in str(
        caught.value
    )
    assert len(fake.requests) == 1
    assert services.stats()["nim"].retries == 0
    assert services.stats()["nim"].failures == 1


def test_malformed_answer_recovers_on_retry(fake: FakeNim, make: Make) -> None:
    embedder, services = make()
    fake.fail("missing_item")
    vectors = embedder.embed(["one expert", "two experts"], "passage")
    assert len(vectors) == 2
    assert len(fake.requests) == 2
    assert services.stats()["nim"].retries == 1


def test_server_errors_are_retried(fake: FakeNim, make: Make) -> None:
    embedder, services = make(retries=2)
    fake.fail("429", "500")
    assert embedder.embed(["routing"], "query") == [pytest.approx(bag_of_words("routing", 64))]
    assert len(fake.requests) == 3
    assert services.stats()["nim"].retries == 2


def test_non_json_body_gives_up_with_service_error(fake: FakeNim, make: Make) -> None:
    embedder, _ = make()
    fake.fail("not_json", "not_json")
    with pytest.raises(ServiceError, match="malformed response"):
        embedder.embed(["routing"], "query")


def test_missing_key_names_the_environment_variable(
    fake: FakeNim, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NVIDIA_API_KEY", raising=False)
    embedder, _ = make(api_key_env="NVIDIA_API_KEY")
    with pytest.raises(ServiceError, match="NVIDIA_API_KEY"):
        embedder.similarity("query", ["text"])
    assert fake.requests == []  # nothing was sent without a key


def test_refused_key_is_a_service_error_without_the_key(
    fake: FakeNim, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "nvapi-WRONG-0000"
    monkeypatch.setenv(KEY_ENV, wrong)
    embedder, _ = make()
    with pytest.raises(ServiceError, match="HTTP 401") as caught:
        embedder.embed(["routing"], "query")
    assert wrong not in str(caught.value)
    assert len(fake.requests) == 1  # 401 is not retried


def test_similarity_ranks_related_text_first(fake: FakeNim, make: Make) -> None:
    embedder, _ = make(dimensions=1024)
    fake.dimensions = 1024
    scores = embedder.similarity(
        "sparse mixture of experts routing",
        [
            "Protein structure prediction with diffusion models.",
            "We study routing in sparse mixture of experts layers.",
        ],
    )
    assert scores[1] > scores[0]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert all(s == round(s, 4) for s in scores)
    assert [r["input_type"] for r in fake.requests] == ["query", "passage"]


def test_similarity_matrix_shape_and_clipping(fake: FakeNim, make: Make) -> None:
    embedder, _ = make()
    queries = ["expert routing", "load balancing loss"]
    texts = ["expert routing", "completely unrelated words here", "load balancing loss"]
    matrix = embedder.similarity_matrix(queries, texts)
    assert len(matrix) == 2 and all(len(row) == 3 for row in matrix)
    assert matrix[0][0] == pytest.approx(1.0) and matrix[1][2] == pytest.approx(1.0)
    assert all(0.0 <= s <= 1.0 for row in matrix for s in row)  # negative cosines clipped
    assert embedder.similarity_matrix(queries, []) == [[], []]
    assert embedder.similarity_matrix([], texts) == []
    assert len(fake.requests) == 2  # empty inputs cost no request


def test_repeat_is_served_from_the_http_cache(fake: FakeNim, make: Make) -> None:
    embedder, services = make()
    texts = ["expert choice routing", "token dropping"]
    first = embedder.similarity("routing", texts)
    assert len(fake.requests) == 2
    again, later_services = make()  # a rebuild: new Services, same cache directory
    assert again.similarity("routing", list(reversed(texts))) == list(reversed(first))
    assert len(fake.requests) == 2
    assert later_services.stats()["nim"].cache_hits == 2
    assert services.stats()["nim"].cache_hits == 0


def test_without_cache_every_call_asks(fake: FakeNim, make: Make) -> None:
    embedder, _ = make(cache=False)
    embedder.embed(["routing"], "query")
    embedder.embed(["routing"], "query")
    assert len(fake.requests) == 2


def test_make_embedder_builds_nim(httpserver: HTTPServer, tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {"services": {"nim": {"base_url": httpserver.url_for("/"), "dimensions": 8}}}
    )
    services = Services(settings.services, cache_dir=tmp_path / "http")
    try:
        embedder = make_embedder("nim", settings=settings, services=services)
        assert embedder.name == "nim"
        assert embedder.describe() == "NVIDIA NIM nvidia/nv-embedqa-e5-v5 (8-d, query/passage)"
    finally:
        services.close()


def test_bad_input_type_is_a_programming_error(make: Make) -> None:
    embedder, _ = make()
    with pytest.raises(ValueError, match="input_type"):
        embedder.embed(["x"], "document")  # type: ignore[arg-type]
