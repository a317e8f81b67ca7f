"""After the demo load, the open dataset 乡镇人口统计 downloads with one row per town, derived
from the 户籍 rows in the hub through the real demo loader; a second load changes nothing."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy.orm import Session

from citybrain.analytics.hub import open_hub
from citybrain.core.config import Settings
from citybrain.datahub.demo import load_datahub_demo
from citybrain.datahub.demo.town_stats import HEADER
from citybrain.datahub.opendata import published
from citybrain.datahub.opendata.download import csv_bytes
from hub_testing import hub_settings

PERSONS = 300


def test_town_population_download_has_rows(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    home = hub_settings(settings, tmp_path)
    load_datahub_demo(session, home, persons=PERSONS)
    store = open_hub(home)
    entry = published.get(session, "620722-DSJ-001")
    lines = csv_bytes(entry, store=store).decode("utf-8-sig").splitlines()
    assert tuple(next(csv.reader(lines[:1]))) == HEADER
    rows = list(csv.reader(lines[1:]))
    assert len(rows) >= 5  # 民乐县 has ten towns; a few hundred people reach most of them
    for code, name, year, households, people, male, female, old in rows:
        assert code.startswith("620722")
        assert len(code) == 9
        assert name.endswith(("镇", "乡")), name
        assert int(year) >= 2000
        assert 0 < int(households) <= int(people)
        assert int(male) + int(female) <= int(people)
        assert 0 <= int(old) <= int(people)
    registered = store.query(
        "SELECT count(*) FROM hub_620722_ga_001 WHERE town_code IS NOT NULL AND town_code <> ''"
    )[0][0]
    assert sum(int(r[4]) for r in rows) == registered

    before = store.count("620722-DSJ-001")
    load_datahub_demo(session, home, persons=PERSONS)
    assert store.count("620722-DSJ-001") == before
