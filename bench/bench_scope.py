"""Scope checks per second: "is region A inside the caller's region B".

1. ``is_within`` on canonical codes (the prefix test every request runs), over seeded random
   pairs drawn from all loaded codes (whole country to county, the three areas' townships and
   villages, and a grid per village).
2. ``ensure_within`` (normalise the requested code, then the prefix test), as the route
   dependency does before touching the database.
3. The full dependency path without HTTP: ``load_in_scope`` = normalise + scope + primary-key
   read of the region, on a SQLite database with the divisions loaded.

    .venv/bin/python bench/bench_scope.py [--pairs 1000000]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("CITYBRAIN_AUDIT_KEY", secrets.token_hex(32))  # the loader audits its run

import numpy as np

from citybrain.core.db import Base, make_engine, make_session_factory
from citybrain.core.errors import PermissionDenied
from citybrain.core.security import Principal
from citybrain.regions import loader
from citybrain.regions.dependencies import load_in_scope
from citybrain.regions.scope import Level, ensure_within, is_within


def codes_of(data_dir: Path) -> list[str]:
    rows = loader.read_divisions(data_dir)
    grids = [f"{r.code}001" for r in rows if r.level is Level.village]
    return [r.code for r in rows] + grids


def rate(func: object, label: str, count: int, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        inside = func()  # type: ignore[operator]
        runs.append(time.perf_counter() - started)
    elapsed = statistics.median(runs)
    per_second = count / elapsed
    print(
        f"{label}: {count:,} checks in {elapsed:.3f} s (median of {repeat})"
        f" = {per_second:,.0f}/s; {inside:,} inside"
    )
    return per_second


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("CITYBRAIN_DATA_DIR", "../shared/data")),
    )
    args = parser.parse_args()

    codes = codes_of(args.data_dir)
    rng = np.random.default_rng(args.seed)
    # Half the pairs test a code against one of its own ancestors (the common, allowed case),
    # half against a random region (mostly refused).
    objects = [codes[i] for i in rng.integers(0, len(codes), args.pairs)]
    cut = rng.choice([2, 4, 6, 9, 12], size=args.pairs)
    randoms = [codes[i] for i in rng.integers(0, len(codes), args.pairs)]
    scopes = [
        o[:c] if k % 2 == 0 else r
        for k, (o, c, r) in enumerate(zip(objects, cut, randoms, strict=True))
    ]
    pairs = list(zip(objects, scopes, strict=True))
    print(
        f"codes: {len(codes):,} (all levels incl. one grid per village);"
        f" pairs: {len(pairs):,} (seed {args.seed})"
    )

    rate(
        lambda: sum(is_within(a, b) for a, b in pairs),
        "is_within (canonical codes)",
        len(pairs),
        args.repeat,
    )

    statistical = [(a.ljust(12, "0") if len(a) <= 12 else a, b) for a, b in pairs]

    def ensure_all() -> int:
        allowed = 0
        for a, b in statistical:
            try:
                ensure_within(a, b)
                allowed += 1
            except PermissionDenied:
                pass
        return allowed

    rate(
        ensure_all,
        "ensure_within (normalise 12-digit input + check, refusals raise)",
        len(pairs),
        args.repeat,
    )

    from citybrain.core.audit import models as _audit  # noqa: F401 - tables for the loader
    from citybrain.regions import models as _regions  # noqa: F401
    from citybrain.regions.service import load_divisions

    home = Path(tempfile.mkdtemp(prefix="bench-scope-"))
    engine = make_engine(f"sqlite:///{home / 'bench.db'}")
    Base.metadata.create_all(
        engine,
        tables=[
            t
            for n, t in Base.metadata.tables.items()
            if n.startswith(("audit_", "region", "grid_"))
        ],
    )
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        load_divisions(session, data_dir=args.data_dir)
    principal = Principal(
        kind="user",
        id=1,
        name="bench",
        region_code="620722",
        permissions=frozenset({"regions:read"}),
    )
    minle = [c for c in codes if c.startswith("620722") and len(c) <= 12]
    requested = [minle[i] for i in rng.integers(0, len(minle), args.requests)]

    def full_path() -> int:
        found = 0
        with factory() as session:
            for code in requested:
                session.expunge_all()  # each request starts with an empty identity map
                found += load_in_scope(session, code, principal) is not None
        return found

    rate(
        full_path,
        "load_in_scope (normalise + scope + PK read, SQLite)",
        len(requested),
        args.repeat,
    )


if __name__ == "__main__":
    main()
