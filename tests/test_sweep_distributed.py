"""Sweeps over an executor: a Dask ``distributed.LocalCluster`` of two worker processes
gives the rows of the single-process sweep, and a sweep resumes after a worker or the client
is killed (SIGKILL) mid-way. Marked ``slow`` (worker start-up and compilation per worker)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest

from align_theory import Align, GaussianModel, SingleAgent
from align_theory.montecarlo.sweep import sweep

distributed = pytest.importorskip("distributed")

PROTOS = [Align(2, 4, "judge"), SingleAgent(8)]
GRID = {"kappa": [0.0, 0.5, 1.0], "tau": [0.5, 1.5]}
FACTORY = partial(GaussianModel, rho_between=0.3, rho_within=0.3)  # picklable by reference
KW = {"trials": 4096, "seed": 3, "batch": 1, "progress": False}


@pytest.fixture(scope="module")
def reference_rows() -> list[dict]:
    return sweep(FACTORY, PROTOS, GRID, **KW)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def client() -> object:
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    cl = distributed.Client(cluster)
    yield cl
    cl.close()
    cluster.close()


def test_thread_pool_executor_gives_the_same_rows(reference_rows: list[dict]) -> None:
    with ThreadPoolExecutor(2) as ex:
        rows = sweep(FACTORY, PROTOS, GRID, executor=ex, **KW)  # type: ignore[arg-type]
    assert rows == reference_rows


@pytest.mark.slow
def test_dask_rows_and_file_equal_single_process(
    client: object, reference_rows: list[dict], tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "study.parquet"
    rows = sweep(FACTORY, PROTOS, GRID, executor=client, out=out, **KW)  # type: ignore[arg-type]
    assert rows == reference_rows
    assert pq.read_table(out).to_pylist() == reference_rows
    assert (tmp_path / "study.parquet.manifest.json").exists()
    assert not (tmp_path / "study.parquet.parts").exists()


@pytest.mark.slow
def test_dask_survives_a_killed_worker(
    client: object, reference_rows: list[dict], tmp_path: Path
) -> None:
    out = tmp_path / "w.parquet"
    pids = list(client.run(os.getpid).values())  # type: ignore[attr-defined]

    def kill_one() -> None:
        parts = tmp_path / "w.parquet.parts"
        t0 = time.time()
        while time.time() - t0 < 120 and not list(parts.glob("part-*.parquet")):
            time.sleep(0.05)
        os.kill(pids[0], signal.SIGKILL)

    th = threading.Thread(target=kill_one)
    th.start()
    rows = sweep(FACTORY, PROTOS, GRID, executor=client, out=out, **KW)  # type: ignore[arg-type]
    th.join()
    assert rows == reference_rows


CLIENT = """
import sys
from functools import partial
import distributed
from align_theory import Align, GaussianModel, SingleAgent
from align_theory.montecarlo.sweep import sweep
client = distributed.Client(sys.argv[2])
sweep(partial(GaussianModel, rho_between=0.3, rho_within=0.3),
      [Align(2, 4, "judge"), SingleAgent(8)], {"kappa": [0.0, 0.5, 1.0], "tau": [0.5, 1.5]},
      trials=4096, seed=3, batch=1, progress=False, executor=client, out=sys.argv[1])
"""


@pytest.mark.slow
def test_dask_resumes_after_the_client_is_killed(
    client: object, reference_rows: list[dict], tmp_path: Path
) -> None:
    out = tmp_path / "c.parquet"
    addr = client.scheduler.address  # type: ignore[attr-defined]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-c", CLIENT, str(out), addr], env=env)
    parts = tmp_path / "c.parquet.parts"
    t0 = time.time()
    while time.time() - t0 < 180 and not list(parts.glob("part-*.parquet")):
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    written = len(list(parts.glob("part-*.parquet"))) if parts.exists() else 6
    assert written >= 1
    rows = sweep(FACTORY, PROTOS, GRID, executor=client, out=out, **KW)  # type: ignore[arg-type]
    assert rows == reference_rows
