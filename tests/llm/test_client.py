"""The async client against a real HTTP server on 127.0.0.1 with injected faults."""

from __future__ import annotations

import asyncio
import time
from email.utils import formatdate

import pytest

from align_theory.llm.client import ChatClient, CompletionError, SamplingParams, parse_retry_after

MSG = [{"role": "user", "content": "q"}]


def _one(url: str, seed: int = 1, **kw: object) -> object:
    async def go() -> object:
        client = ChatClient(url, "fake", backoff_base=0.01, timeout_s=0.5, **kw)  # type: ignore[arg-type]
        async with client:
            return await client.complete(MSG, SamplingParams(max_tokens=50), seed)

    return asyncio.run(go())


@pytest.mark.parametrize("fault", ["500", "timeout", "truncated", "empty"])
def test_retries_each_fault_then_succeeds(fake_server, fault):
    srv = fake_server(faults=[fault, fault])
    c = _one(srv.base_url)
    assert c.attempts == 3
    assert "boxed" in c.text
    assert c.completion_tokens > 0 and c.mean_logprob is not None
    assert len(srv.requests) == 3


def test_429_honours_retry_after(fake_server):
    srv = fake_server(faults=["429"], retry_after="0.4")
    c = _one(srv.base_url)
    assert c.attempts == 2
    gap = srv.request_times[1] - srv.request_times[0]
    assert gap >= 0.38, gap  # the backoff base alone would wait ≤ 0.01 s


def test_gives_up_with_error_kind(fake_server):
    srv = fake_server(always_fail_seeds={7})
    with pytest.raises(CompletionError) as info:
        _one(srv.base_url, seed=7, max_retries=2)
    assert info.value.kind == "http_500"
    assert info.value.attempts == 3
    assert len(srv.requests) == 3


def test_one_request_per_sample_with_seed(fake_server):
    srv = fake_server()
    _one(srv.base_url, seed=123)
    body = srv.requests[0]
    assert body["seed"] == 123 and body["n"] == 1 and body["logprobs"] is True


def test_api_key_from_env_not_in_repr(fake_server, monkeypatch):
    monkeypatch.setenv("ALIGN_TEST_KEY", "sk-secret-value")
    client = ChatClient("http://127.0.0.1:1/v1", "m", api_key_env="ALIGN_TEST_KEY")
    assert "sk-secret-value" not in repr(client)
    assert client._headers["Authorization"] == "Bearer sk-secret-value"


def test_concurrency_limit(fake_server):
    srv = fake_server(delay_s=0.2)

    async def go() -> float:
        async with ChatClient(srv.base_url, "fake", concurrency=2) as client:
            t0 = time.monotonic()
            await asyncio.gather(*(client.complete(MSG, SamplingParams(), s) for s in range(4)))
            return time.monotonic() - t0

    elapsed = asyncio.run(go())
    assert elapsed >= 0.38  # 4 requests, 2 at a time, 0.2 s each


def test_parse_retry_after():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("garbage") is None
    now = time.time()
    assert 9 <= parse_retry_after(formatdate(now + 10, usegmt=True), now=now) <= 10.5


def test_requests_balance_over_several_servers(fake_server):
    a, b = fake_server(delay_s=0.1), fake_server(delay_s=0.1)

    async def go() -> None:
        url = f"{a.base_url},{b.base_url}"
        async with ChatClient(url, "fake", concurrency=2) as client:
            await asyncio.gather(*(client.complete(MSG, SamplingParams(), s) for s in range(6)))

    asyncio.run(go())
    assert len(a.requests) == 3 and len(b.requests) == 3
