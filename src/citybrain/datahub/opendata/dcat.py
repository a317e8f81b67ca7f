"""The open catalog as a DCAT (W3C Data Catalog Vocabulary) document in JSON-LD.

One ``dcat:Catalog`` whose ``dcat:dataset`` entries are the published resources. 有条件开放
resources carry ``dct:accessRights`` RESTRICTED and a distribution with an access URL only (the
data is given on application); 无条件开放 ones are PUBLIC and their distribution has a
``dcat:downloadURL``. Frequencies use the Dublin Core collection frequency vocabulary and access
rights the EU access-right authority table, as DCAT-AP does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from citybrain.datahub.catalog.enums import UpdateCycle
from citybrain.datahub.opendata.published import Published, published

MEDIA_TYPE = "application/ld+json"
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
_FREQ = "http://purl.org/cld/freq/"
FREQUENCIES = {
    UpdateCycle.realtime: _FREQ + "continuous",
    UpdateCycle.daily: _FREQ + "daily",
    UpdateCycle.weekly: _FREQ + "weekly",
    UpdateCycle.monthly: _FREQ + "monthly",
    UpdateCycle.quarterly: _FREQ + "quarterly",
    UpdateCycle.half_yearly: _FREQ + "semiannual",
    UpdateCycle.yearly: _FREQ + "annual",
    UpdateCycle.irregular: _FREQ + "irregular",
}
_ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
ACCESS_PUBLIC = _ACCESS + "PUBLIC"
ACCESS_RESTRICTED = _ACCESS + "RESTRICTED"
CSV_MEDIA_TYPE = "https://www.iana.org/assignments/media-types/text/csv"


def catalog_document(session: Session, *, base_url: str, title: str) -> dict[str, Any]:
    """The DCAT catalog of every published resource; ``base_url`` makes the addresses absolute."""
    entries = published(session)
    modified = max((e.modified_at for e in entries), default=None)
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": f"{base_url}/catalog.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": {"@value": title, "@language": "zh"},
        "dct:description": {
            "@value": f"{title}: 依据 GB/T 21063 编目的开放政务数据",
            "@language": "zh",
        },
        "dct:language": {"@id": "http://publications.europa.eu/resource/authority/language/ZHO"},
        "foaf:homepage": {"@id": f"{base_url}/"},
        "dcat:dataset": [_dataset(e, base_url) for e in entries],
    }
    if modified is not None:
        document["dct:modified"] = {"@value": modified.isoformat(), "@type": "xsd:dateTime"}
    return document


def _dataset(entry: Published, base_url: str) -> dict[str, Any]:
    resource = entry.resource
    dataset: dict[str, Any] = {
        "@id": entry.landing_url(base_url),
        "@type": "dcat:Dataset",
        "dct:identifier": resource.code,
        "dct:title": {"@value": resource.name, "@language": "zh"},
        "dct:description": {"@value": resource.summary, "@language": "zh"},
        "dct:publisher": {
            "@type": "foaf:Organization",
            "foaf:name": entry.publisher.name,
            "dct:identifier": entry.publisher.code,
        },
        "dcat:contactPoint": {"@type": "vcard:Organization", "vcard:fn": entry.publisher.name},
        "dct:modified": {"@value": entry.modified_at.isoformat(), "@type": "xsd:dateTime"},
        "dcat:keyword": entry.keywords,
        "dct:accrualPeriodicity": {"@id": FREQUENCIES[entry.update_cycle]},
        "dct:accessRights": {"@id": ACCESS_PUBLIC if entry.is_open else ACCESS_RESTRICTED},
        "dct:license": _license(entry),
        "dcat:landingPage": {"@id": entry.landing_url(base_url)},
        "dcat:distribution": [_distribution(entry, base_url)],
    }
    if entry.released_on is not None:
        dataset["dct:issued"] = {"@value": entry.released_on.isoformat(), "@type": "xsd:date"}
    return dataset


def _license(entry: Published) -> dict[str, Any]:
    """A ``dct:LicenseDocument`` named by its URL (as DCAT-AP expects), with its SPDX id."""
    return {
        "@id": entry.license.url,
        "@type": "dct:LicenseDocument",
        "dct:identifier": entry.license.id,
        "dct:title": entry.license.title,
    }


def _distribution(entry: Published, base_url: str) -> dict[str, Any]:
    download = entry.download_url(base_url)
    distribution: dict[str, Any] = {
        "@type": "dcat:Distribution",
        "dct:title": {"@value": f"{entry.resource.name} (CSV)", "@language": "zh"},
        "dct:format": "CSV",
        "dcat:mediaType": {"@id": CSV_MEDIA_TYPE},
        "dcat:accessURL": {"@id": download or entry.landing_url(base_url)},
        "dct:license": _license(entry),
    }
    if download is not None:
        distribution["dcat:downloadURL"] = {"@id": download}
    else:
        distribution["dct:description"] = {
            "@value": "有条件开放: 须向提供部门申请后获取",
            "@language": "zh",
        }
    return distribution
