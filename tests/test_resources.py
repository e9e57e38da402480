import os
import subprocess
import sys

import pytest

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


FRAGMENTED_HEAP = """
import sys
import numpy as np
if sys.argv[1] == "policy":
    from workbench import resources
    resources.return_freed_memory()
def anon_mb():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon"):
            return int(line.split()[1]) / 1024
np.ones(2_000_000)  # a 16 MB block freed: glibc's own policy now keeps blocks this big
start = anon_mb()
blocks, pins = [], []
for _ in range(40):  # a fold's columns, each followed by something that stays
    blocks.append(np.ones(1_000_000))
    pins.append(np.ones(1_000))
del blocks
print(anon_mb() - start)
"""


def _environment(**env: str) -> dict[str, str]:
    """This environment without the allocator settings, plus ``env``."""
    clean = {k: v for k, v in os.environ.items() if k not in resources.ALLOCATOR_SETTINGS}
    return {**clean, **env}


def _kept_after_freeing(mode: str) -> float:
    """MB a fresh process still holds after freeing 320 MB of columns between live objects."""
    out = subprocess.run(
        [sys.executable, "-c", FRAGMENTED_HEAP, mode],
        env=_environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout)


def test_freed_columns_go_back_to_the_system():
    if not sys.platform.startswith("linux"):
        pytest.skip("glibc's allocator: Linux only")
    kept_by_default = _kept_after_freeing("default")
    if kept_by_default < 200:
        pytest.skip(f"this allocator returns freed blocks itself (kept {kept_by_default:.0f} MB)")
    assert _kept_after_freeing("policy") < 50


def test_arrow_uses_the_system_allocator_unless_the_user_chose_one():
    script = (
        "from workbench import resources; resources.return_freed_memory(); "
        "import pyarrow; print(pyarrow.default_memory_pool().backend_name)"
    )

    def backend(**env: str) -> str:
        out = subprocess.run(
            [sys.executable, "-c", script], env=_environment(**env), capture_output=True, text=True
        )
        return out.stdout.strip()

    assert backend() == "system"
    assert backend(ARROW_DEFAULT_MEMORY_POOL="mimalloc") == "mimalloc"
