"""Protocol construction, validation and cost accounting."""

from __future__ import annotations

import pytest

from align_theory import (
    Align,
    FilterVote,
    MajorityVote,
    Oracle,
    PrincipalBestOfN,
    RandomPick,
    Shortlist,
    SingleAgent,
)


def test_costs() -> None:
    assert Align(4, 8).n == 32
    assert Align(4, 8).cost.candidates == 32
    assert Align(4, 8).cost.principal_evaluations == 4
    assert SingleAgent(32).cost.principal_evaluations == 0
    assert PrincipalBestOfN(32).cost.principal_evaluations == 32
    assert Shortlist(32, 4).cost.principal_evaluations == 4
    for cls in (RandomPick, MajorityVote, FilterVote, Oracle):
        assert cls(16).cost.candidates == 16


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: Align(0, 4), "agents must be an integer >= 1"),
        (lambda: Align(2, 0), "per_agent must be an integer >= 1"),
        (lambda: Align(2, 2, "oracle"), "principal must be one of"),
        (lambda: Align(2.5, 2), "agents must be an integer"),  # type: ignore[arg-type]
        (lambda: SingleAgent(0), "n must be an integer >= 1"),
        (lambda: SingleAgent(10, agents=3), "agents must divide n"),
        (lambda: Shortlist(8, 9), r"size must be an integer in \[1, 8\]"),
        (lambda: Shortlist(8, 2, "vote"), "principal must be one of"),
        (lambda: MajorityVote(True), "n must be an integer"),  # type: ignore[arg-type]
    ],
)
def test_bad_protocols_name_the_parameter(factory: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        factory()  # type: ignore[operator]


def test_protocols_are_hashable_values() -> None:
    assert Align(2, 3, "judge") == Align(2, 3, "judge")
    assert len({SingleAgent(4), SingleAgent(4), SingleAgent(4, agents=2)}) == 2
