"""The licences an open catalog may publish under, and the one it does (a setting).

Identifiers are SPDX ids (``CC-BY-4.0``), which DCAT-AP and most portals use; each licence
carries the fields of CKAN's ``license_list`` entries so CKAN clients read them unchanged. The
catalog-wide choice is ``CITYBRAIN_OPENDATA_LICENSE_ID`` (default CC-BY-4.0: reuse with
attribution, the licence most government open-data portals choose).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class License:
    id: str
    title: str
    url: str
    family: str
    od_conformance: str  # Open Definition: approved / not reviewed / rejected
    domain_data: bool = True
    domain_content: bool = True
    domain_software: bool = False

    @property
    def is_okd_compliant(self) -> bool:
        return self.od_conformance == "approved"

    def as_ckan(self) -> dict[str, Any]:
        """The dict of CKAN's ``license_list``."""
        return {
            "id": self.id, "title": self.title, "url": self.url, "status": "active",
            "maintainer": "", "family": self.family,
            "domain_content": self.domain_content, "domain_data": self.domain_data,
            "domain_software": self.domain_software, "od_conformance": self.od_conformance,
            "osd_conformance": "not reviewed", "is_generic": False,
            "is_okd_compliant": self.is_okd_compliant, "is_osi_compliant": False,
        }  # fmt: skip


LICENSES: Final[tuple[License, ...]] = (
    License("CC-BY-4.0", "知识共享 署名 4.0 (CC BY 4.0)",
            "https://creativecommons.org/licenses/by/4.0/", "Creative Commons", "approved"),
    License("CC-BY-SA-4.0", "知识共享 署名-相同方式共享 4.0 (CC BY-SA 4.0)",
            "https://creativecommons.org/licenses/by-sa/4.0/", "Creative Commons", "approved"),
    License("CC0-1.0", "知识共享 公共领域贡献 (CC0 1.0)",
            "https://creativecommons.org/publicdomain/zero/1.0/", "Creative Commons",
            "approved"),
    License("ODC-By-1.0", "开放数据共享 署名许可 (ODC-By 1.0)",
            "https://opendatacommons.org/licenses/by/1-0/", "Open Data Commons", "approved",
            domain_content=False),
    License("ODbL-1.0", "开放数据共享 开放数据库许可 (ODbL 1.0)",
            "https://opendatacommons.org/licenses/odbl/1-0/", "Open Data Commons", "approved",
            domain_content=False),
    License("PDDL-1.0", "开放数据共享 公共领域贡献与许可 (PDDL 1.0)",
            "https://opendatacommons.org/licenses/pddl/1-0/", "Open Data Commons", "approved",
            domain_content=False),
)  # fmt: skip
DEFAULT_LICENSE_ID: Final = "CC-BY-4.0"
_BY_ID: Final = {license.id.lower(): license for license in LICENSES}


def find_license(license_id: str) -> License | None:
    """The licence with this id, in any letter case."""
    return _BY_ID.get(license_id.strip().lower())


def catalog_license() -> License:
    """The licence every open dataset of this catalog carries (validated in the settings)."""
    from citybrain.datahub.opendata.config import get_opendata_settings

    found = find_license(get_opendata_settings().license_id)
    assert found is not None  # noqa: S101 - OpenDataSettings refuses unknown ids
    return found
