"""The package's shape: imports run one way, the public API is pinned, closed forms load no
JAX, and every registered protocol is constructible and parseable."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import align_theory
from align_theory.protocols import REGISTRY, parse_protocol, protocol_spec

PKG = Path(align_theory.__file__).parent

PUBLIC_API = {
    "Align",
    "BernoulliModel",
    "CompareResult",
    "Cost",
    "EmpiricalPool",
    "Estimate",
    "FilterVote",
    "GaussianModel",
    "MajorityVote",
    "Oracle",
    "PrincipalBestOfN",
    "RandomPick",
    "Report",
    "Shortlist",
    "SingleAgent",
    "__version__",
    "compare",
    "expected_utility",
    "simulate",
    "simulate_each",
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every align_theory module imported anywhere in ``path`` (lazy imports included)."""
    name = _module_name(path)
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("align_theory")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            if not mod.startswith("align_theory"):
                continue
            out.add(mod)
            for a in node.names:  # `from align_theory import montecarlo` names a module
                out.add(f"{mod}.{a.name}")
    return out


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PKG.rglob("*.py")}
    graph = {}
    for mod, path in files.items():
        deps = set()
        for imp in _imports(path):
            # resolve to the longest existing module name
            while imp and imp not in files:
                imp = imp.rpartition(".")[0]
            if imp and imp != mod and not (mod.startswith(imp + ".") and imp in files):
                deps.add(imp)
        graph[mod] = deps
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return [*stack[stack.index(m) :], m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def test_no_import_cycle() -> None:
    cycle = _find_cycle(_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_cycle_finder_finds_a_cycle() -> None:
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_relative_and_lazy_imports_are_read(tmp_path: Path) -> None:
    src = "def f():\n    from align_theory.montecarlo import simulate\n"
    p = PKG / "exact" / "__init__.py"
    tree_imports = _imports(p)
    assert "align_theory.exact.gaussian" in tree_imports
    f = tmp_path / "x.py"
    f.write_text(src)
    assert any(ast.walk(ast.parse(src)))


@pytest.mark.parametrize(
    "lower, upper",
    [
        ("align_theory.models", "align_theory.exact"),
        ("align_theory.protocols", "align_theory.exact"),
        ("align_theory.results", "align_theory.exact"),
        ("align_theory.exact", "align_theory.montecarlo"),
        ("align_theory.models", "align_theory.cli"),
        ("align_theory.games", "align_theory.checks"),
        ("align_theory.exact", "align_theory.checks"),
        ("align_theory.montecarlo", "align_theory.checks"),
    ],
    ids=lambda s: s.rsplit(".", 1)[-1],
)
def test_imports_run_one_way(lower: str, upper: str) -> None:
    graph = _graph()
    reach, todo = set(), [m for m in graph if m == lower or m.startswith(lower + ".")]
    while todo:
        m = todo.pop()
        for d in graph.get(m, ()):
            if d not in reach:
                reach.add(d)
                todo.append(d)
    assert not any(r == upper or r.startswith(upper + ".") for r in reach)


def test_public_api_is_pinned() -> None:
    assert set(align_theory.__all__) == PUBLIC_API
    for name in align_theory.__all__:
        assert getattr(align_theory, name) is not None


@pytest.mark.parametrize(
    "code",
    [
        "import align_theory",
        "from align_theory import expected_utility, GaussianModel, Align; "
        "expected_utility(GaussianModel(kappa=1.0), Align(4, 4, 'judge'))",
        "from align_theory import expected_utility, BernoulliModel, MajorityVote; "
        "expected_utility(BernoulliModel(1.0, 2.0), MajorityVote(5))",
        "from align_theory.cli import build_parser; build_parser()",
    ],
    ids=["import", "exact-G", "exact-B", "cli-parser"],
)
def test_closed_forms_import_no_jax(code: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}; import sys; print('jax' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip().splitlines()[-1] == "False"


@pytest.mark.parametrize("name", list(REGISTRY), ids=list(REGISTRY))
def test_registry_entry_parses_and_round_trips(name: str) -> None:
    spec = REGISTRY[name]
    args = "8, 4" if name in ("Align", "Shortlist") else "8"
    proto = parse_protocol(f"{name}({args})")
    assert type(proto) is spec.cls
    assert protocol_spec(proto) is spec
    assert parse_protocol(repr(proto)) == proto
    assert spec.summary
