"""The CSV that an open resource's download answers: its current rows in the hub store.

Columns are the resource's items of sensitivity 公开, headed by their Chinese titles (the names
bureaus know), in item order; rows in hub key order. Values of items with a mask are masked as
they would be when shared; items the hub keeps encrypted (they have a ``__bidx`` companion) are
never decrypted here and stay empty. A resource never loaded yields the header row only: the
published schema of the data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy.orm import Session

from citybrain.analytics import hub
from citybrain.core.errors import PermissionDenied
from citybrain.core.masking import mask_value
from citybrain.datahub.catalog.enums import MaskKind
from citybrain.datahub.catalog.models import CatalogItem
from citybrain.datahub.ingest.chunks import BIDX_SUFFIX
from citybrain.datahub.opendata.published import Published, get

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def rows_of(
    entry: Published, items: Sequence[CatalogItem], *, store: hub.HubStore
) -> Iterator[list[object]]:
    """The resource's hub rows in ``store``, one value per item (None for columns the hub
    lacks)."""
    table = hub.table_name(entry.code)
    present = set(store.columns(entry.code))
    if not present or not items:
        return
    columns = ", ".join(
        hub.quote(i.name) if i.name in present and i.name + BIDX_SUFFIX not in present else "NULL"
        for i in items
    )
    sql = f"SELECT {columns} FROM {hub.quote(table)} ORDER BY _key"  # noqa: S608 - quoted identifiers
    for row in store.query(sql):
        yield list(row)


def open_csv(session: Session, code: str, *, store: hub.HubStore) -> tuple[str, bytes]:
    """File name and content of a 无条件开放 resource's download, read from ``store``.

    Raises NotFound ``resource_not_found`` unless the resource is published, and
    PermissionDenied ``open_on_application`` when it is 有条件开放 (given on application only).
    """
    entry = get(session, code)
    if not entry.is_open:
        raise PermissionDenied(
            "有条件开放的资源须向提供部门申请后获取", code="open_on_application", detail=code
        )
    return f"{entry.code}.csv", csv_bytes(entry, store=store)


def csv_bytes(entry: Published, *, store: hub.HubStore) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese headers correctly."""
    items = entry.published_items
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([item.title for item in items])
    writer.writerows(_masked(rows_of(entry, items, store=store), items))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _masked(rows: Iterable[list[object]], items: Sequence[CatalogItem]) -> Iterator[list[object]]:
    kinds = [item.mask for item in items]
    for row in rows:
        yield [
            value if kind == MaskKind.none or value is None else mask_value(kind, str(value))
            for kind, value in zip(kinds, row, strict=True)
        ]
