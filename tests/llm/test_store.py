"""Append-only store: one line per record, partial tails repaired, keys stable."""

from __future__ import annotations

from align_theory.llm.records import (
    CallError,
    KeyFields,
    SampleOutput,
    SampleRecord,
    SamplingParams,
)
from align_theory.llm.store import JsonlStore, StoreStats, key_hash, load_records, read_records


def _sample(qid: str, *, failed: bool = False) -> SampleRecord:
    kf = KeyFields("sample", "toy", qid, "m", SamplingParams(), "p", seed=1, agent="a0", index=0)
    if failed:
        return SampleRecord(kf, 3, error=CallError("http_500", "server error"))
    return SampleRecord(
        kf, 1, output=SampleOutput("42", "42", "last_number", -0.1, 5, 2, "stop", 0.1, 1.0)
    )


def test_append_read_and_done_keys(tmp_path):
    path = tmp_path / "s.jsonl"
    a, b = _sample("a"), _sample("b", failed=True)
    with JsonlStore(path) as st:
        st.append(a)
        st.append(b)
    stats = StoreStats()
    recs = list(read_records(path, stats))
    assert [r["key"] for r in recs] == [a.key, b.key]
    assert (stats.ok, stats.failed) == (1, 1)
    assert JsonlStore(path).done_keys() == {a.key}
    assert load_records(path, SampleRecord) == [a, b]


def test_partial_tail_is_cut_on_open(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"key":"a","error":null}\n{"key":"b","err')
    stats = StoreStats()
    assert [r["key"] for r in read_records(path, stats)] == ["a"]
    assert stats.partial_lines == 1
    st = JsonlStore(path).open()
    assert st.repaired_bytes == len(b'{"key":"b","err')
    c = _sample("c")
    st.append(c)
    st.close()
    assert [r["key"] for r in read_records(path)] == ["a", c.key]


def test_key_hash_order_independent_and_sensitive():
    a = key_hash({"x": 1, "p": {"t": 0.7, "top_p": 1.0}})
    b = key_hash({"p": {"top_p": 1.0, "t": 0.7}, "x": 1})
    assert a == b
    assert a != key_hash({"x": 1, "p": {"t": 0.8, "top_p": 1.0}})
