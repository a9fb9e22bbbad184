"""gunicorn's settings for the web server: the Dockerfile's command, docker-compose.yml's web service and the
pages benchmark (benchmarks/pages.py) all load this module (`--config python:crm.gunicorn_conf`).

Threaded workers, one process per core by default: a request spends part of its time waiting for PostgreSQL,
and the threads of a process fill those waits, while the processes use the cores. Threads also keep idle
connections open (keep-alive) and are not tied up by a slow client the way a synchronous worker is.
"""

from __future__ import annotations

import os

from crm.env import env_int

# Cores this process may run on (a container's cpuset), not every core of the host.
_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

workers = env_int("WEB_CONCURRENCY", _CORES, minimum=1)
threads = env_int("WEB_THREADS", 4, minimum=1)
worker_class = "gthread" if threads > 1 else "sync"
# A request still running after this many seconds has its worker restarted (gunicorn's default).
timeout = env_int("WEB_TIMEOUT", 30, minimum=1)
keepalive = 5
