"""Experiment configs: YAML, ``extends`` inheritance, ``--set`` overrides, a typed schema.

A config is validated completely before anything runs. Unknown keys are rejected with a
"did you mean", wrong types are reported with the dotted path of the field, and the resolved
config (every default explicit) is what a run saves.
"""

from __future__ import annotations

import copy
import itertools
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from workbench.errors import UserError, did_you_mean

NAME_PATTERN = r"^[A-Za-z0-9_-]+$"  # competition names: plain folder names, nothing outside
FILE_PATTERN = r"^[^./\\][^/\\]*$"  # a file name, not a path: the data stays in data/
MAX_SEED = 2**32 - 1

# What a value that fails a pattern must be, in words (a regex is no message for a user).
PATTERN_MEANINGS = {
    NAME_PATTERN: "must be a plain name: letters, digits, '_' and '-' (a folder under "
    "competitions/, nothing outside it)",
    FILE_PATTERN: "must be a plain file name inside the competition's data/ folder "
    "(no folders, no '..', no leading '.' or '/')",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class CVConfig(_Strict):
    """How rows are split into folds (see :func:`workbench.cv.make_folds`)."""

    scheme: Literal[
        "auto", "kfold", "stratified_kfold", "group_kfold", "stratified_group_kfold"
    ] = "auto"
    folds: int = Field(5, ge=2)
    repeats: int = Field(1, ge=1)
    shuffle: bool = True
    group_column: str | None = None
    bins: int = Field(10, ge=2, description="quantile bins of a regression target to stratify on")


class EarlyStoppingConfig(_Strict):
    """Early stopping of gradient boosters.

    ``validation: inner`` (default) holds out part of the fold's *training* rows to decide when
    to stop, so the fold's validation score stays honest. ``validation: fold`` stops on the
    fold's validation rows: faster to converge but the CV score is then slightly optimistic.
    """

    rounds: int = Field(100, ge=1)
    validation: Literal["inner", "fold"] = "inner"
    inner_fraction: float = Field(0.15, gt=0.0, lt=0.5)


class ModelConfig(_Strict):
    kind: str
    params: dict[str, Any] = Field(default_factory=dict)
    early_stopping: EarlyStoppingConfig | None = None
    target_transform: Literal["none", "log1p"] = "none"


class PredictConfig(_Strict):
    """How test predictions and the submission are made."""

    test: Literal["fold_mean", "refit"] = "fold_mean"
    threshold: Annotated[float, Field(ge=0.0, le=1.0)] | Literal["optimize"] = 0.5


def report_shorthand(value: Any) -> Any:
    """``report: false`` means ``report: {enabled: false}`` (the one home of that rule)."""
    return {"enabled": value} if isinstance(value, bool) else value


class ReportConfig(_Strict):
    enabled: bool = True
    # auto: for models without SHAP values (the boosters' TreeSHAP is their view, and costs
    # far less than predicting every shuffled copy); true/false force it
    permutation_importance: bool | Literal["auto"] = "auto"
    permutation_repeats: int = Field(5, ge=1)
    learning_curve: bool = False
    drift: bool = Field(
        False,
        description="adversarial validation in the report: how well a classifier tells the "
        "test rows from the training rows on the run's features (workbench.drift)",
    )


class Distribution(_Strict):
    """One tuned value's range: exactly one of ``int``, ``float`` (``[low, high]``, ``log``
    for a log scale) or ``categorical`` (the choices)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    int_range: tuple[int, int] | None = Field(None, alias="int")
    float_range: tuple[float, float] | None = Field(None, alias="float")
    categorical: list[Any] | None = None
    log: bool = False

    @model_validator(mode="after")
    def _one_range(self) -> Distribution:
        given = [
            k for k in ("int_range", "float_range", "categorical") if getattr(self, k) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of int: [low, high], float: [low, high] or categorical: [choices]"
            )
        bounds = self.int_range if self.int_range is not None else self.float_range
        if bounds is not None:
            low, high = bounds
            if low > high:
                raise ValueError(f"low {low} is greater than high {high}")
            if self.log and low <= 0:
                raise ValueError(f"a log range needs low > 0 (got {low})")
        elif not self.categorical:
            raise ValueError("categorical needs at least one choice")
        return self


class PrunerConfig(_Strict):
    """Stops hopeless trials: their running CV mean after each fold is compared with the
    other trials' at the same fold."""

    kind: Literal["median", "percentile", "none"] = "median"
    startup_trials: int = Field(5, ge=0, description="trials that are never pruned")
    warmup_folds: int = Field(1, ge=0, description="folds of each trial that are never pruned")
    percentile: float = Field(25.0, gt=0, lt=100, description="kind: percentile only")


class TuneConfig(_Strict):
    """``workbench tune``: the search space (``--set`` paths; a bare name is a model
    parameter), how many trials, and which final run to keep."""

    trials: int = Field(50, ge=1)
    timeout: float | None = Field(None, gt=0, description="seconds for the whole study")
    space: dict[str, Distribution] = Field(default_factory=dict)
    pruner: PrunerConfig = Field(default_factory=PrunerConfig)
    rescore_seed: int | None = Field(None, ge=0, le=MAX_SEED)
    keep: Literal["better", "tuned", "untuned"] = "better"


class ExperimentConfig(_Strict):
    """One experiment: competition, features, CV, model, predictions and report."""

    competition: str = Field(pattern=NAME_PATTERN)
    name: str
    description: str = ""
    seed: int = Field(42, ge=0, le=MAX_SEED, description="scikit-learn's seed range")
    metric: str | None = None
    features: list[str | dict[str, Any]] = Field(default_factory=list)
    cv: CVConfig = Field(default_factory=CVConfig)
    model: ModelConfig
    predict: PredictConfig = Field(default_factory=PredictConfig)
    report: Annotated[ReportConfig, BeforeValidator(report_shorthand)] = Field(
        default_factory=ReportConfig
    )
    threads: int | None = Field(None, ge=1, description="CPU threads for the model (default: all)")
    tune: TuneConfig = Field(default_factory=TuneConfig)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file safely (no object construction), with the line of a syntax error."""
    if path.is_dir():
        raise UserError("is a directory, not a YAML file", where=str(path))
    if not path.is_file():
        raise UserError("file not found", where=str(path), hint="check the path")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise UserError(
            f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at position {exc.start})",
            where=str(path),
            hint="save the file as UTF-8",
        ) from None
    except yaml.YAMLError as exc:
        raise UserError(yaml_problem(exc), where=yaml_where(exc, str(path))) from None


def yaml_where(exc: yaml.YAMLError, where: str) -> str:
    """``where`` with the line of a YAML error (``config.yaml:3``), when YAML knows it."""
    mark = getattr(exc, "problem_mark", None)
    return f"{where}:{mark.line + 1}" if mark is not None else where


def yaml_problem(exc: yaml.YAMLError) -> str:
    """``YAML syntax error: <problem>``, with where the construct that broke began (a
    bracket opened two lines up is reported where YAML noticed it, not where it was left)."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    problem_mark = getattr(exc, "problem_mark", None)
    if (
        context
        and context_mark is not None
        and getattr(problem_mark, "line", -1) != (context_mark.line)
    ):
        problem += f" ({context} started on line {context_mark.line + 1})"
    return f"YAML syntax error: {problem}"


def load_raw(path: Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a config and merge in the configs it ``extends`` (parents first, child wins)."""
    path = path.resolve()
    if path in _seen:
        chain = " -> ".join(p.name for p in (*_seen, path))
        raise UserError(f"'extends' loop: {chain}", where=str(path))
    data = read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserError("a config must be a YAML mapping (key: value)", where=str(path))
    data = {**data, "report": report_shorthand(data["report"])} if "report" in data else data
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise UserError("'extends' must be a path to another config", where=f"{path}: extends")
    parent_path = (path.parent / parent).resolve()
    if not parent_path.is_file():
        raise UserError(
            f"the config it extends was not found: {parent_path}",
            where=f"{path}: extends",
            hint="paths in 'extends' are relative to the config's own folder",
        )
    return deep_merge(load_raw(parent_path, (*_seen, path)), data)


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into ``base``: mappings merge key by key, anything else replaces."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``--set dotted.key=value`` overrides; values are parsed as YAML.

    A key part may index a list: ``--set 'features[2].strategy=mean'``.
    """
    data = copy.deepcopy(data)
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise UserError(
                f"bad --set {item!r}", hint="write --set dotted.key=value, e.g. cv.folds=10"
            )
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or "not valid YAML"
            raise UserError(
                f"the value of --set {key.strip()} is not valid YAML: {problem}",
                where="--set",
                hint="quote the whole option, e.g. --set 'features[0]={step: drop, columns: [x]}'",
            ) from None
        data = set_value(data, key.strip(), value, copy_data=False)
    return data


def set_value(
    data: dict[str, Any], key: str, value: Any, *, copy_data: bool = True
) -> dict[str, Any]:
    """``data`` with ``value`` at the ``--set`` path ``key`` (e.g. ``features[2].strategy``);
    tuning trials set their suggested values through the same rule."""
    data = copy.deepcopy(data) if copy_data else data
    path = _override_path(key)
    if path == ["report"]:  # --set report=false merges, keeping the other report keys
        return deep_merge(data, {"report": report_shorthand(value)})
    node: Any = data
    for part, following in itertools.pairwise(path):
        node = _child(node, part, dict if isinstance(following, str) else list, key)
    _assign(node, path[-1], value, key)
    return data


def _override_path(key: str) -> list[str | int]:
    """``features[2].columns`` -> ``["features", 2, "columns"]``."""
    path: list[str | int] = []
    for part in key.split("."):
        match = re.fullmatch(r"([^\[\]]+)((?:\[\d+\])*)", part)
        if match is None:
            raise UserError(f"bad key {key!r} in --set", hint="write e.g. features[0].columns")
        path.append(match.group(1))
        path.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    return path


def _check_slot(node: Any, part: str | int, key: str) -> None:
    """``part`` must be an existing list index, or a key of a mapping."""
    if isinstance(part, int):
        if not isinstance(node, list) or part >= len(node):
            raise UserError(f"cannot set {key!r}: no item [{part}] there", where="--set")
    elif not isinstance(node, dict):
        raise UserError(f"cannot set {key!r}: {part!r} is not inside a mapping", where="--set")


def _child(node: Any, part: str | int, kind: type, key: str) -> Any:
    """The container at ``node[part]`` to descend into, created if absent.

    A list item that is a bare step name becomes ``{step: name}`` so its parameters can be set.
    """
    _check_slot(node, part, key)
    current = node[part] if isinstance(part, int) else node.get(part)
    if isinstance(part, int) and isinstance(current, str) and kind is dict:
        node[part] = {"step": current}
    elif current is None:
        node[part] = kind()
    elif not isinstance(current, kind):
        raise UserError(f"cannot set {key!r}: {part!r} is not a {kind.__name__}", where="--set")
    return node[part]


def _assign(node: Any, part: str | int, value: Any, key: str) -> None:
    _check_slot(node, part, key)
    node[part] = value


def validate(data: dict[str, Any], *, source: str) -> ExperimentConfig:
    """Validate raw config data against the schema, as one clear :class:`UserError`."""
    try:
        return ExperimentConfig.model_validate(data)
    except ValidationError as exc:
        raise schema_error(exc, source, ExperimentConfig) from None


_BRANCH_TYPES = {"str", "int", "float", "bool", "list", "dict", "none"}


def _field_path(loc: tuple[Any, ...]) -> list[str]:
    """The user's field path of an error location, without pydantic's union-branch labels."""
    parts = [f"[{p}]" if isinstance(p, int) else str(p) for p in loc]
    parts = [p for p in parts if not p.startswith(("function-", "constrained-"))]
    return [p for p in parts if p not in _BRANCH_TYPES and not ("[" in p and not p.startswith("["))]


def schema_error(exc: ValidationError, source: str, schema: type[BaseModel]) -> UserError:
    """One :class:`UserError` for a pydantic validation error of ``schema`` read from
    ``source``: the field's path, a did-you-mean for unknown keys, the value given."""
    errors = exc.errors()
    err = errors[0]
    loc = _field_path(err["loc"])
    field = ".".join(loc).replace(".[", "[")
    where = f"{source}: {field}" if field else source
    given = err.get("input")
    shown = repr(given) if not isinstance(given, dict | list) else type(given).__name__
    if err["type"] == "extra_forbidden":
        allowed = _fields_at(schema, loc[:-1])
        return UserError(
            f"unknown key {loc[-1]!r}", where=where, hint=did_you_mean(loc[-1], allowed)
        )
    if err["type"] == "missing":
        return UserError(
            "required key is missing", where=where, hint=f"add it to {Path(source).name}"
        )
    if err["type"] == "model_type" and not loc:
        return UserError(f"must be a YAML mapping (key: value), got {shown}", where=where)
    pattern = (err.get("ctx") or {}).get("pattern")
    if err["type"] == "string_pattern_mismatch" and pattern in PATTERN_MEANINGS:
        return UserError(f"{PATTERN_MEANINGS[pattern]} (got {shown})", where=where)
    # A value that fits none of a union's types: one message listing what would fit.
    branches = [e["msg"].split(", unable")[0] for e in errors if _field_path(e["loc"]) == loc]
    message = branches[0]
    for other in branches[1:]:
        message += " or " + other.removeprefix("Input should be ")
    message = re.sub(r" or instance of \w+", "", message)  # a schema class means nothing here
    hint = None
    if err["type"] == "literal_error" and isinstance(given, str):
        hint = did_you_mean(given, re.findall(r"'([^']*)'", err["ctx"]["expected"]))
    return UserError(f"{message} (got {shown})", where=where, hint=hint)


def _fields_at(schema: type[BaseModel], loc: list[str]) -> list[str]:
    """Field names of the schema model found at a location, for did-you-mean hints."""
    model: Any = schema
    keyed = False  # the next part is a key of a mapping field (e.g. a tune.space path)
    for part in loc:
        if keyed:
            keyed = False
            continue
        fields = getattr(model, "model_fields", {})
        field = fields.get(part) or next((f for f in fields.values() if f.alias == part), None)
        if field is None:
            return []
        annotation = field.annotation
        keyed = getattr(annotation, "__origin__", None) is dict
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if model is None:
            return []
    return [f.alias or name for name, f in model.model_fields.items()]


def load_config(path: str | Path, overrides: list[str] | None = None) -> ExperimentConfig:
    """Read, merge, override and validate a config file."""
    path = Path(path)
    data = apply_overrides(load_raw(path), overrides or [])
    data.setdefault("name", path.stem)
    return validate(data, source=str(path))


def to_dict(config: ExperimentConfig) -> dict[str, Any]:
    """The config as plain data (JSON/YAML-safe), every default explicit."""
    return config.model_dump(mode="json", by_alias=True)
