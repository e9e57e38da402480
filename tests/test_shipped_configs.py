"""The shipped configs on the real Kaggle files (skipped with a reason when they are absent)."""

import json
import shutil

import pandas as pd
import pytest
from synthetic import REPO_ROOT, require_real_data

from workbench.competition import Project
from workbench.experiment import run_experiment

pytestmark = pytest.mark.real_data


@pytest.fixture
def project_copy(tmp_path):
    """The repo's competitions and configs in a temp root, so runs/ stays out of the repo."""
    for name in ("competitions", "configs"):
        shutil.copytree(
            REPO_ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    return Project(tmp_path)


def test_titanic_config(project_copy):
    require_real_data("titanic")
    result = run_experiment(project_copy.root / "configs/titanic.yaml", project=project_copy)
    assert result.record.summary.valid_mean >= 0.835
    submission = pd.read_csv(result.submission)
    sample = pd.read_csv(project_copy.root / "competitions/titanic/data/gender_submission.csv")
    assert submission["PassengerId"].tolist() == sample["PassengerId"].tolist()
    assert pd.api.types.is_integer_dtype(submission["Survived"])
    assert set(submission["Survived"]) == {0, 1}
    assert (result.run_dir / "report.html").is_file()


def test_house_prices_config(project_copy):
    require_real_data("house_prices")
    result = run_experiment(
        project_copy.root / "configs/house_prices.yaml", ["report=false"], project=project_copy
    )
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert metrics["metric"]["name"] == "rmse_log"
    assert metrics["summary"]["valid_mean"] <= 0.118
    submission = pd.read_csv(result.submission)
    assert len(submission) == 1459
    assert (submission["SalePrice"] > 0).all()
    assert submission["SalePrice"].between(20_000, 1_500_000).all()
