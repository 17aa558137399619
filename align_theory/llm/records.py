"""The schema of a run folder's records: one typed record per line of each store.

A run folder (:mod:`align_theory.llm.runner`) holds

* ``samples.jsonl`` — one :class:`SampleRecord` per agent sample,
* ``judge.jsonl`` — one :class:`JudgeRecord` per judge call (the principal's x̂ of one sample),
* ``extras.jsonl`` — one :class:`ExtraRecord` per extra call: universal self-consistency
  (``kind="usc"``), a debate round (``"debate"``) or an agent's self-verification
  (``"verify"``),
* ``manifest.json`` — the :class:`Manifest` (configuration, its hash, versions, invocations).

Every record is a frozen dataclass with ``to_json()`` (the JSON object stored) and
``from_json(obj)`` (which validates: a missing, unknown or ill-typed field raises
:class:`ValueError` naming the record and the field). Reading a stored line and writing it
back gives the same JSON object, byte for byte under :func:`canonical_json`.

A record's ``key`` is the SHA-256 of the canonical JSON of its :class:`KeyFields` (what
determines the model call: kind, dataset, question, model, every sampling parameter, seed,
prompt hash, and the judged sample's key where there is one), so an identical call has an
identical key in every run and a resumed run issues only missing keys. A call either
succeeded (``output`` set, ``error`` null) or failed after every retry (``error`` set, no
output fields stored); failed records are kept and their keys retried on resume.

:mod:`align_theory.llm.store` reads and writes these records; no other module builds or
parses their JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, cast, get_args

__all__ = [
    "SCHEMA_VERSION",
    "CallError",
    "ExtraKind",
    "ExtraOutput",
    "ExtraRecord",
    "Invocation",
    "JudgeOutput",
    "JudgeRecord",
    "KeyFields",
    "Manifest",
    "SampleOutput",
    "SampleRecord",
    "SamplingParams",
    "canonical_json",
    "key_hash",
]

SCHEMA_VERSION = 1
"""Version of this schema. New manifests record it as ``records_schema``; a manifest without
that field predates it and is version 1. A manifest of a later version is refused."""

Kind = Literal["sample", "judge", "usc", "debate", "verify"]
ExtraKind = Literal["usc", "debate", "verify"]
"""The kinds of extra call stored in ``extras.jsonl``."""

_KINDS: tuple[str, ...] = get_args(Kind)
_EXTRA_KINDS: tuple[str, ...] = get_args(ExtraKind)


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no spaces: equal objects give equal strings.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": [1.0, None]})
    '{"a":[1.0,null],"b":1}'
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def key_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of the key fields.

    Examples
    --------
    >>> key_hash({"x": 1, "p": 2}) == key_hash({"p": 2, "x": 1})
    True
    >>> len(key_hash({}))
    64
    """
    return hashlib.sha256(canonical_json(dict(fields)).encode()).hexdigest()


# -- validation helpers: each names the record and the field --------------------------------


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _fields(obj: Any, what: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
    """``obj`` is a JSON object holding every required field and nothing unknown."""
    if not isinstance(obj, dict):
        raise ValueError(f"{what} must be a JSON object, got {_show(obj)}")
    missing = [n for n in required if n not in obj]
    if missing:
        raise ValueError(f"{what} lacks field {missing[0]!r}")
    unknown = sorted(set(obj) - set(required) - set(optional))
    if unknown:
        raise ValueError(f"{what} has unknown field {unknown[0]!r}")


def _kind_first(obj: Any, what: str, kind: str) -> None:
    """A record of another kind is named as such before its missing fields."""
    if isinstance(obj, dict) and "kind" in obj and obj["kind"] != kind:
        raise _bad(what, "kind", repr(kind), obj["kind"])


def _bad(what: str, name: str, kind: str, value: Any) -> ValueError:
    return ValueError(f"{what} field {name!r} must be {kind}, got {_show(value)}")


def _str(obj: dict[str, Any], name: str, what: str) -> str:
    v = obj[name]
    if not isinstance(v, str):
        raise _bad(what, name, "a string", v)
    return v


def _opt_str(obj: dict[str, Any], name: str, what: str) -> str | None:
    return None if obj[name] is None else _str(obj, name, what)


def _int(obj: dict[str, Any], name: str, what: str) -> int:
    v = obj[name]
    if not isinstance(v, int) or isinstance(v, bool):
        raise _bad(what, name, "an integer", v)
    return v


def _opt_int(obj: dict[str, Any], name: str, what: str) -> int | None:
    return None if obj[name] is None else _int(obj, name, what)


def _num(obj: dict[str, Any], name: str, what: str) -> float:
    """A JSON number, kept as stored (an int stays an int, so keys hash unchanged)."""
    v = obj[name]
    if not isinstance(v, int | float) or isinstance(v, bool):
        raise _bad(what, name, "a number", v)
    return v


def _opt_num(obj: dict[str, Any], name: str, what: str) -> float | None:
    return None if obj[name] is None else _num(obj, name, what)


def _bool(obj: dict[str, Any], name: str, what: str) -> bool:
    v = obj[name]
    if not isinstance(v, bool):
        raise _bad(what, name, "true or false", v)
    return v


def _logprobs(obj: dict[str, Any], name: str, what: str) -> dict[str, float]:
    v = obj[name]
    if not isinstance(v, dict) or not all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in v.values()
    ):
        raise _bad(what, name, "an object of token log-probabilities", v)
    return dict(v)


def _str_dict(obj: dict[str, Any], name: str, what: str) -> dict[str, str]:
    v = obj[name]
    if not isinstance(v, dict) or not all(isinstance(x, str) for x in v.values()):
        raise _bad(what, name, "an object of strings", v)
    return dict(v)


# -- key fields -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SamplingParams:
    """Every sampling parameter that can change a sample (all part of the store key).

    Examples
    --------
    >>> p = SamplingParams(temperature=0.0, max_tokens=1, top_logprobs=10)
    >>> SamplingParams.from_json(p.to_json()) == p
    True
    >>> SamplingParams.from_json({**p.to_json(), "top_p": "1"})
    Traceback (most recent call last):
    ...
    ValueError: params field 'top_p' must be a number, got '1'
    """

    temperature: float = 0.7
    top_p: float = 1.0
    max_tokens: int = 384
    logprobs: bool = True
    top_logprobs: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain dict, for the store key and the request body (same as :meth:`to_json`)."""
        return {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
            "logprobs": self.logprobs,
            "top_logprobs": self.top_logprobs,
        }

    def to_json(self) -> dict[str, Any]:
        """The stored JSON object."""
        return self.as_dict()

    @classmethod
    def from_json(cls, obj: Any, what: str = "params") -> SamplingParams:
        """Parse and validate a stored object (``what`` names it in errors)."""
        names = ("temperature", "top_p", "max_tokens", "logprobs", "top_logprobs")
        _fields(obj, what, names)
        return cls(
            temperature=_num(obj, "temperature", what),
            top_p=_num(obj, "top_p", what),
            max_tokens=_int(obj, "max_tokens", what),
            logprobs=_bool(obj, "logprobs", what),
            top_logprobs=_int(obj, "top_logprobs", what),
        )


_COMMON_KEY = ("kind", "dataset", "qid", "model", "params", "prompt")
_KEY_LAYOUT: dict[str, tuple[str, ...]] = {
    "sample": ("agent", "index", "seed"),
    "judge": ("sample_key", "seed"),
    "verify": ("sample_key", "seed"),
    "usc": ("sample_keys",),
    "debate": ("agent", "round", "seed"),
}
_KEY_OPTIONAL = ("seed", "agent", "index", "sample_key", "sample_keys", "round")


@dataclass(frozen=True)
class KeyFields:
    """What determines one model call; its hash is the record's ``key``.

    Every kind has ``dataset, qid, model, params, prompt`` (the SHA-256 of the messages)
    and, by kind: a sample ``agent, index, seed``; a judge call and a self-verification
    ``sample_key, seed`` (the judged sample's key); a USC call ``sample_keys`` (the pooled
    samples, in the order shown); a debate round ``agent, round, seed``. The fields of other
    kinds are ``None`` and are not stored.

    Examples
    --------
    >>> f = KeyFields("judge", "gsm8k", "1", "local", SamplingParams(0.0, 1.0, 1, True, 10),
    ...               "ab12", seed=0, sample_key="cd34")
    >>> sorted(f.to_json())
    ['dataset', 'kind', 'model', 'params', 'prompt', 'qid', 'sample_key', 'seed']
    >>> KeyFields.from_json(f.to_json()) == f and f.key() == key_hash(f.to_json())
    True
    >>> KeyFields("judge", "gsm8k", "1", "local", SamplingParams(), "ab12", seed=0)
    Traceback (most recent call last):
    ...
    ValueError: key_fields of a judge call need 'sample_key'
    """

    kind: Kind
    dataset: str
    qid: str
    model: str
    params: SamplingParams
    prompt: str
    seed: int | None = None
    agent: str | None = None
    index: int | None = None
    sample_key: str | None = None
    sample_keys: tuple[str, ...] | None = None
    round: int | None = None
    _key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"key_fields kind must be one of {_KINDS}, got {self.kind!r}")
        layout = _KEY_LAYOUT[self.kind]
        for name in _KEY_OPTIONAL:
            if name in layout and getattr(self, name) is None:
                raise ValueError(f"key_fields of a {self.kind} call need {name!r}")
            if name not in layout and getattr(self, name) is not None:
                raise ValueError(f"key_fields of a {self.kind} call have no {name!r}")
        object.__setattr__(self, "_key", key_hash(self.to_json()))  # hashed once

    def to_json(self) -> dict[str, Any]:
        """The stored JSON object (only the fields of this kind)."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "dataset": self.dataset,
            "qid": self.qid,
            "model": self.model,
            "params": self.params.to_json(),
            "prompt": self.prompt,
        }
        for name in _KEY_LAYOUT[self.kind]:
            value = getattr(self, name)
            out[name] = list(value) if name == "sample_keys" else value
        return out

    def key(self) -> str:
        """The record key: :func:`key_hash` of :meth:`to_json` (computed at construction)."""
        return self._key

    @classmethod
    def from_json(cls, obj: Any, what: str = "key_fields") -> KeyFields:
        """Parse and validate a stored object (``what`` names it in errors)."""
        if not isinstance(obj, dict):
            raise ValueError(f"{what} must be a JSON object, got {_show(obj)}")
        if obj.get("kind") not in _KINDS:
            raise _bad(what, "kind", f"one of {_KINDS}", obj.get("kind"))
        _fields(obj, what, _COMMON_KEY + _KEY_LAYOUT[obj["kind"]])
        kw: dict[str, Any] = {}
        for name in _KEY_LAYOUT[obj["kind"]]:
            if name == "sample_keys":
                keys = obj[name]
                if not isinstance(keys, list) or not all(isinstance(x, str) for x in keys):
                    raise _bad(what, name, "a list of strings", keys)
                kw[name] = tuple(keys)
            elif name in ("agent", "sample_key"):
                kw[name] = _str(obj, name, what)
            else:
                kw[name] = _int(obj, name, what)
        return cls(
            kind=obj["kind"],
            dataset=_str(obj, "dataset", what),
            qid=_str(obj, "qid", what),
            model=_str(obj, "model", what),
            params=SamplingParams.from_json(obj["params"], f"{what} field 'params'"),
            prompt=_str(obj, "prompt", what),
            **kw,
        )


@dataclass(frozen=True)
class CallError:
    """A call that failed after every retry: the last failure's kind and message (any
    credential redacted).

    Examples
    --------
    >>> CallError.from_json({"kind": "timeout", "message": "read timeout"}).kind
    'timeout'
    """

    kind: str
    message: str

    def to_json(self) -> dict[str, Any]:
        """The stored JSON object."""
        return {"kind": self.kind, "message": self.message}

    @classmethod
    def from_json(cls, obj: Any, what: str = "error") -> CallError:
        """Parse and validate a stored object."""
        _fields(obj, what, ("kind", "message"))
        return cls(_str(obj, "kind", what), _str(obj, "message", what))


def _parse_key_fields(obj: dict[str, Any], what: str, kinds: tuple[str, ...]) -> KeyFields:
    """The record's key fields, checked against its ``kind`` and ``key``."""
    kind = _str(obj, "kind", what)
    if kind not in kinds:
        raise _bad(what, "kind", f"one of {kinds}", kind)
    kf = KeyFields.from_json(obj["key_fields"], f"{what} field 'key_fields'")
    if kf.kind != kind:
        raise ValueError(f"{what} field 'kind' is {kind!r} but its key_fields say {kf.kind!r}")
    if _str(obj, "key", what) != kf.key():
        raise ValueError(f"{what} field 'key' is not the hash of its key_fields")
    if _str(obj, "qid", what) != kf.qid:
        raise ValueError(f"{what} field 'qid' differs from key_fields.qid")
    return kf


def _same(obj: dict[str, Any], name: str, value: Any, what: str) -> None:
    if obj[name] != value or type(obj[name]) is not type(value):
        raise ValueError(f"{what} field {name!r} differs from key_fields.{name}")


def _error_or_output(
    obj: dict[str, Any], what: str, out_names: tuple[str, ...]
) -> CallError | None:
    """The record's error (None when it succeeded); a failed record stores no output."""
    err = None if obj["error"] is None else CallError.from_json(obj["error"], f"{what} 'error'")
    if err is None:
        _fields(obj, what, tuple(obj) + out_names)  # every output field is present
    else:
        stray = [n for n in out_names if n in obj]
        if stray:
            raise ValueError(f"{what} failed but has output field {stray[0]!r}")
    return err


def _check_one(what: str, output: object, error: CallError | None) -> None:
    if (output is None) == (error is None):
        raise ValueError(f"{what} needs exactly one of output and error")


# -- samples --------------------------------------------------------------------------------


class _Keyed:
    """What every call record reads from its key fields: the key, the question, success."""

    key_fields: KeyFields
    error: CallError | None

    @property
    def key(self) -> str:
        """The record key (hash of the key fields)."""
        return self.key_fields.key()

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.error is None

    @property
    def qid(self) -> str:
        """The question's id."""
        return self.key_fields.qid


@dataclass(frozen=True)
class SampleOutput:
    """What a successful agent sample returned.

    ``answer`` is the extracted final answer (None when none was found) and
    ``answer_method`` how it was found (:func:`~align_theory.llm.answers.extract_answer`);
    ``mean_logprob`` the mean token log-probability (None when the server gave none);
    ``latency_s`` the request's wall time and ``finished_at`` its Unix end time.

    Examples
    --------
    >>> out = SampleOutput("2 + 1 = \\boxed{3}", "3", "boxed", -0.29, 98, 131, "stop", 57.4, 1.7e9)
    >>> out.answer, out.prompt_tokens + out.completion_tokens
    ('3', 229)
    """

    text: str
    answer: str | None
    answer_method: str
    mean_logprob: float | None
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None
    latency_s: float
    finished_at: float

    NAMES: ClassVar[tuple[str, ...]] = (
        "text",
        "answer",
        "answer_method",
        "mean_logprob",
        "prompt_tokens",
        "completion_tokens",
        "finish_reason",
        "latency_s",
        "finished_at",
    )

    @classmethod
    def _parse(cls, obj: dict[str, Any], what: str) -> SampleOutput:
        return cls(
            text=_str(obj, "text", what),
            answer=_opt_str(obj, "answer", what),
            answer_method=_str(obj, "answer_method", what),
            mean_logprob=_opt_num(obj, "mean_logprob", what),
            prompt_tokens=_int(obj, "prompt_tokens", what),
            completion_tokens=_int(obj, "completion_tokens", what),
            finish_reason=_opt_str(obj, "finish_reason", what),
            latency_s=_num(obj, "latency_s", what),
            finished_at=_num(obj, "finished_at", what),
        )


@dataclass(frozen=True)
class SampleRecord(_Keyed):
    """One agent sample (a line of ``samples.jsonl``).

    ``qid``, ``agent``, ``index`` and ``seed`` are those of the key fields (stored again at
    the top level for readers of the raw file); ``attempts`` counts the requests made.

    Examples
    --------
    >>> kf = KeyFields("sample", "gsm8k", "1", "local", SamplingParams(0.8, 1.0, 320),
    ...                "ab12", seed=7, agent="a0", index=0)
    >>> out = SampleOutput("so \\\\boxed{3}", "3", "boxed", -0.3, 98, 131, "stop", 57.4, 1.7e9)
    >>> rec = SampleRecord(kf, attempts=1, output=out)
    >>> rec.ok, rec.agent, rec.key == kf.key()
    (True, 'a0', True)
    >>> SampleRecord.from_json(rec.to_json()) == rec
    True
    >>> failed = SampleRecord(kf, attempts=5, error=CallError("timeout", "read timeout"))
    >>> sorted(failed.to_json())
    ['agent', 'attempts', 'error', 'index', 'key', 'key_fields', 'kind', 'qid', 'seed']
    >>> bad = {**rec.to_json(), "completion_tokens": "131"}
    >>> SampleRecord.from_json(bad)
    Traceback (most recent call last):
    ...
    ValueError: sample record field 'completion_tokens' must be an integer, got '131'
    """

    key_fields: KeyFields
    attempts: int
    output: SampleOutput | None = None
    error: CallError | None = None

    FILE: ClassVar[str] = "samples.jsonl"
    KIND: ClassVar[str] = "sample"

    def __post_init__(self) -> None:
        if self.key_fields.kind != "sample":
            raise ValueError(f"a sample record needs sample key_fields, got {self.key_fields.kind}")
        _check_one("sample record", self.output, self.error)

    @property
    def agent(self) -> str:
        """The agent's name."""
        return cast(str, self.key_fields.agent)

    @property
    def index(self) -> int:
        """The sample's index within the agent's K."""
        return cast(int, self.key_fields.index)

    @property
    def seed(self) -> int:
        """The request's seed."""
        return cast(int, self.key_fields.seed)

    def to_json(self) -> dict[str, Any]:
        """The stored JSON object."""
        out: dict[str, Any] = {
            "key": self.key,
            "key_fields": self.key_fields.to_json(),
            "kind": "sample",
            "qid": self.qid,
            "agent": self.agent,
            "index": self.index,
            "seed": self.seed,
            "attempts": self.attempts,
            "error": None if self.error is None else self.error.to_json(),
        }
        if self.output is not None:
            out |= {n: getattr(self.output, n) for n in SampleOutput.NAMES}
        return out

    @classmethod
    def from_json(cls, obj: Any) -> SampleRecord:
        """Parse and validate one stored line's object."""
        what = "sample record"
        base = ("key", "key_fields", "kind", "qid", "agent", "index", "seed", "attempts", "error")
        _kind_first(obj, what, "sample")
        _fields(obj, what, base, SampleOutput.NAMES)
        kf = _parse_key_fields(obj, what, ("sample",))
        for name in ("agent", "index", "seed"):
            _same(obj, name, getattr(kf, name), what)
        err = _error_or_output(obj, what, SampleOutput.NAMES)
        output = None if err is not None else SampleOutput._parse(obj, what)
        return cls(kf, _int(obj, "attempts", what), output, err)


# -- judge verdicts -------------------------------------------------------------------------


@dataclass(frozen=True)
class JudgeOutput:
    """What a successful judge call returned: x̂ = P(yes) / (P(yes) + P(no)) from the first
    token's top log-probabilities (None when neither appears), the reply, and costs.

    Examples
    --------
    >>> out = JudgeOutput(0.33, "no", {"no": -0.97, "yes": -1.99}, 408, 1, 16.4, 1.7e9)
    >>> out.xhat, out.reply
    (0.33, 'no')
    """

    xhat: float | None
    reply: str
    top_logprobs: dict[str, float]
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    finished_at: float

    NAMES: ClassVar[tuple[str, ...]] = (
        "xhat",
        "reply",
        "top_logprobs",
        "prompt_tokens",
        "completion_tokens",
        "latency_s",
        "finished_at",
    )

    @classmethod
    def _parse(cls, obj: dict[str, Any], what: str) -> JudgeOutput:
        return cls(
            xhat=_opt_num(obj, "xhat", what),
            reply=_str(obj, "reply", what),
            top_logprobs=_logprobs(obj, "top_logprobs", what),
            prompt_tokens=_int(obj, "prompt_tokens", what),
            completion_tokens=_int(obj, "completion_tokens", what),
            latency_s=_num(obj, "latency_s", what),
            finished_at=_num(obj, "finished_at", what),
        )


@dataclass(frozen=True)
class JudgeRecord(_Keyed):
    """One judge verdict on one sample (a line of ``judge.jsonl``).

    ``agent`` and ``index`` are the judged sample's; ``sample_key`` is its key (from the
    key fields).

    Examples
    --------
    >>> kf = KeyFields("judge", "gsm8k", "1", "local", SamplingParams(0.0, 1.0, 1, True, 10),
    ...                "ab12", seed=0, sample_key="cd34")
    >>> out = JudgeOutput(0.33, "no", {"no": -0.97, "yes": -1.99}, 408, 1, 16.4, 1.7e9)
    >>> rec = JudgeRecord(kf, agent="a0", index=1, output=out)
    >>> rec.sample_key, JudgeRecord.from_json(rec.to_json()) == rec
    ('cd34', True)
    >>> bad = rec.to_json()
    >>> del bad["agent"]
    >>> JudgeRecord.from_json(bad)
    Traceback (most recent call last):
    ...
    ValueError: judge record lacks field 'agent'
    """

    key_fields: KeyFields
    agent: str
    index: int
    output: JudgeOutput | None = None
    error: CallError | None = None

    FILE: ClassVar[str] = "judge.jsonl"
    KIND: ClassVar[str] = "judge"

    def __post_init__(self) -> None:
        if self.key_fields.kind != "judge":
            raise ValueError(f"a judge record needs judge key_fields, got {self.key_fields.kind}")
        _check_one("judge record", self.output, self.error)

    @property
    def sample_key(self) -> str:
        """The judged sample's key."""
        return cast(str, self.key_fields.sample_key)

    def to_json(self) -> dict[str, Any]:
        """The stored JSON object."""
        out: dict[str, Any] = {
            "key": self.key,
            "key_fields": self.key_fields.to_json(),
            "kind": "judge",
            "qid": self.qid,
            "agent": self.agent,
            "index": self.index,
            "sample_key": self.sample_key,
            "error": None if self.error is None else self.error.to_json(),
        }
        if self.output is not None:
            out |= {n: getattr(self.output, n) for n in JudgeOutput.NAMES}
        return out

    @classmethod
    def from_json(cls, obj: Any) -> JudgeRecord:
        """Parse and validate one stored line's object."""
        what = "judge record"
        base = ("key", "key_fields", "kind", "qid", "agent", "index", "sample_key", "error")
        _kind_first(obj, what, "judge")
        _fields(obj, what, base, JudgeOutput.NAMES)
        kf = _parse_key_fields(obj, what, ("judge",))
        _same(obj, "sample_key", kf.sample_key, what)
        err = _error_or_output(obj, what, JudgeOutput.NAMES)
        output = None if err is not None else JudgeOutput._parse(obj, what)
        return cls(kf, _str(obj, "agent", what), _int(obj, "index", what), output, err)


# -- extra calls: USC, debate, self-verification --------------------------------------------

_EXTRA_INFO: dict[str, tuple[str, ...]] = {
    "usc": ("k", "rep"),
    "verify": ("agent", "index", "sample_key"),
    "debate": ("agent", "round"),
}
_EXTRA_OUT: dict[str, tuple[str, ...]] = {
    "usc": ("choice", "chosen_key"),
    "verify": ("v", "top_logprobs"),
    "debate": ("answer",),
}
_EXTRA_OUT_COMMON = ("text", "prompt_tokens", "completion_tokens")


@dataclass(frozen=True)
class ExtraOutput:
    """What a successful extra call returned: its text and token counts, and by kind

    * ``usc``: ``choice``, the 0-based position (in ``sample_keys``, the order shown) of the
      one response :func:`~align_theory.llm.usc.parse_choice` reads the reply to pick (None
      when it picks none or several; scoring re-reads the text), and ``chosen_key``, that
      response's sample key;
    * ``verify``: ``v`` = P(yes) of the agent's self-verification (None when neither yes nor
      no is among the first token's alternatives) and ``top_logprobs``;
    * ``debate``: ``answer``, the extracted answer of the updated solution.

    The fields of other kinds stay None and are not stored.

    Examples
    --------
    >>> out = ExtraOutput("The most consistent response is Response 2.", 1263, 9, 1, "s1")
    >>> out.choice, out.chosen_key, out.answer
    (1, 's1', None)
    """

    text: str
    prompt_tokens: int
    completion_tokens: int
    choice: int | None = None
    chosen_key: str | None = None
    v: float | None = None
    top_logprobs: dict[str, float] | None = None
    answer: str | None = None


@dataclass(frozen=True)
class ExtraRecord(_Keyed):
    """One extra call (a line of ``extras.jsonl``); ``kind`` is ``usc``, ``debate`` or
    ``verify``.

    Besides the key fields a USC record stores its ``k`` (samples per agent in the pool) and
    ``rep``; a self-verification the verifying ``agent``, the candidate's ``index`` and
    ``sample_key``; a debate round its ``agent`` and ``round`` (both from the key fields).

    Examples
    --------
    >>> kf = KeyFields("usc", "gsm8k", "0", "local", SamplingParams(0.0, 1.0, 48, False),
    ...                "ab12", sample_keys=("s0", "s1"))
    >>> rec = ExtraRecord(kf, k=1, rep=0, output=ExtraOutput("Response 2", 1263, 9, 1, "s1"))
    >>> rec.kind, rec.sample_keys, ExtraRecord.from_json(rec.to_json()) == rec
    ('usc', ('s0', 's1'), True)
    >>> sorted(rec.to_json())  # doctest: +NORMALIZE_WHITESPACE
    ['choice', 'chosen_key', 'completion_tokens', 'error', 'k', 'key', 'key_fields', 'kind',
     'prompt_tokens', 'qid', 'rep', 'text']
    >>> ExtraRecord.from_json({**rec.to_json(), "rep": None})
    Traceback (most recent call last):
    ...
    ValueError: usc record field 'rep' must be an integer, got None
    """

    key_fields: KeyFields
    agent: str | None = None
    index: int | None = None
    k: int | None = None
    rep: int | None = None
    output: ExtraOutput | None = None
    error: CallError | None = None

    FILE: ClassVar[str] = "extras.jsonl"

    def __post_init__(self) -> None:
        kind = self.key_fields.kind
        if kind not in _EXTRA_KINDS:
            raise ValueError(f"an extra record's kind must be one of {_EXTRA_KINDS}, got {kind!r}")
        _check_one(f"{kind} record", self.output, self.error)
        info = _EXTRA_INFO[kind]
        for name in ("agent", "index", "k", "rep"):
            if (name in info) != (getattr(self, name) is not None):
                need = "needs" if name in info else "has no"
                raise ValueError(f"a {kind} record {need} {name!r}")
        if kind == "debate" and self.agent != self.key_fields.agent:
            raise ValueError("a debate record's agent differs from key_fields.agent")
        if self.output is not None:
            for name in ("choice", "chosen_key", "v", "top_logprobs", "answer"):
                if name not in _EXTRA_OUT[kind] and getattr(self.output, name) is not None:
                    raise ValueError(f"a {kind} record's output has no {name!r}")
            if kind == "verify" and self.output.top_logprobs is None:
                raise ValueError("a verify record's output needs 'top_logprobs'")

    @property
    def kind(self) -> ExtraKind:
        """``usc``, ``debate`` or ``verify``."""
        return cast(ExtraKind, self.key_fields.kind)

    @property
    def sample_key(self) -> str | None:
        """The verified sample's key (verify only)."""
        return self.key_fields.sample_key

    @property
    def sample_keys(self) -> tuple[str, ...]:
        """The pooled samples' keys in the order shown (USC only; empty otherwise)."""
        return self.key_fields.sample_keys or ()

    @property
    def round(self) -> int | None:
        """The debate round (debate only)."""
        return self.key_fields.round

    def to_json(self) -> dict[str, Any]:
        """The stored JSON object."""
        out: dict[str, Any] = {
            "key": self.key,
            "key_fields": self.key_fields.to_json(),
            "kind": self.kind,
            "qid": self.qid,
            "error": None if self.error is None else self.error.to_json(),
        }
        out |= {n: getattr(self, n) for n in _EXTRA_INFO[self.kind]}
        if self.output is not None:
            names = _EXTRA_OUT_COMMON + _EXTRA_OUT[self.kind]
            out |= {n: getattr(self.output, n) for n in names}
        return out

    @classmethod
    def from_json(cls, obj: Any) -> ExtraRecord:
        """Parse and validate one stored line's object."""
        kind = obj.get("kind") if isinstance(obj, dict) else None
        if kind not in _EXTRA_KINDS:
            _fields(obj, "extra record", ("kind",), tuple(obj) if isinstance(obj, dict) else ())
            raise _bad("extra record", "kind", f"one of {_EXTRA_KINDS}", kind)
        what = f"{kind} record"
        info, outs = _EXTRA_INFO[kind], _EXTRA_OUT_COMMON + _EXTRA_OUT[kind]
        _fields(obj, what, ("key", "key_fields", "kind", "qid", "error", *info), outs)
        kf = _parse_key_fields(obj, what, (kind,))
        if kind == "debate":
            _same(obj, "round", kf.round, what)
        if kind == "verify":
            _same(obj, "sample_key", kf.sample_key, what)
        err = _error_or_output(obj, what, outs)
        output = None
        if err is None:
            extra: dict[str, Any] = {}
            if kind == "usc":
                extra = {
                    "choice": _opt_int(obj, "choice", what),
                    "chosen_key": _opt_str(obj, "chosen_key", what),
                }
            elif kind == "verify":
                extra = {
                    "v": _opt_num(obj, "v", what),
                    "top_logprobs": _logprobs(obj, "top_logprobs", what),
                }
            else:
                extra = {"answer": _opt_str(obj, "answer", what)}
            output = ExtraOutput(
                _str(obj, "text", what),
                _int(obj, "prompt_tokens", what),
                _int(obj, "completion_tokens", what),
                **extra,
            )
        return cls(
            kf,
            agent=_str(obj, "agent", what) if "agent" in info else None,
            index=_int(obj, "index", what) if "index" in info else None,
            k=_int(obj, "k", what) if "k" in info else None,
            rep=_int(obj, "rep", what) if "rep" in info else None,
            output=output,
            error=err,
        )


# -- manifest -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invocation:
    """Counts of one invocation of the runner, logged in the manifest when it ends.

    Examples
    --------
    >>> inv = Invocation(50, 209, 0, 194, 0, 57530, 106314, 2798.4, 20.56, "2026-11-27T08:53:02Z")
    >>> Invocation.from_json(inv.to_json()) == inv
    True
    """

    questions: int
    issued_samples: int
    failed_samples: int
    issued_judge: int
    failed_judge: int
    completion_tokens: int
    prompt_tokens: int
    wall_s: float
    tokens_per_s: float
    finished: str

    _INTS: ClassVar[tuple[str, ...]] = (
        "questions",
        "issued_samples",
        "failed_samples",
        "issued_judge",
        "failed_judge",
        "completion_tokens",
        "prompt_tokens",
    )

    def to_json(self) -> dict[str, Any]:
        """The stored JSON object."""
        out: dict[str, Any] = {n: getattr(self, n) for n in self._INTS}
        return out | {
            "wall_s": self.wall_s,
            "tokens_per_s": self.tokens_per_s,
            "finished": self.finished,
        }

    @classmethod
    def from_json(cls, obj: Any, what: str = "invocation") -> Invocation:
        """Parse and validate a stored object."""
        _fields(obj, what, (*cls._INTS, "wall_s", "tokens_per_s", "finished"))
        counts = {n: _int(obj, n, what) for n in cls._INTS}
        return cls(
            **counts,
            wall_s=_num(obj, "wall_s", what),
            tokens_per_s=_num(obj, "tokens_per_s", what),
            finished=_str(obj, "finished", what),
        )


_MANIFEST_FIELDS = (
    "config",
    "config_hash",
    "dataset_source",
    "questions",
    "versions",
    "model_file_sha256",
    "created",
    "invocations",
)
# the configuration entries readers rely on (the rest is the runner's RunConfig, kept as is)
_CONFIG_NEEDS: tuple[tuple[str, str], ...] = (
    ("dataset", "str"),
    ("model", "str"),
    ("per_agent", "int"),
    ("max_tokens", "int"),
    ("top_p", "num"),
)
# integer entries added to the configuration later, with the value a run before them had
_CONFIG_LATER: dict[str, int] = {"usc_prompt": 1}


@dataclass(frozen=True)
class Manifest:
    """A run's ``manifest.json``.

    ``config`` is the run's configuration as JSON (the runner's ``RunConfig``, base URLs
    without credentials; kept as stored, its entries ``dataset, model, agents (name,
    temperature), per_agent, max_tokens, top_p`` validated), ``config_hash`` the hash of
    what determines the samples, ``dataset_source`` where the questions came from,
    ``versions`` of Python and the packages, ``created`` the first invocation's UTC time,
    and ``invocations`` every invocation's counts. ``records_schema`` is
    :data:`SCHEMA_VERSION` for manifests written since it exists (None before: version 1).
    :attr:`usc_prompt` is the USC prompt version of the run's calls (``config.usc_prompt``,
    validated where stored; a manifest written before the field existed is version 1).

    Examples
    --------
    >>> cfg = {"dataset": "toy", "model": "m", "per_agent": 2, "max_tokens": 8, "top_p": 1.0,
    ...        "agents": [{"name": "a0", "temperature": 0.7}]}
    >>> m = Manifest(cfg, "c0ffee", "toy.jsonl", 6, {"python": "3.11.7"}, None,
    ...              "2026-11-27T08:06:23Z", records_schema=SCHEMA_VERSION)
    >>> Manifest.from_json(m.to_json()) == m, m.agent_names, m.usc_prompt
    (True, ('a0',), 1)
    >>> Manifest.from_json({**m.to_json(), "config": {**cfg, "usc_prompt": 2}}).usc_prompt
    2
    >>> Manifest.from_json({**m.to_json(), "config": {**cfg, "per_agent": "2"}})
    Traceback (most recent call last):
    ...
    ValueError: manifest field 'config.per_agent' must be an integer, got '2'
    """

    config: dict[str, Any]
    config_hash: str
    dataset_source: str
    questions: int
    versions: dict[str, str]
    model_file_sha256: str | None
    created: str
    invocations: tuple[Invocation, ...] = ()
    records_schema: int | None = field(default=None)

    FILE: ClassVar[str] = "manifest.json"

    @property
    def agent_names(self) -> tuple[str, ...]:
        """The agents' names in the order of the run's grid."""
        return tuple(str(a["name"]) for a in self.config["agents"])

    @property
    def usc_prompt(self) -> int:
        """The USC prompt version of the run (:data:`~align_theory.llm.usc.USC_PROMPTS`):
        ``config.usc_prompt``, or 1 for a run made before the field existed."""
        return int(self.config.get("usc_prompt", _CONFIG_LATER["usc_prompt"]))

    def to_json(self) -> dict[str, Any]:
        """The stored JSON object."""
        out: dict[str, Any] = {
            "config": self.config,
            "config_hash": self.config_hash,
            "dataset_source": self.dataset_source,
            "questions": self.questions,
            "versions": self.versions,
            "model_file_sha256": self.model_file_sha256,
            "created": self.created,
            "invocations": [i.to_json() for i in self.invocations],
        }
        if self.records_schema is not None:
            out["records_schema"] = self.records_schema
        return out

    @classmethod
    def from_json(cls, obj: Any) -> Manifest:
        """Parse and validate a stored manifest."""
        what = "manifest"
        _fields(obj, what, _MANIFEST_FIELDS, ("records_schema",))
        cfg = obj["config"]
        if not isinstance(cfg, dict):
            raise _bad(what, "config", "a JSON object", cfg)
        for name, typ in (*_CONFIG_NEEDS, ("agents", "list")):
            if name not in cfg:
                raise ValueError(f"{what} field 'config' lacks {name!r}")
            parse = {"str": _str, "int": _int, "num": _num}.get(typ)
            if parse is not None:
                parse({f"config.{name}": cfg[name]}, f"config.{name}", what)
        for name in _CONFIG_LATER:
            if name in cfg:
                _int({f"config.{name}": cfg[name]}, f"config.{name}", what)
        agents = cfg["agents"]
        if not isinstance(agents, list) or not agents:
            raise _bad(what, "config.agents", "a non-empty list", agents)
        for i, a in enumerate(agents):
            where = f"{what} field 'config.agents[{i}]'"
            if not isinstance(a, dict) or "name" not in a or "temperature" not in a:
                raise ValueError(f"{where} must be an object with 'name' and 'temperature'")
            _str(a, "name", where)
            _num(a, "temperature", where)
        invs = obj["invocations"]
        if not isinstance(invs, list):
            raise _bad(what, "invocations", "a list", invs)
        schema = obj.get("records_schema")
        if schema is not None:
            schema = _int(obj, "records_schema", what)
            if schema > SCHEMA_VERSION:
                raise ValueError(
                    f"{what} field 'records_schema' is {schema}: written by a newer version "
                    f"(this one reads schema {SCHEMA_VERSION})"
                )
        sha = obj["model_file_sha256"]
        return cls(
            config=dict(cfg),
            config_hash=_str(obj, "config_hash", what),
            dataset_source=_str(obj, "dataset_source", what),
            questions=_int(obj, "questions", what),
            versions=_str_dict(obj, "versions", what),
            model_file_sha256=None if sha is None else _str(obj, "model_file_sha256", what),
            created=_str(obj, "created", what),
            invocations=tuple(
                Invocation.from_json(x, f"{what} field 'invocations[{i}]'")
                for i, x in enumerate(invs)
            ),
            records_schema=schema,
        )
