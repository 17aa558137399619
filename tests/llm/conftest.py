"""Fixtures for the LLM adapter tests: a scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .fake_server import FakeServer


@pytest.fixture
def fake_server() -> Iterator[Callable[..., FakeServer]]:
    """Factory: ``fake_server(**options)`` starts a FakeServer stopped at teardown."""
    started: list[FakeServer] = []

    def make(**kw: Any) -> FakeServer:
        srv = FakeServer(**kw).start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()
