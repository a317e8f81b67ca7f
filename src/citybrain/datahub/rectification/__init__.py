"""Rectification (数据整改): the owning department downloads the failed rows of a batch as
Excel, fixes them and resubmits; passing rows load into the hub as a new batch linked to the
order, which closes when every row has passed. Sits above ``ingest`` and ``quality``."""
