"""Attachment files leave the disk only once the change that dropped them has committed (a
rolled-back deletion keeps them): a subscriber to ``reports.files_discarded``."""

from __future__ import annotations

from pathlib import Path

from citybrain.core import domain_events
from citybrain.core.domain_events import DomainEvent
from citybrain.reports.service import FILES_DISCARDED


def on_discarded(event: DomainEvent) -> None:
    for name in event.payload.get("paths", []):
        Path(name).unlink(missing_ok=True)


_installed = False


def install() -> None:
    global _installed
    if not _installed:
        domain_events.subscribe(FILES_DISCARDED, on_discarded)
        _installed = True
