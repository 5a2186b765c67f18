"""Benchmark: the leaders' /status for a whole org for a quarter, next to its floor (the one
bare SQL aggregate over the same rows, straight through the database driver), for 100, 1,000
and 10,000 branches with 3 years of history, on SQLite and, when ZHIBU_TEST_POSTGRES_URL is
set, on PostgreSQL; plus the xlsx ledger of 1,000 branches for a year (time and peak memory).
Generated databases are kept (SQLite files in .bench/, PostgreSQL databases
zhibu_bench_vV_N_3y), named after the generator's VERSION: a county an older generator wrote
is not reused."""

from __future__ import annotations

import argparse
import gc
import os
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from bench.generate import VERSION, generate
from bot import exports, render
from bot.app import settle_heap
from core.auth import Actor, operator
from core.ledger import ledger
from core.periods import Period
from core.rules import DEFAULT_REGISTRY
from core.status import status
from storage import migrate
from storage.db import make_engine, session_scope
from storage.models import Branch

TODAY = date(2026, 11, 29)
QUARTER = Period.quarter(2026, 3)
CACHE = Path(".bench")
GOAL = 1.5
FLOOR_SQL = (
    "SELECT branch_id, type_code, count(*) FROM activity WHERE org_id = {p} AND held_on "
    "BETWEEN {p} AND {p} AND deleted_at IS NULL GROUP BY branch_id, type_code"
)


def sqlite_database(branches: int, years: int) -> Engine:
    path = CACHE / f"county-v{VERSION}-{branches}-{years}y-{TODAY}.sqlite"
    CACHE.mkdir(exist_ok=True)
    return _filled(make_engine(f"sqlite:///{path}"), branches, years)


def postgres_database(server_url: str, branches: int, years: int) -> Engine:
    """A database of its own per size on the server of ``server_url``, created once."""
    name = f"zhibu_bench_v{VERSION}_{branches}_{years}y"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(server_url).set(database=name)
    return _filled(make_engine(url.render_as_string(hide_password=False)), branches, years)


def _filled(engine: Engine, branches: int, years: int) -> Engine:
    migrate.upgrade(engine)
    with session_scope(engine) as s:
        present = s.scalar(select(func.count()).select_from(Branch))
    if present != branches:
        if present:
            raise SystemExit(f"{engine.url}: {present} branches, expected {branches}; drop it")
        print(f"  generating {branches} branches × {years} years in {engine.url} …", flush=True)
        generate(engine, branches, years, TODAY)
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.execute(text("ANALYZE"))  # autovacuum would, later; measure the settled state
                conn.commit()
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


def org_status(engine: Engine) -> str:
    with session_scope(engine) as s:
        result = status(s, DEFAULT_REGISTRY, TODAY, leader(), QUARTER)
        return render.org_status(result, "基准县委", DEFAULT_REGISTRY)


def floor_seconds(engine: Engine, rounds: int) -> float:
    raw = engine.raw_connection()
    marker = "?" if engine.dialect.name == "sqlite" else "%s"
    sql = FLOOR_SQL.format(p=marker)
    args = (1, QUARTER.start, QUARTER.end)
    try:
        return best(lambda: raw.cursor().execute(sql, args).fetchall(), rounds)
    finally:
        raw.close()


def write_ledger(engine: Engine, out: Path) -> None:
    with session_scope(engine) as s:
        found = ledger(s, DEFAULT_REGISTRY, TODAY, operator(1), Period.of_year(2026))
        exports.write_xlsx(found, DEFAULT_REGISTRY, out)


def export_cost(engine: Engine, out: Path) -> tuple[float, float]:
    """(seconds, peak MB of Python memory) of the year's xlsx ledger: timed on its own, then
    written again under tracemalloc, which slows allocation several times over."""
    seconds = best(partial(write_ledger, engine, out), 1)
    tracemalloc.start()
    write_ledger(engine, out)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak


def measure(name: str, open_db: Callable[[int], Engine], sizes: list[int], args) -> None:
    rows = []
    for n in sizes:
        engine = open_db(n)
        org_status(engine)  # warm: statements compiled, pages cached, as in a running bot
        settle_heap()  # as `zhibu run` does after start-up
        mine = best(partial(org_status, engine), args.rounds)
        rows.append((n, mine, floor_seconds(engine, args.rounds)))
        if n == 1000 and args.export:
            export = export_cost(engine, CACHE / f"ledger-1000-{name}.xlsx")
            print(
                f"  xlsx ledger, 1000 branches, 2026 ({name}): {export[0]:.1f} s, "
                f"peak {export[1]:.0f} MB (goal ≤ 300 MB)"
            )
        engine.dispose()
    print(f"/status org-wide for {QUARTER.key} ({name}, best of {args.rounds}), goal ≤ {GOAL}x:")
    print(
        f"  {'branches':>8}  {'/status':>10}  {'floor SQL':>10}  {'ratio':>6}  {'per branch':>10}"
    )
    for n, mine, floor in rows:
        print(
            f"  {n:>8}  {mine * 1000:8.1f}ms  {floor * 1000:8.1f}ms  {mine / floor:5.1f}x"
            f"  {mine / n * 1e6:8.0f}µs"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-export", dest="export", action="store_false")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    measure("SQLite", lambda n: sqlite_database(n, 3), sizes, args)
    if server := os.environ.get("ZHIBU_TEST_POSTGRES_URL"):
        measure("PostgreSQL", lambda n: postgres_database(server, n, 3), sizes, args)
    else:
        print("PostgreSQL: skipped (set ZHIBU_TEST_POSTGRES_URL to measure it too)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
