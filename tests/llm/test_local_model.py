"""Model assembly: hash verified while writing, mismatches refused, nothing half-written."""

from __future__ import annotations

import hashlib

import pytest

from align_theory.llm.local_model import (
    MODEL_BYTES,
    MODEL_SHA256,
    ModelIntegrityError,
    assemble_model,
    part_paths,
)


def _parts(tmp_path, chunks):
    paths = []
    for i, c in enumerate(chunks):
        p = tmp_path / f"part{i}.bin"
        p.write_bytes(c)
        paths.append(p)
    return paths


def test_assembles_in_order_and_verifies(tmp_path):
    chunks = [b"abc", b"def", b"g"]
    parts = _parts(tmp_path, chunks)
    want = hashlib.sha256(b"abcdefg").hexdigest()
    out = assemble_model(tmp_path / "m", parts=parts, expected_sha256=want, expected_bytes=7)
    assert out.read_bytes() == b"abcdefg"
    # a second call re-verifies and reuses it
    assert (
        assemble_model(tmp_path / "m", parts=parts, expected_sha256=want, expected_bytes=7) == out
    )


def test_refuses_mismatch_and_leaves_nothing(tmp_path):
    parts = _parts(tmp_path, [b"abc", b"xyz"])
    with pytest.raises(ModelIntegrityError):
        assemble_model(tmp_path / "m", parts=parts, expected_sha256="0" * 64, expected_bytes=6)
    assert list((tmp_path / "m").iterdir()) == []


def test_corrupt_cached_file_is_rebuilt(tmp_path):
    parts = _parts(tmp_path, [b"good", b"data"])
    want = hashlib.sha256(b"gooddata").hexdigest()
    dest = tmp_path / "m"
    dest.mkdir()
    (dest / "x.gguf").write_bytes(b"tampered")
    out = assemble_model(
        dest, parts=parts, expected_sha256=want, expected_bytes=8, filename="x.gguf"
    )
    assert out.read_bytes() == b"gooddata"


def test_real_parts_assemble_to_the_published_hash(tmp_path):
    paths = part_paths()
    assert len(paths) == 6
    assert sum(p.stat().st_size for p in paths) == MODEL_BYTES
    out = assemble_model(tmp_path)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert digest == MODEL_SHA256
