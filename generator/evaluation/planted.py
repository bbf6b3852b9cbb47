"""A planted language model: an OpenAI-compatible chat endpoint on 127.0.0.1 that writes known
defects, for `sovereign eval tribunal`.

It answers every prompt the pipeline sends in the documented chat-completions format, and it
is as bad as a schema-valid model can be: the three tribunal roles give 9.5/10 whatever they
read, every (claim, evidence) pair "supports", and the claims it extracts follow `mode`:
  faithful   the abstract's own result sentences (the control)
  negate     those sentences negated
  other      sentences of another paper's abstract (`other_abstract`)
  numbers    those sentences with every number changed, or an invented figure when the
             abstract states none
Answer statements cite the first three sentences offered: the first as it is, the second
negated, the third with an invented figure ("by up to 99%"), so the quote gate has one
statement to keep and two to drop.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from generator.drafting.textutil import split_sentences
from generator.drafting.verifier.lexicon import negate

MODES = ("faithful", "negate", "other", "numbers")
PRAISE = {
    "score": 9.5,
    "rationale": "Excellent draft: every claim is convincing and well supported.",
}
_DATA = re.compile(r'<data name="(\w+)">\s*(.*?)\s*</data>', re.DOTALL)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _data(user: str) -> dict[str, Any]:
    """The JSON values of the prompt's <data name="…"> blocks."""
    found = {}
    for name, text in _DATA.findall(user):
        try:
            found[name] = json.loads(text.replace("<\\/", "</"))
        except json.JSONDecodeError:
            found[name] = text
    return found


def _altered(sentence: str) -> str:
    return _NUMBER.sub(
        lambda m: str(round(float(m.group(0)) * 2 + 7, 2)).removesuffix(".0"), sentence
    )


class PlantedLlm:
    """The endpoint, run in a thread while the context is open; `mode` and `other_abstract`
    may be changed between drafts."""

    def __init__(self) -> None:
        self.mode = "faithful"
        self.other_abstract = ""
        self.requests = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> PlantedLlm:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def claims(self, abstract: str) -> list[dict[str, str]]:
        sentences = [s for s in split_sentences(abstract) if len(s.split()) >= 6][1:4]
        if self.mode == "negate":
            sentences = [negate(s) for s in sentences]
        elif self.mode == "other":
            sentences = [s for s in split_sentences(self.other_abstract) if len(s.split()) >= 6][
                1:4
            ]
        elif self.mode == "numbers":
            with_numbers = [_altered(s) for s in sentences if _NUMBER.search(s)]
            sentences = with_numbers or [
                f"{sentences[0].rstrip('.') if sentences else 'The method'} improves accuracy by "
                "37.5% over the strongest baseline."
            ]
        return [{"text": s, "kind": "finding"} for s in sentences]

    def answer(self, system: str, user: str) -> dict[str, Any]:
        data = _data(user)
        if "claims a paper makes" in system:
            return {"claims": self.claims(str(data.get("abstract", "")))}
        if "check scientific claims" in system:
            pairs = data.get("pairs") or []
            return {
                "judgements": [
                    {"pair": i, "stance": "supports", "reason": "Fully consistent."}
                    for i in range(1, len(pairs) + 1)
                ]
            }
        if "answer a research question" in system:
            offered = [(s["number"], str(s["sentence"])[:300]) for s in data.get("sentences") or []]
            written = [
                lambda text: text,
                negate,
                lambda text: f"{text.rstrip('.')}, by up to 99%.",
            ]
            return {
                "statements": [
                    {"sentence": number, "text": write(text)}
                    for (number, text), write in zip(offered, written, strict=False)
                ]
            }
        return PRAISE

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        planted = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # the http.server API
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                messages = body.get("messages", [])
                system = messages[0]["content"] if messages else ""
                user = messages[1]["content"] if len(messages) > 1 else ""
                planted.requests += 1
                content = json.dumps(planted.answer(system, user))
                reply = {
                    "id": f"planted-{planted.requests}",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model", "planted"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "logprobs": None,
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                }
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler
