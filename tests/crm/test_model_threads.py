"""Numerical libraries start one thread per process unless told otherwise (crm/settings.py MODEL_THREADS): a worker
process per core beside PostgreSQL and the web server, never OpenMP threads spinning over each other's cores."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings

PROBE = (
    "import json, sklearn.ensemble, numpy; from threadpoolctl import threadpool_info; "
    "print(json.dumps(sorted({(i['user_api'], i['num_threads']) for i in threadpool_info()})))"
)


def _pools(**env) -> dict[str, int]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS") and k != "MODEL_THREADS"}
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", PROBE],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def test_a_process_of_the_product_runs_openmp_and_blas_on_one_thread():
    pools = _pools()
    assert pools.get("openmp") == 1  # scikit-learn's boosting
    assert set(pools.values()) == {1}


def test_model_threads_gives_a_dedicated_worker_more():
    assert _pools(MODEL_THREADS="2").get("openmp") == 2
    assert _pools(MODEL_THREADS="2", OMP_NUM_THREADS="3").get("openmp") == 3  # the library's own variable wins
