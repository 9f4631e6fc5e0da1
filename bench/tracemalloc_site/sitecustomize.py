"""tracemalloc snapshots of every Python process of a benchmarked server (issue 17, the
soak's creep): put this folder on the server's PYTHONPATH and name a folder in
``BENCH_TRACEMALLOC_DIR``; each process (forked or started) then dumps a snapshot
there every ``BENCH_TRACEMALLOC_EVERY`` seconds (60) as ``<pid>-<n>.snap``. Compare two
with ``bench/tracemalloc_diff.py``. Tracing slows the server: use it to find what grows,
never for speed.

    .venv/bin/python bench/soak.py --minutes 6 --env PYTHONPATH=$PWD/bench/tracemalloc_site \\
        --env BENCH_TRACEMALLOC_DIR=/tmp/snaps
"""

import os

if os.environ.get("BENCH_TRACEMALLOC_DIR"):
    import threading
    import time
    import tracemalloc

    _OUT = os.environ["BENCH_TRACEMALLOC_DIR"]
    _EVERY = float(os.environ.get("BENCH_TRACEMALLOC_EVERY", "60"))

    def _dump_forever() -> None:
        pid, n = os.getpid(), 0
        while True:
            time.sleep(_EVERY)
            snapshot = tracemalloc.take_snapshot()
            snapshot.dump(os.path.join(_OUT, f"{pid}-{n:03d}.snap"))
            n += 1

    def _start() -> None:
        threading.Thread(target=_dump_forever, name="tracemalloc-dump", daemon=True).start()

    os.makedirs(_OUT, exist_ok=True)
    tracemalloc.start(int(os.environ.get("BENCH_TRACEMALLOC_FRAMES", "1")))
    _start()
    os.register_at_fork(after_in_child=_start)
