from workbench import resources


def test_small_data_gets_one_thread(monkeypatch):
    monkeypatch.setattr(resources, "available_cores", lambda: 8)
    assert resources.model_threads(n_rows=891) == 1
    assert resources.model_threads(n_rows=1_000_000) == 8


def test_threads_times_workers_never_exceed_cores(monkeypatch):
    monkeypatch.setattr(resources, "available_cores", lambda: 8)
    assert resources.model_threads(n_rows=10**6, parallel_workers=4) == 2
    assert resources.model_threads(requested=16, n_rows=10**6) == 8
    assert resources.model_threads(requested=3, n_rows=100) == 3
    assert resources.model_threads(n_rows=10**6, parallel_workers=16) == 1
