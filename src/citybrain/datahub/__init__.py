"""The data hub (数据中枢): the resource catalog, ingestion with quality checks and
rectification, the base libraries (人口库, 法人库) with record linkage, and approved, masked
sharing with open catalog APIs."""
