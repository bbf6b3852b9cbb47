"""`nim`: NVIDIA NIM embeddings (default nvidia/nv-embedqa-e5-v5, 1024-d), query/passage aware.

Wire format (NVIDIA NeMo Retriever text-embedding NIM / API catalog, OpenAI-compatible):

    POST {base_url}/embeddings            (base_url default https://integrate.api.nvidia.com/v1)
    Authorization: Bearer $NVIDIA_API_KEY
    {"model": "nvidia/nv-embedqa-e5-v5", "input": ["…", …], "input_type": "query"|"passage",
     "encoding_format": "float", "truncate": "END"}
    -> {"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [...]}, …],
        "model": "…", "usage": {"prompt_tokens": …, "total_tokens": …}}

E5 models embed queries and passages differently and need `input_type`; similarity is the
cosine between a query-type and a passage-type embedding. `truncate: END` cuts inputs longer
than the model's token limit instead of failing the request.

Each request body is the HTTP cache key, so a rebuild over the same texts costs no request.
Texts are de-duplicated and sorted before batching, so the batches (and their cache keys)
depend only on the set of texts, not on the order or repetitions the caller passes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from generator.inputs.settings import NimSettings
from generator.machinery.http import Refusal, Service, parse_json

InputType = Literal["query", "passage"]


class NimEmbedder:
    """Cosine similarity of NIM query embeddings to NIM passage embeddings, in [0, 1]."""

    name = "nim"

    def __init__(self, service: Service, settings: NimSettings):
        self.service = service
        self.settings = settings

    def describe(self) -> str:
        return f"NVIDIA NIM {self.settings.model} ({self.settings.dimensions}-d, query/passage)"

    def embed(self, texts: list[str], input_type: InputType) -> list[list[float]]:
        """One embedding per text, in the order given. ServiceError when the service fails."""
        if input_type not in ("query", "passage"):
            raise ValueError(f"input_type must be 'query' or 'passage', not {input_type!r}")
        unique = sorted(set(texts))
        vectors: dict[str, list[float]] = {}
        size = self.settings.batch_size
        for start in range(0, len(unique), size):
            batch = unique[start : start + size]
            body = {
                "model": self.settings.model,
                "input": batch,
                "input_type": input_type,
                "encoding_format": "float",
                "truncate": "END",
            }
            result: list[list[float]] = self.service.request(
                "POST",
                "embeddings",
                json_body=body,
                auth="bearer",
                require_key=True,
                parse=embeddings_parser(len(batch), self.settings.dimensions),
            )
            vectors.update(zip(batch, result, strict=True))
        return [vectors[text] for text in texts]

    def similarity(self, query: str, texts: list[str]) -> list[float]:
        return self.similarity_matrix([query], texts)[0]

    def similarity_matrix(self, queries: list[str], texts: list[str]) -> list[list[float]]:
        if not queries:
            return []
        if not texts:
            return [[] for _ in queries]
        q = _normalised(self.embed(queries, "query"))
        p = _normalised(self.embed(texts, "passage"))
        scores = np.clip(q @ p.T, 0.0, 1.0)
        return [[round(float(s), 4) for s in row] for row in scores]


def embeddings_parser(count: int, dimensions: int) -> Callable[[str], list[list[float]]]:
    """The parser of an embeddings answer for `count` inputs of `dimensions` values each."""

    def parse(text: str) -> list[list[float]]:
        """The `count` embeddings ordered by `index`; ValueError for anything else."""
        body = parse_json(text)
        items = body.get("data") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise ValueError("no 'data' list in the answer")
        if len(items) != count:
            raise ValueError(f"{len(items)} embeddings for {count} inputs")
        sizes = {
            len(item["embedding"])
            for item in items
            if isinstance(item, dict) and isinstance(item.get("embedding"), list)
        }
        if len(sizes) == 1 and sizes != {dimensions}:
            # every vector has the same other size: the setting is wrong, not the answer
            raise Refusal(
                f"the model answers {sizes.pop()}-d embeddings but services.nim.dimensions "
                f"is {dimensions}; set it to the model's size in sovereign.yml"
            )
        ordered: list[list[float] | None] = [None] * count
        for item in items:
            index = item.get("index") if isinstance(item, dict) else None
            if type(index) is not int or not 0 <= index < count:
                raise ValueError(f"embedding with a bad index {index!r}")
            if ordered[index] is not None:
                raise ValueError(f"embedding index {index} repeated")
            ordered[index] = _vector(item.get("embedding"), index, dimensions)
        return [vector for vector in ordered if vector is not None]

    return parse


def _vector(value: Any, index: int, dimensions: int) -> list[float]:
    if not isinstance(value, list):
        raise ValueError(f"embedding {index} is not a list of floats")
    if len(value) != dimensions:
        raise ValueError(f"embedding {index} has {len(value)} values, expected {dimensions}")
    if not all(type(x) in (int, float) and math.isfinite(x) for x in value):
        raise ValueError(f"embedding {index} holds a value that is not a finite number")
    return [float(x) for x in value]


def _normalised(vectors: list[list[float]]) -> np.ndarray:
    """Rows scaled to unit length (a zero vector stays zero, so its cosine is 0)."""
    matrix = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)
