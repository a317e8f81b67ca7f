"""citybrain: an open operations platform for county and city governments.

One installation serves one county and grows to a city or a province. Each domain is a package
here (core, regions, iam, datahub, ...); imports point down the one flow described in
docs/architecture.md.
"""

__version__ = "0.1.0"
