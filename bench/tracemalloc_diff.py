"""What grew between two tracemalloc snapshots of one process (``bench/tracemalloc_site``).

.venv/bin/python bench/tracemalloc_diff.py OLD.snap NEW.snap [--top 15]
"""

from __future__ import annotations

import argparse
import tracemalloc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
    old = tracemalloc.Snapshot.load(args.old).filter_traces(ignore)
    new = tracemalloc.Snapshot.load(args.new).filter_traces(ignore)
    total_old = sum(s.size for s in old.statistics("filename"))
    total_new = sum(s.size for s in new.statistics("filename"))
    print(f"traced: {total_old / 1e6:.2f} MB -> {total_new / 1e6:.2f} MB")
    for stat in new.compare_to(old, "lineno")[: args.top]:
        frame = stat.traceback[0]
        print(
            f"{stat.size_diff / 1e3:+9.1f} kB {stat.count_diff:+7d} blocks"
            f"  {frame.filename}:{frame.lineno}"
        )


if __name__ == "__main__":
    main()
