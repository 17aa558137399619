"""LocalServer start failures are reported, never hung on."""

from __future__ import annotations

import socket
import time

import pytest

from align_theory.llm.server import LocalServer, ServerStartError, free_port


def test_free_port_is_bindable():
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_bad_model_fails_fast(tmp_path):
    bogus = tmp_path / "not-a-model.gguf"
    bogus.write_bytes(b"nope")
    t0 = time.monotonic()
    with pytest.raises(ServerStartError):
        LocalServer(bogus, start_timeout_s=60).start()
    assert time.monotonic() - t0 < 60
