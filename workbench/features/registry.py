"""Step names used in configs, and building a :class:`FeaturePipeline` from a config list.

Generic steps live in ``workbench.features`` and are looked up in :data:`STEPS` (imported
only when used). Competition steps are named ``<competition>.<name>`` and loaded from
``competitions/<competition>/features.py`` (functions or Step classes marked ``@feature``).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
import types
from pathlib import Path
from typing import Any

from workbench.errors import UserError, did_you_mean, user_code_error
from workbench.features.base import FunctionStep
from workbench.features.pipeline import FeaturePipeline

STEPS: dict[str, str] = {
    "impute": "workbench.features.impute:Impute",
    "scale": "workbench.features.numeric:Scale",
    "log1p": "workbench.features.numeric:Log1p",
    "power": "workbench.features.numeric:PowerTransform",
    "quantile_bin": "workbench.features.numeric:QuantileBin",
    "arithmetic": "workbench.features.numeric:Arithmetic",
    "clip": "workbench.features.numeric:Clip",
    "onehot": "workbench.features.encode:OneHot",
    "ordinal": "workbench.features.encode:Ordinal",
    "target_encode": "workbench.features.encode:TargetEncode",
    "frequency_encode": "workbench.features.encode:FrequencyEncode",
    "regex_extract": "workbench.features.text:RegexExtract",
    "text_stats": "workbench.features.text:TextStats",
    "datetime_parts": "workbench.features.dates:DatetimeParts",
    "boolean": "workbench.features.booleans:Boolean",
    "group_aggregate": "workbench.features.groups:GroupAggregate",
    "drop": "workbench.features.select:Drop",
    "keep": "workbench.features.select:Keep",
    "pca": "workbench.features.decompose:PCAComponents",
    "kmeans": "workbench.features.decompose:KMeansClusters",
    "outliers": "workbench.features.outliers:OutlierFilter",
}


def load_step_class(name: str) -> type:
    """The class of a generic step, imported on first use."""
    module_name, _, class_name = STEPS[name].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def load_competition_features(competition: str, competition_dir: Path) -> dict[str, Any]:
    """Feature functions/classes marked ``@feature`` in ``competitions/<name>/features.py``."""
    path = Path(competition_dir) / "features.py"
    if not path.is_file():
        return {}
    module_name = f"workbench_competitions.{competition}.features"
    module = sys.modules.get(module_name)
    if module is None or getattr(module, "__file__", None) != str(path):
        # pickle imports a step's module by name (parents first), so the parents must exist.
        for parent in ("workbench_competitions", f"workbench_competitions.{competition}"):
            sys.modules.setdefault(parent, types.ModuleType(parent))
        spec = importlib.util.spec_from_file_location(module_name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[module_name]
            error = user_code_error(exc, where=str(path))
            raise (error or UserError(f"cannot import it: {exc}", where=str(path))) from exc
    found: dict[str, Any] = {}
    for obj in vars(module).values():
        step_name = getattr(obj, "__workbench_feature__", None)
        if step_name and getattr(obj, "__module__", None) == module_name:
            found[f"{competition}.{step_name}"] = obj
    return found


def step_names(competition_features: dict[str, Any]) -> list[str]:
    return sorted([*STEPS, *competition_features])


def build_step(
    spec: str | dict[str, Any],
    *,
    where: str,
    competition_features: dict[str, Any],
    seed: int,
) -> Any:
    """Instantiate one step from its config entry (a name, or ``{step: name, **params}``)."""
    if isinstance(spec, str):
        name, params = spec, {}
    else:
        params = dict(spec)
        name = params.pop("step", None)
        if not isinstance(name, str):
            raise UserError(
                "a feature step needs a 'step' key naming it",
                where=where,
                hint="write e.g. {step: impute, columns: [Age], strategy: median}",
            )
    if name in STEPS:
        target: Any = load_step_class(name)
    elif name in competition_features:
        target = competition_features[name]
    else:
        raise UserError(
            f"unknown feature step {name!r}",
            where=where,
            hint=did_you_mean(name, step_names(competition_features)),
        )

    if inspect.isclass(target):
        allowed = set(inspect.signature(target.__init__).parameters) - {"self"}
        _check_params(name, params, allowed, where)
        if "random_state" in allowed and "random_state" not in params:
            params["random_state"] = seed
        try:
            return target(**params)
        except (TypeError, ValueError) as exc:
            raise UserError(f"{name}: {exc}", where=where) from exc
    # A plain function: keyword arguments after the frame are its parameters.
    allowed = set(list(inspect.signature(target).parameters)[1:])
    _check_params(name, params, allowed, where)
    return FunctionStep(target, params or None)


def _check_params(name: str, params: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in params:
        if key not in allowed:
            hint = did_you_mean(key, allowed) if allowed else f"{name} takes no parameters"
            raise UserError(f"unknown parameter {key!r} for step {name!r}", where=where, hint=hint)


def build_pipeline(
    specs: list[Any],
    *,
    competition: str,
    competition_dir: Path,
    seed: int,
    where: str = "features",
) -> FeaturePipeline:
    """A :class:`FeaturePipeline` from a config's ``features:`` list.

    The competition's ``features.py`` is imported only when a step names one of its steps
    (``<competition>.<step>``): a config that uses none runs none of its code.
    """
    names = [spec if isinstance(spec, str) else spec.get("step") for spec in specs]
    uses_own = any(isinstance(n, str) and n.startswith(f"{competition}.") for n in names)
    competition_features = (
        load_competition_features(competition, competition_dir) if uses_own else {}
    )
    for index, name in enumerate(names):
        own = isinstance(name, str) and name.startswith(f"{competition}.")
        if own and name not in competition_features:
            raise _unknown_own_step(
                name, competition_dir, competition_features, where=f"{where}[{index}]"
            )
    steps = []
    for index, spec in enumerate(specs):
        label = spec if isinstance(spec, str) else spec.get("step", "?")
        step = build_step(
            spec,
            where=f"{where}[{index}]",
            competition_features=competition_features,
            seed=seed,
        )
        steps.append((f"{index}:{label}", step))
    return FeaturePipeline(steps)


def _unknown_own_step(
    name: str, competition_dir: Path, found: dict[str, Any], *, where: str
) -> UserError:
    """A ``<competition>.<step>`` that the competition's ``features.py`` does not define."""
    path = Path(competition_dir) / "features.py"
    if not path.is_file():
        hint = f"there is no {path}: write the step there, marked with @feature"
    elif not found:
        hint = f"{path} marks no step with @feature"
    else:
        hint = did_you_mean(name, found) or ""
    step = name.partition(".")[2]
    return UserError(
        f"unknown feature step {name!r}: no @feature {step!r} in features.py",
        where=where,
        hint=hint,
    )
