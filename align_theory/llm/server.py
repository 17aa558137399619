"""Start and stop llama.cpp's OpenAI-compatible server (``llama-cpp-python[server]``).

:class:`LocalServer` launches llama-cpp-python's server on 127.0.0.1 with a free port,
waits until ``GET /v1/models`` answers 200 (or the process dies, or a deadline passes), and
stops it with SIGTERM, then SIGKILL after a grace period. It is a context manager, so tests
and ``align llm serve-local`` cannot leave a server running.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

__all__ = ["LOGPROB_MODES", "LocalServer", "ServerStartError", "free_port"]

LOGPROB_MODES: tuple[str, ...] = ("generated", "none", "all")


class ServerStartError(RuntimeError):
    """The server exited or did not answer before the deadline."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that was free when asked (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class LocalServer:
    """llama.cpp server for one GGUF model on 127.0.0.1.

    ``logprobs`` picks what the server can return:

    * ``"generated"`` (default): log-probabilities of generated tokens, which is what the
      judge's P("yes") needs, via :mod:`align_theory.llm.llama_server` (logits of generated
      positions only, as vLLM and llama.cpp's C++ server compute them).
    * ``"none"``: stock ``llama_cpp.server`` without log-probabilities (agent samples).
    * ``"all"``: stock server with ``logits_all`` (prompt log-probabilities too). It costs:
      llama-cpp-python then keeps logits for every context position, and generation
      measured 3.8 instead of 17.7 tokens/s (2 threads, this machine).

    With ``server_bin`` (a ``llama-server`` binary of llama.cpp, e.g. built by
    ``scripts/build_llama_server.sh``) the C++ server runs instead, with ``parallel`` slots
    of ``n_ctx`` tokens each (one KV stream per slot) and continuous batching: concurrent
    requests are decoded together, which on a CPU multiplies throughput (docs/empirical.md).
    It returns log-probabilities of generated tokens whenever asked (``logprobs`` is then
    ignored).
    """

    def __init__(
        self,
        model_path: Path,
        *,
        port: int | None = None,
        n_threads: int = 2,
        n_ctx: int = 2048,
        model_alias: str = "local",
        start_timeout_s: float = 180.0,
        log_path: Path | None = None,
        logprobs: str = "generated",
        server_bin: Path | None = None,
        parallel: int = 1,
    ) -> None:
        if logprobs not in LOGPROB_MODES:
            raise ValueError(f"logprobs must be one of {LOGPROB_MODES}, got {logprobs!r}")
        if parallel < 1:
            raise ValueError(f"parallel must be >= 1 (server slots), got {parallel}")
        if parallel > 1 and server_bin is None:
            raise ValueError("parallel > 1 needs server_bin (llama-cpp-python serves one slot)")
        if server_bin is not None and not Path(server_bin).is_file():
            raise ValueError(f"server_bin {server_bin} is not a file")
        self.model_path = Path(model_path)
        self.host = "127.0.0.1"
        self.port = port or free_port(self.host)
        self.n_threads = n_threads
        self.n_ctx = n_ctx
        self.model_alias = model_alias
        self.start_timeout_s = start_timeout_s
        self.log_path = log_path
        self.logprobs = logprobs
        self.server_bin = Path(server_bin) if server_bin is not None else None
        self.parallel = parallel
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """OpenAI-compatible base URL, e.g. ``http://127.0.0.1:PORT/v1``."""
        return f"http://{self.host}:{self.port}/v1"

    def command(self) -> list[str]:
        """The server's command line."""
        if self.server_bin is not None:
            threads = str(self.n_threads)
            return [
                str(self.server_bin),
                "--model",
                str(self.model_path),
                "--alias",
                self.model_alias,
                "--host",
                self.host,
                "--port",
                str(self.port),
                "--threads",
                threads,
                "--threads-batch",
                threads,
                "--ctx-size",
                str(self.n_ctx * self.parallel),
                "--parallel",
                str(self.parallel),
                # one KV stream per slot (a unified cache lets a batched step's attention
                # span every cell the slots have filled); the stored run went from 20.5 to
                # 31.6 sample tok/s after this change, confounded with other load, see
                # docs/empirical.md
                "--no-kv-unified",
                "--no-webui",
            ]
        module = (
            "align_theory.llm.llama_server" if self.logprobs == "generated" else "llama_cpp.server"
        )
        return [
            sys.executable,
            "-m",
            module,
            "--model",
            str(self.model_path),
            "--model_alias",
            self.model_alias,
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--n_threads",
            str(self.n_threads),
            "--n_threads_batch",
            str(self.n_threads),
            "--n_ctx",
            str(self.n_ctx),
            "--logits_all",
            "true" if self.logprobs == "all" else "false",
            "--verbose",
            "false",
        ]

    def start(self) -> LocalServer:
        """Launch the server and block until it answers; raises :class:`ServerStartError`."""
        if self._proc is not None:
            raise RuntimeError("server already started")
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        try:
            env = dict(os.environ)
            # On a shared machine, OpenMP threads that spin while waiting starve each other
            # and everyone else; passive waiting keeps 2 threads from collapsing throughput.
            env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            self._proc = subprocess.Popen(
                self.command(),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            if self.log_path and not isinstance(log, int):
                log.close()
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            code = self._proc.poll()
            if code is not None:
                self._proc = None
                raise ServerStartError(f"llama.cpp server exited with code {code} at start")
            try:
                resp = httpx.get(f"{self.base_url}/models", timeout=2.0)
                if resp.status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise ServerStartError(f"llama.cpp server did not answer in {self.start_timeout_s} s")

    def stop(self, grace_s: float = 10.0) -> None:
        """SIGTERM the server's process group, SIGKILL it after ``grace_s``; idempotent."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
