"""The run folder's record schema (align_theory.llm.records) on the stored run: every line
reads and writes back byte for byte, keys are unchanged, and bad records are refused by
name."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import align_theory
from align_theory.llm.agents import AgentSpec
from align_theory.llm.datasets import Question
from align_theory.llm.records import (
    SCHEMA_VERSION,
    CallError,
    ExtraOutput,
    ExtraRecord,
    JudgeRecord,
    KeyFields,
    Manifest,
    SampleRecord,
    SamplingParams,
    canonical_json,
)
from align_theory.llm.runner import RunConfig, sample_key_fields
from align_theory.llm.scoring import load_run
from align_theory.llm.store import load_records, read_manifest, write_manifest

RUN = Path(align_theory.__file__).parents[1] / "runs" / "gsm8k-qwen0.5b-m4k4"
STORES = {"samples": SampleRecord, "judge": JudgeRecord, "extras": ExtraRecord}
Record = SampleRecord | JudgeRecord | ExtraRecord


def _lines(stem: str) -> list[bytes]:
    return (RUN / f"{stem}.jsonl").read_bytes().splitlines(keepends=True)


@pytest.mark.parametrize("stem", sorted(STORES), ids=sorted(STORES))
def test_every_stored_line_reads_and_writes_back_byte_for_byte(stem: str) -> None:
    cls = STORES[stem]
    lines = _lines(stem)
    recs = [cls.from_json(json.loads(raw)) for raw in lines]
    assert [(canonical_json(r.to_json()) + "\n").encode() for r in recs] == lines
    # the keys are the stored ones (from_json checks each against its key fields' hash)
    assert [r.key for r in recs] == [json.loads(raw)["key"] for raw in lines]
    assert load_records(RUN / f"{stem}.jsonl", cls) == recs


def test_the_stored_extras_hold_every_kind_and_failed_calls() -> None:
    recs = load_records(RUN / "extras.jsonl", ExtraRecord)
    kinds = {r.kind for r in recs}
    failed = [r for r in recs if not r.ok]
    assert kinds == {"usc", "debate", "verify"}
    assert len(failed) == 4 and all(r.kind == "usc" and r.output is None for r in failed)
    assert all(r.error is not None and r.error.kind == "http_400" for r in failed)


def test_the_manifest_reads_and_writes_back_byte_for_byte(tmp_path: Path) -> None:
    m = read_manifest(RUN / "manifest.json")
    write_manifest(tmp_path / "manifest.json", m)
    assert (tmp_path / "manifest.json").read_bytes() == (RUN / "manifest.json").read_bytes()
    assert m.records_schema is None  # written before the schema had a version: version 1
    assert sum(i.issued_samples for i in m.invocations) == 800


def test_the_runners_sample_keys_reproduce_the_stored_keys() -> None:
    """The cache keys of the model calls are unchanged: recomputing every sample's key from
    the manifest's configuration and the stored questions gives the stored key."""
    manifest, questions, samples, _ = load_run(RUN)
    cfg_d = dict(manifest.config)
    cfg_d["agents"] = [AgentSpec(**a) for a in cfg_d["agents"]]
    cfg = RunConfig(**cfg_d)
    by_qid: dict[str, Question] = {q.qid: q for q in questions}
    agents = {a.name: a for a in cfg.agents}
    for r in samples:
        fields, _ = sample_key_fields(cfg, by_qid[r.qid], agents[r.agent], r.index)
        assert fields == r.key_fields and fields.key() == r.key


def _first(stem: str, pick: Callable[[dict[str, Any]], bool] = lambda r: True) -> dict[str, Any]:
    return next(obj for obj in map(json.loads, _lines(stem)) if pick(obj))


def _kind(kind: str) -> Callable[[dict[str, Any]], bool]:
    return lambda r: r["kind"] == kind and r["error"] is None


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    *outer, last = path.split(".")

    def edit(obj: dict[str, Any]) -> None:
        for name in outer:
            obj = obj[name]
        obj[last] = value

    return edit


def _drop(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda obj: obj.pop(name)


# (store, which stored record, how it is broken, what the error must name)
BAD: dict[str, tuple[str, str, Callable[[dict[str, Any]], None], str]] = {
    "sample-missing-text": ("samples", "sample", _drop("text"), "lacks field 'text'"),
    "sample-tokens-as-string": (
        "samples",
        "sample",
        _set("completion_tokens", "131"),
        "field 'completion_tokens' must be an integer",
    ),
    "sample-index-as-bool": ("samples", "sample", _set("index", True), "field 'index'"),
    "sample-unknown-field": ("samples", "sample", _set("colour", "red"), "unknown field 'colour'"),
    "sample-top-level-agent-disagrees": (
        "samples",
        "sample",
        _set("agent", "a9-other"),
        "field 'agent' differs from key_fields.agent",
    ),
    "sample-key-not-the-hash": (
        "samples",
        "sample",
        _set("key", "0" * 64),
        "field 'key' is not the hash of its key_fields",
    ),
    "sample-params-ill-typed": (
        "samples",
        "sample",
        _set("key_fields.params.max_tokens", 320.0),
        "field 'max_tokens' must be an integer",
    ),
    "sample-failed-with-output": (
        "samples",
        "sample",
        _set("error", {"kind": "timeout", "message": "read timeout"}),
        "failed but has output field",
    ),
    "sample-error-lacks-message": (
        "samples",
        "sample",
        _set("error", {"kind": "timeout"}),
        "'error' lacks field 'message'",
    ),
    "judge-xhat-as-string": (
        "judge",
        "judge",
        _set("xhat", "0.3"),
        "field 'xhat' must be a number",
    ),
    "judge-missing-sample-key": ("judge", "judge", _drop("sample_key"), "lacks field 'sample_key'"),
    "judge-logprobs-not-numbers": (
        "judge",
        "judge",
        _set("top_logprobs", {"yes": "high"}),
        "field 'top_logprobs' must be an object of token log-probabilities",
    ),
    "judge-as-sample-kind": ("judge", "judge", _set("kind", "sample"), "field 'kind'"),
    "usc-rep-missing": ("extras", "usc", _drop("rep"), "usc record lacks field 'rep'"),
    "usc-sample-keys-not-strings": (
        "extras",
        "usc",
        _set("key_fields.sample_keys", [1, 2]),
        "field 'sample_keys' must be a list of strings",
    ),
    "debate-round-disagrees": (
        "extras",
        "debate",
        _set("round", 2),
        "field 'round' differs from key_fields.round",
    ),
    "verify-v-as-string": ("extras", "verify", _set("v", "0.9"), "field 'v' must be a number"),
    "extra-unknown-kind": ("extras", "verify", _set("kind", "vote"), "field 'kind' must be one of"),
}


@pytest.mark.parametrize("case", sorted(BAD), ids=sorted(BAD))
def test_a_bad_record_is_refused_naming_the_field(case: str) -> None:
    stem, kind, breaks, message = BAD[case]
    obj = copy.deepcopy(_first(stem, _kind(kind)))
    STORES[stem].from_json(obj)  # the stored record itself is fine
    breaks(obj)
    with pytest.raises(ValueError, match=message):
        STORES[stem].from_json(obj)


@pytest.mark.parametrize("stem", sorted(STORES), ids=sorted(STORES))
def test_a_bad_line_in_a_store_is_named_by_file_and_line(stem: str, tmp_path: Path) -> None:
    good = _lines(stem)[0]
    bad = json.loads(good)
    del bad["qid"]
    path = tmp_path / f"{stem}.jsonl"
    path.write_bytes(good + (canonical_json(bad) + "\n").encode())
    with pytest.raises(ValueError, match=rf"{stem}\.jsonl, line 2: .* lacks field 'qid'"):
        load_records(path, STORES[stem])


MANIFEST_BAD: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "missing-config-hash": (_drop("config_hash"), "manifest lacks field 'config_hash'"),
    "per-agent-as-string": (
        _set("config.per_agent", "4"),
        "field 'config.per_agent' must be an integer",
    ),
    "agent-without-name": (_set("config.agents", [{"temperature": 0.6}]), r"config.agents\[0\]"),
    "invocation-lacks-wall-time": (
        lambda m: m["invocations"][0].pop("wall_s"),
        r"invocations\[0\]' lacks field 'wall_s'",
    ),
    "newer-schema": (_set("records_schema", SCHEMA_VERSION + 1), "written by a newer version"),
    "usc-prompt-as-string": (
        _set("config.usc_prompt", "2"),
        "field 'config.usc_prompt' must be an integer",
    ),
}


def test_the_stored_run_predates_usc_prompt_versions_so_it_is_version_1() -> None:
    m = read_manifest(RUN / "manifest.json")
    assert "usc_prompt" not in m.config and m.usc_prompt == 1


@pytest.mark.parametrize("case", sorted(MANIFEST_BAD), ids=sorted(MANIFEST_BAD))
def test_a_bad_manifest_is_refused_naming_the_field(case: str, tmp_path: Path) -> None:
    breaks, message = MANIFEST_BAD[case]
    obj = json.loads((RUN / "manifest.json").read_text())
    breaks(obj)
    with pytest.raises(ValueError, match=message):
        Manifest.from_json(obj)
    (tmp_path / "manifest.json").write_text(json.dumps(obj))
    with pytest.raises(ValueError, match=r"manifest\.json: "):
        read_manifest(tmp_path / "manifest.json")


def _usc_fields() -> KeyFields:
    params = SamplingParams(0.0, 1.0, 48, False)
    return KeyFields("usc", "toy", "q", "m", params, "p", sample_keys=("s0", "s1"))


CONSTRUCT_BAD: dict[str, tuple[Callable[[], object], str]] = {
    "usc-without-k": (
        lambda: ExtraRecord(_usc_fields(), rep=0, error=CallError("timeout", "")),
        "a usc record needs 'k'",
    ),
    "usc-with-agent": (
        lambda: ExtraRecord(_usc_fields(), "a0", k=1, rep=0, error=CallError("timeout", "")),
        "a usc record has no 'agent'",
    ),
    "usc-output-with-answer": (
        lambda: ExtraRecord(_usc_fields(), k=1, rep=0, output=ExtraOutput("x", 1, 1, answer="3")),
        "output has no 'answer'",
    ),
    "both-output-and-error": (
        lambda: ExtraRecord(
            _usc_fields(), k=1, rep=0, output=ExtraOutput("x", 1, 1), error=CallError("t", "")
        ),
        "exactly one of output and error",
    ),
    "sample-record-of-usc-fields": (
        lambda: SampleRecord(_usc_fields(), 1, error=CallError("t", "")),
        "needs sample key_fields",
    ),
    "usc-key-fields-with-a-seed": (
        lambda: KeyFields("usc", "toy", "q", "m", SamplingParams(), "p", seed=0, sample_keys=()),
        "key_fields of a usc call have no 'seed'",
    ),
    "usc-key-fields-without-sample-keys": (
        lambda: KeyFields("usc", "toy", "q", "m", SamplingParams(), "p"),
        "key_fields of a usc call need 'sample_keys'",
    ),
}


@pytest.mark.parametrize("case", sorted(CONSTRUCT_BAD), ids=sorted(CONSTRUCT_BAD))
def test_an_inconsistent_record_cannot_be_built(case: str) -> None:
    build, message = CONSTRUCT_BAD[case]
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize("stem", sorted(STORES), ids=sorted(STORES))
def test_failed_records_round_trip_without_output_fields(stem: str) -> None:
    ok = STORES[stem].from_json(json.loads(_lines(stem)[0]))
    failed = _failed(ok)
    obj = failed.to_json()
    assert obj["error"] == {"kind": "timeout", "message": "read timeout"}
    assert not {"text", "reply", "answer", "xhat", "v"} & set(obj)
    assert STORES[stem].from_json(json.loads(canonical_json(obj))) == failed
    assert failed.key == ok.key  # a retry has the same key


def _failed(rec: Record) -> Record:
    import dataclasses

    return dataclasses.replace(rec, output=None, error=CallError("timeout", "read timeout"))


def test_a_gzipped_store_reads_like_the_plain_one(tmp_path: Path) -> None:
    import gzip

    (tmp_path / "judge.jsonl.gz").write_bytes(gzip.compress((RUN / "judge.jsonl").read_bytes()))
    got = load_records(tmp_path / "judge.jsonl", JudgeRecord)
    assert got == load_records(RUN / "judge.jsonl", JudgeRecord) and len(got) == 800
