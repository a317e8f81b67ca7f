"""The data-hub demo of 民乐县: the departments' messy sources (seeded, Faker zh_CN), ingested
through the real pipeline so quality reports and rectification orders appear, then linked into
人口库 and 法人库. ``load_datahub_demo`` is idempotent; the CLI's ``citybrain demo`` calls it."""

from citybrain.datahub.demo.load import DemoReport, load_datahub_demo

__all__ = ["DemoReport", "load_datahub_demo"]
