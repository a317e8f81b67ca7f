"""Quality tests share the ingest pipeline's builders (resources, persons, files, a hub per
test) from ``tests/datahub/ingest/test_pipeline_fixtures.py``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))

from test_pipeline_fixtures import *  # noqa: F403
