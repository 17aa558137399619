"""Append-only store: one line per record, partial tails repaired, keys stable."""

from __future__ import annotations

from align_theory.llm.store import JsonlStore, StoreStats, key_hash, read_records


def test_append_read_and_done_keys(tmp_path):
    path = tmp_path / "s.jsonl"
    with JsonlStore(path) as st:
        st.append({"key": "a", "error": None})
        st.append({"key": "b", "error": {"kind": "http_500"}})
    stats = StoreStats()
    recs = list(read_records(path, stats))
    assert [r["key"] for r in recs] == ["a", "b"]
    assert (stats.ok, stats.failed) == (1, 1)
    assert JsonlStore(path).done_keys() == {"a"}


def test_partial_tail_is_cut_on_open(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"key":"a","error":null}\n{"key":"b","err')
    stats = StoreStats()
    assert [r["key"] for r in read_records(path, stats)] == ["a"]
    assert stats.partial_lines == 1
    st = JsonlStore(path).open()
    assert st.repaired_bytes == len(b'{"key":"b","err')
    st.append({"key": "c", "error": None})
    st.close()
    assert [r["key"] for r in read_records(path)] == ["a", "c"]


def test_key_hash_order_independent_and_sensitive():
    a = key_hash({"x": 1, "p": {"t": 0.7, "top_p": 1.0}})
    b = key_hash({"p": {"top_p": 1.0, "t": 0.7}, "x": 1})
    assert a == b
    assert a != key_hash({"x": 1, "p": {"t": 0.8, "top_p": 1.0}})
