"""Benchmark: the leaders' /status for a whole org for a quarter, next to its floor (the one
bare SQL aggregate over the same rows, straight through the database driver), for 100, 1,000
and 10,000 branches with 3 years of history; plus the xlsx ledger of 1,000 branches for a
year (time and peak memory). Generated databases are kept in .bench/ for the next run."""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path

from bench.generate import generate
from bot import exports, render
from core.auth import Actor, operator
from core.ledger import ledger
from core.periods import Period
from core.rules import DEFAULT_REGISTRY
from core.status import status
from storage import migrate
from storage.db import make_engine, session_scope

TODAY = date(2026, 11, 29)
QUARTER = Period.quarter(2026, 3)
CACHE = Path(".bench")
GOAL = 1.5
FLOOR_SQL = (
    "SELECT branch_id, type_code, count(*) FROM activity WHERE org_id = ? AND held_on "
    "BETWEEN ? AND ? AND deleted_at IS NULL GROUP BY branch_id, type_code"
)


def database(branches: int, years: int):
    path = CACHE / f"county-{branches}-{years}y-{TODAY}.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    if not path.exists() or path.stat().st_size == 0:
        CACHE.mkdir(exist_ok=True)
        migrate.upgrade(engine)
        print(f"  generating {branches} branches × {years} years …", flush=True)
        generate(engine, branches, years, TODAY)
    else:
        migrate.upgrade(engine)
    return engine


def best(run: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def leader() -> Actor:
    return Actor(0, "leader", 1, None, None, "leader")


def status_seconds(engine, rounds: int) -> float:
    def run() -> str:
        with session_scope(engine) as s:
            result = status(s, DEFAULT_REGISTRY, TODAY, leader(), QUARTER)
            return render.org_status(result, "基准县委", DEFAULT_REGISTRY)

    return best(run, rounds)


def floor_seconds(engine, rounds: int) -> float:
    raw = engine.raw_connection()
    try:
        args = (1, QUARTER.start.isoformat(), QUARTER.end.isoformat())
        return best(lambda: raw.cursor().execute(FLOOR_SQL, args).fetchall(), rounds)
    finally:
        raw.close()


def export_cost(engine, out: Path) -> tuple[float, float]:
    """(seconds, peak MB of Python memory) of the year's xlsx ledger."""
    tracemalloc.start()
    start = time.perf_counter()
    with session_scope(engine) as s:
        found = ledger(s, DEFAULT_REGISTRY, TODAY, operator(1), Period.of_year(2026))
        exports.write_xlsx(found, DEFAULT_REGISTRY, out)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    rows = []
    for n in sizes:
        engine = database(n, 3)
        rows.append((n, status_seconds(engine, args.rounds), floor_seconds(engine, args.rounds)))
        if n == 1000:
            export = export_cost(engine, CACHE / "ledger-1000.xlsx")
        engine.dispose()
    print(f"/status org-wide for {QUARTER.key} (SQLite, best of {args.rounds}), goal ≤ {GOAL}x:")
    print(f"  {'branches':>8}  {'/status':>10}  {'floor SQL':>10}  {'ratio':>6}")
    for n, mine, floor in rows:
        print(f"  {n:>8}  {mine * 1000:8.1f}ms  {floor * 1000:8.1f}ms  {mine / floor:5.1f}x")
    if 1000 in sizes:
        seconds, peak = export
        print(
            f"xlsx ledger, 1000 branches, 2026: {seconds:.1f} s, peak {peak:.0f} MB (goal ≤ 300 MB)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
