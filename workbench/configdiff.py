"""What changed between two resolved configs, as dotted keys (``model.params.num_leaves``).

Keys are spelled the way ``--set`` takes them (``features[2].strategy``), so a line of the
diff can be pasted back as an override. A list of plain values (``columns: [Age, Fare]``) is
one value; a list holding mappings (the feature steps) is flattened item by item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

MISSING: Any = object()  # a key the config does not have


@dataclass(frozen=True)
class Change:
    """One key that differs: ``before`` or ``after`` is :data:`MISSING` when added/removed."""

    key: str
    before: Any
    after: Any

    @property
    def kind(self) -> str:
        if self.before is MISSING:
            return "added"
        if self.after is MISSING:
            return "removed"
        return "changed"

    def text(self) -> str:
        """``key: a → b``, ``key: b (added)`` or ``key: a (removed)``."""
        if self.kind == "added":
            return f"{self.key}: {show(self.after)} (added)"
        if self.kind == "removed":
            return f"{self.key}: {show(self.before)} (removed)"
        return f"{self.key}: {show(self.before)} → {show(self.after)}"


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}, "f": [{"s": 2}]}`` → ``{"a.b": 1, "f[0].s": 2}``; empty mappings and
    lists of plain values are leaves."""
    if isinstance(value, Mapping) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and any(isinstance(v, Mapping | list) for v in value):
        out = {}
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """The keys whose values differ between two configs, in the order of ``after`` (then the
    removed keys in the order of ``before``)."""
    a, b = flatten(before), flatten(after)
    changes = [
        Change(k, a.get(k, MISSING), v) for k, v in b.items() if not _equal(a.get(k, MISSING), v)
    ]
    changes += [Change(k, v, MISSING) for k, v in a.items() if k not in b]
    return changes


def _equal(x: Any, y: Any) -> bool:
    """Equal values of the same type: ``1`` and ``true`` (or ``1.0``) are a change."""
    return type(x) is type(y) and x == y


def show(value: Any) -> str:
    """A value as YAML flow text on one line (``null``, ``[Age, Fare]``, ``{step: drop}``)."""
    text = yaml.safe_dump(
        value, default_flow_style=True, width=10_000, allow_unicode=True, sort_keys=False
    )
    text = text.strip()
    return text.removesuffix("\n...").removesuffix("...").strip()
