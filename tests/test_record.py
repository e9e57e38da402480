"""The typed run record and the one file a finished run may gain."""

import json
import multiprocessing

import pytest
from synthetic import LOGISTIC_BINARY, write_config

from workbench.errors import UserError
from workbench.experiment import run_experiment
from workbench.record import (
    SUBMISSIONS_FILE,
    RunRecord,
    SubmissionEntry,
    read_record,
    read_submissions,
    record_submission,
)


@pytest.fixture
def finished_run(project):
    return run_experiment(write_config(project, "r", LOGISTIC_BINARY)).run_dir


def entry(ref, **kw):
    return SubmissionEntry(
        ref=ref, submitted_at=f"2026-11-30T10:00:{ref:02d}+00:00", file_sha256="ab" * 32, **kw
    )


def test_metrics_json_is_a_valid_record(finished_run):
    record = read_record(finished_run)
    assert isinstance(record, RunRecord)
    assert record.run_id == finished_run.name
    assert [f.fold for f in record.folds] == [0, 1, 2, 3, 4]
    assert all(f.train_rows_scored == f.n_train for f in record.folds)


def test_a_broken_record_names_the_field(finished_run):
    path = finished_run / "metrics.json"
    data = json.loads(path.read_text())
    del data["summary"]["valid_mean"]
    path.write_text(json.dumps(data))
    with pytest.raises(UserError, match=r"summary\.valid_mean"):
        read_record(finished_run)


def test_record_submission_adds_then_updates_by_ref(finished_run):
    record_submission(finished_run, entry(1, message="first"))
    record_submission(finished_run, entry(2))
    updated = record_submission(finished_run, entry(1, message="first", public_score=0.78))
    assert [e.ref for e in updated.submissions] == [1, 2]
    assert read_submissions(finished_run).submissions[0].public_score == 0.78
    assert sorted(p.name for p in finished_run.iterdir() if p.name.startswith(".")) == []


def test_record_submission_refuses_an_unfinished_run(project, finished_run):
    partial = finished_run.parent / f".{finished_run.name}-x.partial"
    partial.mkdir()
    (partial / "metrics.json").write_text("{}")
    with pytest.raises(UserError, match="finished run"):
        record_submission(partial, entry(1))
    with pytest.raises(UserError, match="finished run"):
        record_submission(project / "runs", entry(1))
    assert not (partial / SUBMISSIONS_FILE).exists()


def _add(run_dir, ref):
    record_submission(run_dir, entry(ref))


def test_concurrent_writers_lose_nothing(finished_run):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_add, args=(finished_run, ref)) for ref in range(1, 5)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert sorted(e.ref for e in read_submissions(finished_run).submissions) == list(range(1, 5))
