"""``load_datahub_demo``: the demo departments' messy sources, ingested, then the base libraries.

Steps: seed the catalog (idempotent); write the sources under ``<home>/demo/sources`` unless a
manifest there says they were written for the same seed and sizes; ingest each file through the
real pipeline (rules, quarantine, quality report, rectification order); build 人口库 and 法人库;
derive the open dataset 乡镇人口统计 from the 户籍 rows and ingest it (``town_stats``).
A second run reuses the files, so every batch is a ``duplicate`` and the builds are skipped:
nothing in the hub or the base libraries changes.

The sources look like personal data (names, ID and phone numbers), so they are never kept in
clear: each is stored SM4-GCM encrypted with the field key (``<name>.sm4``, the file name bound
as associated data) and decrypted into a private temporary folder only while it is ingested.
They are kept at all because the XLSX bytes cannot be reproduced (zip timestamps), and the
same bytes are what makes a second run a duplicate. Plaintext sources left by an older version
are encrypted and removed on the next run.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore, open_hub
from citybrain.core.config import Settings
from citybrain.core.crypto import sm4_gcm_decrypt, sm4_gcm_encrypt
from citybrain.datahub.demo import files
from citybrain.datahub.demo.catalog import seed_demo_catalog
from citybrain.datahub.demo.enterprises import generate_enterprises
from citybrain.datahub.demo.people import generate_people, town_codes
from citybrain.datahub.demo.town_stats import TARGET_SERIAL, load_town_population
from citybrain.datahub.ingest.schemas import BatchStatus
from citybrain.datahub.ingest.service import ingest_file
from citybrain.datahub.masterdata import service as masterdata
from citybrain.datahub.masterdata.build import BuildReport
from citybrain.datahub.masterdata.linkage_model import LinkageConfig
from citybrain.datahub.masterdata.models import MasterdataPerson
from citybrain.regions import queries as region_queries
from citybrain.regions.service import load_divisions

DemoProgress = Callable[[str, int, int | None], None]
DEFAULT_SEED = 620722
DEFAULT_PERSONS = 3000
# Person resources in source priority: 户籍 is the authority on a person's values.
PERSON_SERIALS = ("GA-001", "MZ-001", "MZ-002", "WJ-001", "RS-001")
ENTITY_SERIALS = ("SJ-001",)
# A demo-sized population does not need the default two million random pairs to estimate u.
DEMO_LINKAGE = LinkageConfig(u_max_pairs=5e5)


@dataclass(frozen=True, slots=True)
class SourceFile:
    resource_code: str
    path: Path
    kind: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    resource_code: str
    file: str
    status: str
    rows: int
    loaded: int
    quarantined: int
    report_id: int | None
    order_id: int | None


@dataclass(frozen=True, slots=True)
class DemoReport:
    """What the demo load did; ``seconds`` per step."""

    sources_written: bool
    persons: int
    enterprises: int
    faults: dict[str, int]
    batches: list[IngestOutcome]
    person_build: BuildReport | None
    entity_build: BuildReport | None
    person_masters: int
    seconds: dict[str, float]

    @property
    def changed(self) -> bool:
        return any(b.status == BatchStatus.loaded.value for b in self.batches)


def sources_dir(settings: Settings) -> Path:
    return settings.home / "demo" / "sources"


def load_datahub_demo(
    session: Session,
    settings: Settings,
    *,
    progress: DemoProgress | None = None,
    persons: int = DEFAULT_PERSONS,
    seed: int = DEFAULT_SEED,
) -> DemoReport:
    """Load the data-hub demo of ``settings.demo_region`` (idempotent; see the module doc).

    Side effects: catalog departments and resources (audited by the catalog), the region
    divisions when none are loaded yet, files under ``<home>/demo/sources``, one ingest batch
    per file with its quality report and, for faulty rows, a rectification order, and the
    person and entity builds (each audited). Raises what ``ingest_file`` and the builds raise.
    """
    report = progress or (lambda step, done, total: None)
    region = settings.demo_region
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    report("catalog", 0, 1)
    if not region_queries.exists(session, region):
        load_divisions(session, data_dir=settings.data_dir)
    seed_demo_catalog(session, region)
    report("catalog", 1, 1)
    seconds["catalog"] = time.perf_counter() - started

    started = time.perf_counter()
    stored, written, counts = _sources(settings, region=region, persons=persons, seed=seed)
    report("generate", 1, 1)
    seconds["generate"] = time.perf_counter() - started

    started = time.perf_counter()
    hub = open_hub(settings)
    with _decrypted(stored, settings) as sources:
        outcomes = [_ingest(session, source, settings, hub, report) for source in sources]
    seconds["ingest"] = time.perf_counter() - started

    person_build = entity_build = None
    loaded = {o.resource_code for o in outcomes if o.status == BatchStatus.loaded.value}
    built = _person_masters(session) > 0
    started = time.perf_counter()
    if loaded or not built:
        report("persons", 0, None)
        person_build = masterdata.rebuild_persons(
            session,
            hub=hub,
            resource_codes=[f"{region}-{s}" for s in PERSON_SERIALS],
            config=DEMO_LINKAGE,
            settings=settings,
        )
        report("persons", 1, 1)
        report("entities", 0, None)
        entity_build = masterdata.rebuild_entities(
            session, hub=hub, resource_codes=[f"{region}-{s}" for s in ENTITY_SERIALS]
        )
        report("entities", 1, 1)
    seconds["masterdata"] = time.perf_counter() - started
    started = time.perf_counter()
    report(f"ingest {region}-{TARGET_SERIAL}", 0, None)
    load_town_population(session, settings, store=hub, folder=settings.home / "demo" / "derived")
    report(f"ingest {region}-{TARGET_SERIAL}", 1, 1)
    seconds["opendata"] = time.perf_counter() - started
    return DemoReport(
        sources_written=written,
        persons=counts.get("persons", 0),
        enterprises=counts.get("enterprises", 0),
        faults={k: v for k, v in counts.items() if k not in ("persons", "enterprises")},
        batches=outcomes,
        person_build=person_build,
        entity_build=entity_build,
        person_masters=_person_masters(session),
        seconds=seconds,
    )


def _person_masters(session: Session) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(MasterdataPerson)
            .where(MasterdataPerson.retired_into.is_(None))
        ).scalar_one()
    )


def _ingest(
    session: Session, source: SourceFile, settings: Settings, hub: HubStore, report: DemoProgress
) -> IngestOutcome:
    step = f"ingest {source.resource_code}"
    report(step, 0, None)
    result = ingest_file(
        session,
        resource_code=source.resource_code,
        path=source.path,
        kind=source.kind,
        options=source.options or None,
        progress=lambda done, total: report(step, done, total),
        settings=settings,
        store=hub,
    )
    return IngestOutcome(
        resource_code=source.resource_code,
        file=source.path.name,
        status=result.status.value,
        rows=result.row_count,
        loaded=result.loaded_rows,
        quarantined=result.quarantined_rows,
        report_id=result.report_id,
        order_id=result.order_id,
    )


_FILES = (
    ("GA-001", "公安局_户籍人口信息.csv", "csv"),
    ("MZ-001", "民政局_低保对象花名册.xlsx", "xlsx"),
    ("MZ-002", "民政局_养老服务对象.csv", "csv"),
    ("WJ-001", "卫健局_家庭医生签约.xlsx", "xlsx"),
    ("RS-001", "人社局_参保人员.json", "json"),
    ("SJ-001", "市场监管局_企业登记.csv", "csv"),
)
SOURCE_NAMES = tuple(name for _, name, _ in _FILES)
_MANIFEST = "manifest.json"


SEALED_SUFFIX = ".sm4"


def _sources(
    settings: Settings, *, region: str, persons: int, seed: int
) -> tuple[list[SourceFile], bool, dict[str, int]]:
    """The sealed source files, written now or reused; (files, written now, counts and faults).
    Each ``SourceFile.path`` is the sealed file; :func:`_decrypted` opens them."""
    folder = sources_dir(settings)
    wanted = {"seed": seed, "persons": persons, "region": region, "format": 1}
    manifest_path = folder / _MANIFEST
    listed = [
        SourceFile(
            f"{region}-{serial}",
            folder / f"{name}{SEALED_SUFFIX}",
            kind,
            {"records_path": "data.items"} if kind == "json" else {},
        )
        for serial, name, kind in _FILES
    ]
    if manifest_path.exists():
        _seal_plaintext_left_over(folder, settings)
        manifest = json.loads(manifest_path.read_text("utf-8"))
        if manifest.get("wanted") == wanted and all(s.path.exists() for s in listed):
            return listed, False, {str(k): int(v) for k, v in manifest["counts"].items()}
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="citybrain-demo-") as scratch:
        counts = _write_sources(Path(scratch), settings, persons=persons, seed=seed)
        for _, name, _ in _FILES:
            seal(Path(scratch) / name, folder / f"{name}{SEALED_SUFFIX}", settings)
    manifest_path.write_text(
        json.dumps({"wanted": wanted, "counts": counts}, ensure_ascii=False, indent=2), "utf-8"
    )
    return listed, True, counts


def seal(plain: Path, sealed: Path, settings: Settings) -> None:
    """Write ``plain`` SM4-GCM encrypted under the field key to ``sealed`` (the plain file's
    name is the associated data, so a sealed file renamed does not open)."""
    blob = sm4_gcm_encrypt(settings.key("field_key"), plain.read_bytes(), plain.name.encode())
    sealed.write_bytes(blob)


def unseal(sealed: Path, settings: Settings) -> bytes:
    """The bytes of a file written by :func:`seal`; CryptoError when it was tampered with."""
    name = sealed.name.removesuffix(SEALED_SUFFIX)
    return sm4_gcm_decrypt(settings.key("field_key"), sealed.read_bytes(), name.encode())


def _seal_plaintext_left_over(folder: Path, settings: Settings) -> None:
    for _, name, _ in _FILES:
        plain = folder / name
        if plain.exists():
            seal(plain, folder / f"{name}{SEALED_SUFFIX}", settings)
            plain.unlink()


@contextmanager
def _decrypted(stored: list[SourceFile], settings: Settings) -> Iterator[list[SourceFile]]:
    """The sources decrypted into a private temporary folder (mode 0700), removed on exit."""
    with tempfile.TemporaryDirectory(prefix="citybrain-demo-") as scratch:
        opened = []
        for source in stored:
            plain = Path(scratch) / source.path.name.removesuffix(SEALED_SUFFIX)
            plain.write_bytes(unseal(source.path, settings))
            opened.append(SourceFile(source.resource_code, plain, source.kind, source.options))
        yield opened


def _write_sources(folder: Path, settings: Settings, *, persons: int, seed: int) -> dict[str, int]:
    people = generate_people(persons, seed=seed, data_dir=settings.data_dir)
    towns = list(town_codes(settings.data_dir))
    firms = generate_enterprises(
        max(20, persons // 10), seed=seed + 2, legal_rep_names=people.legal_rep_names, towns=towns
    )
    names = dict((serial, name) for serial, name, _ in _FILES)
    rows = people.rows
    files.write_csv(folder / names["GA-001"], rows.get("GA-001", []), encoding="gbk")
    files.write_register_xlsx(
        folder / names["MZ-001"],
        rows.get("MZ-001", []),
        title="民乐县城乡最低生活保障对象花名册（2024年6月）",
        filled_by="民乐县民政局社会救助股",
        groups=(
            ("基本信息", ("姓名", "公民身份号码", "性别")),
            ("家庭保障情况", ("家庭人口数", "月保障金额", "批准日期", "保障状态")),
            ("居住情况", ("户籍地址", "所属乡镇")),
        ),
    )
    files.write_csv(folder / names["MZ-002"], rows.get("MZ-002", []), encoding="utf-8-sig")
    files.write_xlsx(folder / names["WJ-001"], rows.get("WJ-001", []), sheet="签约居民")
    files.write_json(folder / names["RS-001"], rows.get("RS-001", []))
    files.write_csv(folder / names["SJ-001"], firms.rows, encoding="gb18030")
    faults: Counter[str] = Counter(people.faults)
    faults.update(firms.faults)
    return {"persons": people.persons, "enterprises": firms.enterprises, **dict(faults)}
