"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests, with scripted faults.

Agent requests get a deterministic solution whose boxed answer is drawn from the request's
seed (correct answer "42" with probability ``p_correct``), with token log-probabilities.
Judge and self-verification requests (``max_tokens == 1``) answer yes/no with top
log-probabilities, leaning yes when the solution shown holds the correct answer. Faults are
consumed in order by the first requests: ``"429"`` (with Retry-After), ``"500"``,
``"timeout"`` (sleeps past the client's timeout), ``"truncated"`` (cut JSON body),
``"empty"`` (empty content), ``"echo_auth"`` (a 400 whose body echoes the request's
Authorization header, as some gateways do). A USC request gets the reply a small model
gives: under prompt version 1 the template's placeholder ("…is Response X."), under
versions 2 and 3 (which ask for the number only) the number of the first response whose
boxed answer is the plurality's; ``usc_reply`` replaces that reply by a fixed one (``"1"``:
a model with a position bias). ``always_fail_seeds`` answer 500 forever;
``judge_text`` replaces the judge's reply text (its log-probabilities stay). Every handler is
bounded in time; :meth:`FakeServer.stop` shuts the server down.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _usc_reply(prompt: str) -> str:
    if "number only" not in prompt:  # prompt version 1: the placeholder copied
        return "The most consistent response is Response X."
    shown = re.findall(r"^Response (\d+): .*?\\boxed\{([^}]*)\}", prompt, re.M)
    counts = Counter(ans for _, ans in shown)
    top = max(counts.values())
    return next(num for num, ans in shown if counts[ans] == top)


class FakeServer:
    def __init__(
        self,
        *,
        faults: list[str] | None = None,
        p_correct: float = 0.6,
        delay_s: float = 0.0,
        timeout_sleep_s: float = 1.5,
        retry_after: str = "0.2",
        always_fail_seeds: set[int] | None = None,
        answer: str = "42",
        judge_text: str | None = None,
        usc_reply: str | None = None,
    ) -> None:
        self.judge_text = judge_text
        self.usc_reply = usc_reply
        self.faults = list(faults or [])
        self.p_correct = p_correct
        self.delay_s = delay_s
        self.timeout_sleep_s = timeout_sleep_s
        self.retry_after = retry_after
        self.always_fail_seeds = always_fail_seeds or set()
        self.answer = answer
        self.requests: list[dict[str, Any]] = []
        self.request_times: list[float] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def start(self) -> FakeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_fault(self, body: dict[str, Any]) -> str | None:
        with self.lock:
            self.requests.append(body)
            self.request_times.append(time.monotonic())
            if body.get("seed") in self.always_fail_seeds:
                return "500"
            return self.faults.pop(0) if self.faults else None

    def reply(self, body: dict[str, Any]) -> dict[str, Any]:
        seed = int(body.get("seed") or 0)
        rng = random.Random(seed)
        if body.get("max_tokens") == 1:
            msgs = body["messages"]
            # the judge's solution is in its last turn; a self-verification's in the
            # assistant turn before the last
            seen = msgs[-2] if len(msgs) > 2 and msgs[-2]["role"] == "assistant" else msgs[-1]
            p_yes = 0.8 if self.answer in json.dumps(seen) else 0.3
            p_yes = min(0.95, max(0.05, p_yes + rng.uniform(-0.1, 0.1)))
            import math

            tops = [
                {"token": "yes", "logprob": math.log(p_yes * 0.9)},
                {"token": "no", "logprob": math.log((1 - p_yes) * 0.9)},
                {"token": "The", "logprob": math.log(0.1)},
            ]
            tok = "yes" if p_yes > 0.5 else "no"
            content = [
                {
                    "token": tok,
                    "logprob": tops[0 if tok == "yes" else 1]["logprob"],
                    "top_logprobs": tops,
                }
            ]
            text = tok if self.judge_text is None else self.judge_text
        elif "Candidate responses" in json.dumps(body["messages"][-1]):
            text = self.usc_reply or _usc_reply(body["messages"][-1]["content"])
            content = [{"token": w, "logprob": -0.1, "top_logprobs": []} for w in text.split()]
        else:
            # seed-dependent randomness, independent of the judge branch
            rng = random.Random(seed * 7919 + 1)
            ans = self.answer if rng.random() < self.p_correct else str(rng.randint(1, 5))
            text = f"Step one. Step two. The answer is \\boxed{{{ans}}}."
            content = [
                {"token": w, "logprob": -rng.random(), "top_logprobs": []} for w in text.split()
            ]
        return {
            "id": f"cmpl-{seed}",
            "object": "chat.completion",
            "model": body.get("model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                    "logprobs": {"content": content},
                }
            ],
            "usage": {
                "prompt_tokens": 50,
                "completion_tokens": len(content),
                "total_tokens": 50 + len(content),
            },
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _send(
                self, code: int, payload: bytes, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self) -> None:
                self._send(200, json.dumps({"data": [{"id": "fake"}]}).encode())

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                if self.path.endswith(("/pooling", "/score")):  # a reward model: 42 scores high
                    texts = body.get("input") or body.get("text_2") or []
                    vals = [0.9 if "42" in t else 0.1 for t in texts]
                    key = "data" if self.path.endswith("/pooling") else "score"
                    rows = [
                        {"index": i, key: [0.0, v] if key == "data" else v}
                        for i, v in enumerate(vals)
                    ]
                    self._send(200, json.dumps({"data": rows}).encode())
                    return
                fault = server._next_fault(body)
                if server.delay_s:
                    time.sleep(server.delay_s)
                if fault == "429":
                    self._send(429, b'{"error":"rate"}', {"Retry-After": server.retry_after})
                elif fault == "echo_auth":
                    auth = self.headers.get("Authorization", "")
                    self._send(400, json.dumps({"error": f"invalid key: {auth}"}).encode())
                elif fault == "500":
                    self._send(500, b'{"error":"boom"}')
                elif fault == "timeout":
                    time.sleep(server.timeout_sleep_s)
                    self._send(200, json.dumps(server.reply(body)).encode())
                elif fault == "truncated":
                    full = json.dumps(server.reply(body)).encode()
                    self._send(200, full[: len(full) // 2])
                elif fault == "empty":
                    rep = server.reply(body)
                    rep["choices"][0]["message"]["content"] = ""
                    self._send(200, json.dumps(rep).encode())
                else:
                    self._send(200, json.dumps(server.reply(body)).encode())

        return Handler
