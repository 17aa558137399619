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


def test_llama_server_command_has_slots_with_their_own_kv_streams(tmp_path):
    binary = tmp_path / "llama-server"
    binary.write_text("#!/bin/sh\n")
    srv = LocalServer(tmp_path / "m.gguf", server_bin=binary, parallel=8, n_ctx=1024, port=5)
    cmd = srv.command()
    assert cmd[0] == str(binary)
    assert cmd[cmd.index("--parallel") + 1] == "8"
    assert cmd[cmd.index("--ctx-size") + 1] == str(8 * 1024)  # n_ctx per slot
    assert "--no-kv-unified" in cmd and cmd[cmd.index("--port") + 1] == "5"


def test_python_server_modules_by_logprob_mode(tmp_path):
    m = tmp_path / "m.gguf"
    assert "align_theory.llm.llama_server" in LocalServer(m).command()
    none = LocalServer(m, logprobs="none").command()
    assert "llama_cpp.server" in none and none[none.index("--logits_all") + 1] == "false"
    full = LocalServer(m, logprobs="all").command()
    assert full[full.index("--logits_all") + 1] == "true"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"logprobs": "some"}, "logprobs must be one of"),
        ({"parallel": 0}, "parallel must be >= 1"),
        ({"parallel": 2}, "parallel > 1 needs server_bin"),
        ({"server_bin": "/nonexistent/llama-server"}, "is not a file"),
    ],
)
def test_bad_server_options_name_the_parameter(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        LocalServer(tmp_path / "m.gguf", **kwargs)
