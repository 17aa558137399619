"""Async OpenAI-compatible chat-completions client, one request per sample.

Servers often ignore ``n > 1`` (llama.cpp does), so every sample is its own request with
its own seed. Requests share a concurrency limit (an ``asyncio.Semaphore``). A request is
retried, up to ``max_retries`` times, on HTTP 429 (waiting ``Retry-After`` when given), on
5xx, on timeouts and transport errors, on a body that is not valid JSON (truncated) and on
empty content. The wait before retry r (r = 0, 1, …) is ``backoff_base·2^r`` seconds, capped
at ``backoff_max``, times a uniform jitter in [0.5, 1]; a 429's Retry-After overrides it.

The API key is read from an environment variable at construction and only ever placed in
the Authorization header: it is not an attribute that ``repr`` shows, and never written to a
store or a log.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import re
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from align_theory.llm.records import SamplingParams  # the store key's parameters

__all__ = [
    "ChatClient",
    "Completion",
    "CompletionError",
    "EndpointDown",
    "SamplingParams",
    "check_base_url",
    "parse_retry_after",
    "redact",
    "strip_credentials",
]

MAX_CONNECTION_FAILURES = 12
"""Consecutive connection-level failures (refused, reset, timed out) after which every
request fails with :class:`EndpointDown` instead of retrying: the server is gone."""

_BEARER = re.compile(r"(?i)(authorization\s*[:=]\s*)?\b(?:bearer|basic)\s+[^\s\"',;}]+")


def strip_credentials(url: str) -> str:
    """``url`` without ``user:password@`` (every comma-separated URL).

    Examples
    --------
    >>> strip_credentials("http://user:KEY@host:8000/v1")
    'http://host:8000/v1'
    """
    out = []
    for part in url.split(","):
        sp = urlsplit(part.strip())
        if sp.username is not None or sp.password is not None:
            host = sp.hostname or ""
            netloc = host + (f":{sp.port}" if sp.port else "")
            part = urlunsplit((sp.scheme, netloc, sp.path, sp.query, sp.fragment))
        out.append(part.strip())
    return ",".join(out)


def redact(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    """``text`` with every secret, every ``Bearer …`` / ``Basic …`` authorization value
    and every URL credential replaced by ``[redacted]``.

    Examples
    --------
    >>> redact('{"error": "bad key sk-123, header Bearer sk-123"}', ["sk-123"])
    '{"error": "bad key [redacted], header [redacted]"}'
    """
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    text = _BEARER.sub("[redacted]", text)
    return re.sub(r"(?i)(\w+://)[^/\s@]+@", r"\1[redacted]@", text)


def check_base_url(url: str, name: str = "base_url") -> None:
    """Raise ``ValueError`` unless every comma-separated URL has an http(s) scheme, a host
    and a port in 1..65535.

    Examples
    --------
    >>> check_base_url("http://127.0.0.1:8080/v1")
    >>> check_base_url("localhost:8080/v1")
    Traceback (most recent call last):
    ...
    ValueError: base_url must start with http:// or https://, got 'localhost:8080/v1'
    """
    parts = [u.strip() for u in url.split(",") if u.strip()]
    if not parts:
        raise ValueError(f"{name} is empty")
    for part in parts:
        shown = strip_credentials(part)
        sp = urlsplit(part)
        if sp.scheme not in ("http", "https"):
            raise ValueError(f"{name} must start with http:// or https://, got {shown!r}")
        try:
            port = sp.port
        except ValueError:
            raise ValueError(f"{name} has a port outside 1..65535: {shown!r}") from None
        if not sp.hostname:
            raise ValueError(f"{name} has no host: {shown!r}")
        if port is not None and not 1 <= port <= 65535:
            raise ValueError(f"{name} has a port outside 1..65535: {shown!r}")


class EndpointDown(RuntimeError):
    """The server cannot be reached: the run stops instead of retrying every request."""


@dataclass(frozen=True)
class Completion:
    """One successful chat completion.

    ``mean_logprob`` is the mean log-probability of the generated tokens (None when the
    server returned none); ``first_top_logprobs`` maps the first generated position's top
    alternatives to their log-probabilities (the judge reads P("yes") from it).
    """

    text: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    mean_logprob: float | None
    first_top_logprobs: dict[str, float]
    latency_s: float
    attempts: int


class CompletionError(Exception):
    """A request that failed after every retry; ``kind`` names the last failure."""

    def __init__(self, kind: str, message: str, attempts: int) -> None:
        super().__init__(f"{kind}: {message} (after {attempts} attempts)")
        self.kind = kind
        self.message = message
        self.attempts = attempts


class _Retryable(Exception):
    def __init__(self, kind: str, message: str, wait_s: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.wait_s = wait_s


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def _parse_logprobs(choice: dict[str, Any]) -> tuple[float | None, dict[str, float]]:
    """Mean token log-probability and the first position's top alternatives.

    Reads the OpenAI chat format (``logprobs.content[i].logprob/top_logprobs``) and the
    legacy completions format (``token_logprobs`` / ``top_logprobs`` dicts).
    """
    lp = choice.get("logprobs")
    if not isinstance(lp, dict):
        return None, {}
    values: list[float] = []
    first: dict[str, float] = {}
    content = lp.get("content")
    if isinstance(content, list) and content:
        for item in content:
            v = item.get("logprob") if isinstance(item, dict) else None
            if isinstance(v, int | float) and math.isfinite(v):
                values.append(float(v))
        tops = content[0].get("top_logprobs") if isinstance(content[0], dict) else None
        if isinstance(tops, list):
            for alt in tops:
                if isinstance(alt, dict) and isinstance(alt.get("logprob"), int | float):
                    first[str(alt.get("token", ""))] = float(alt["logprob"])
        if not first and isinstance(content[0], dict) and "token" in content[0]:
            first[str(content[0]["token"])] = float(content[0].get("logprob", 0.0))
    else:
        token_lps = lp.get("token_logprobs")
        if isinstance(token_lps, list):
            values = [float(v) for v in token_lps if isinstance(v, int | float)]
        tops_legacy = lp.get("top_logprobs")
        if isinstance(tops_legacy, list) and tops_legacy and isinstance(tops_legacy[0], dict):
            first = {str(k): float(v) for k, v in tops_legacy[0].items()}
    mean = sum(values) / len(values) if values else None
    return mean, first


@dataclass
class ChatClient:
    """Async client for ``POST {base_url}/chat/completions``.

    ``base_url`` may list several servers of the same model separated by commas; each
    request goes to the one with the fewest requests in flight (replicas of a small model,
    one CPU thread each, share a busy CPU better than one multi-threaded server).

    Use as ``async with ChatClient(...) as client: await client.complete(...)``.
    """

    base_url: str
    model: str
    api_key_env: str | None = "OPENAI_API_KEY"
    concurrency: int = 4
    timeout_s: float = 120.0
    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    _headers: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _urls: list[str] = field(default_factory=list, init=False, repr=False)
    _inflight: list[int] = field(default_factory=list, init=False, repr=False)
    _sem: asyncio.Semaphore | None = field(default=None, init=False, repr=False)
    _http: httpx.AsyncClient | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        check_base_url(self.base_url)
        self._urls = [u.strip().rstrip("/") for u in self.base_url.split(",") if u.strip()]
        self._inflight = [0] * len(self._urls)
        self.base_url = ",".join(self._urls)
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        self._headers = {"Content-Type": "application/json"}
        if key:
            self._headers["Authorization"] = f"Bearer {key}"
        creds = [urlsplit(u).password for u in self._urls]
        self._secrets = tuple(x for x in (key, *creds) if x)
        self._conn_failures = 0
        self._down: str | None = None

    def _clean(self, text: str) -> str:
        return redact(text, self._secrets)

    async def check(self, timeout_s: float = 10.0) -> None:
        """One ``GET {url}/models`` per server with a short timeout: raise
        :class:`EndpointDown` naming the URL and the cause when a server cannot be reached
        (any HTTP answer, even 404, shows the server is up)."""
        async with httpx.AsyncClient(timeout=httpx.Timeout(timeout_s)) as http:
            for url in self._urls:
                try:
                    await http.get(f"{url}/models", headers=self._headers)
                except httpx.HTTPError as exc:
                    cause = self._clean(str(exc) or type(exc).__name__)
                    raise EndpointDown(
                        f"cannot reach {strip_credentials(url)}: {type(exc).__name__}: {cause}"
                    ) from None

    async def __aenter__(self) -> ChatClient:
        self._sem = asyncio.Semaphore(self.concurrency)
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeout_s),
            headers=self._headers,
            limits=httpx.Limits(max_connections=max(self.concurrency, 1)),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._http is not None:
            await self._http.aclose()
        self._http = None

    def _backoff(self, attempt: int) -> float:
        base = min(self.backoff_max, self.backoff_base * (2.0**attempt))
        return base * random.uniform(0.5, 1.0)

    async def complete(
        self,
        messages: list[dict[str, str]],
        params: SamplingParams,
        seed: int,
        *,
        model: str | None = None,
    ) -> Completion:
        """One chat completion with retries; raises :class:`CompletionError` when all fail.

        ``model`` overrides the client's model for this request (agents on other models).
        """
        if self._http is None or self._sem is None:
            raise RuntimeError("use 'async with ChatClient(...)'")
        if self._down:
            raise EndpointDown(self._down)
        body: dict[str, Any] = {
            "model": model or self.model,
            "messages": messages,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_tokens,
            "seed": seed,
            "n": 1,
            "stream": False,
        }
        if params.logprobs:
            body["logprobs"] = True
            if params.top_logprobs:
                body["top_logprobs"] = params.top_logprobs
        last: _Retryable | None = None
        for attempt in range(self.max_retries + 1):
            try:
                async with self._sem:
                    if self._down:
                        raise EndpointDown(self._down)
                    t0 = time.monotonic()  # service time, not time queued for a slot
                    data = await self._post(body)
                return self._completion(
                    data, time.monotonic() - t0, attempt + 1, blank_ok=params.max_tokens == 1
                )
            except _Retryable as err:
                last = err
                if err.kind in ("timeout", "transport"):
                    self._conn_failures += 1
                    if self._conn_failures >= MAX_CONNECTION_FAILURES and not self._down:
                        self._down = (
                            f"{self._conn_failures} consecutive connection failures at "
                            f"{strip_credentials(self.base_url)} (last: {err.kind}, "
                            f"{err.message}); is the server running?"
                        )
                    if self._down:
                        raise EndpointDown(self._down) from None
                if attempt == self.max_retries:
                    break
                wait = err.wait_s if err.wait_s is not None else self._backoff(attempt)
                await asyncio.sleep(min(wait, self.backoff_max))
        assert last is not None
        raise CompletionError(last.kind, last.message, self.max_retries + 1)

    async def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        assert self._http is not None
        slot = min(range(len(self._urls)), key=self._inflight.__getitem__)
        self._inflight[slot] += 1
        try:
            resp = await self._http.post(f"{self._urls[slot]}/chat/completions", json=body)
        except httpx.TimeoutException as exc:
            raise _Retryable("timeout", type(exc).__name__) from exc
        except httpx.TransportError as exc:
            raise _Retryable("transport", type(exc).__name__) from exc
        finally:
            self._inflight[slot] -= 1
        self._conn_failures = 0  # the server answered
        if resp.status_code == 429:
            wait = parse_retry_after(resp.headers.get("Retry-After"))
            raise _Retryable("http_429", "rate limited", wait)
        if resp.status_code >= 500:
            raise _Retryable(f"http_{resp.status_code}", self._clean(resp.text)[:200])
        if resp.status_code >= 400:
            raise CompletionError(f"http_{resp.status_code}", self._clean(resp.text)[:200], 1)
        try:
            data = json.loads(resp.content)
        except ValueError as exc:
            raise _Retryable("bad_json", f"invalid JSON body ({len(resp.content)} bytes)") from exc
        if not isinstance(data, dict):
            raise _Retryable("bad_json", "response is not a JSON object")
        return data

    @staticmethod
    def _completion(
        data: dict[str, Any], latency: float, attempts: int, *, blank_ok: bool = False
    ) -> Completion:
        """The completion of a response body; ``blank_ok``: a whitespace-only reply is kept
        when it carries top log-probabilities (a one-token judge call reads P(yes) there)."""
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise _Retryable("bad_response", "no choices")
        choice = choices[0]
        message = choice.get("message") or {}
        text = message.get("content") if isinstance(message, dict) else None
        mean, first = _parse_logprobs(choice)
        if not isinstance(text, str) or not (text.strip() or (blank_ok and text and first)):
            raise _Retryable("empty_content", "empty content")
        usage = data.get("usage") or {}
        return Completion(
            text=text,
            finish_reason=choice.get("finish_reason"),
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            mean_logprob=mean,
            first_top_logprobs=first,
            latency_s=latency,
            attempts=attempts,
        )
