"""Analytics: the hub store (DuckDB by default) where ingested department data lands, one table
per catalog resource, and the read path that indicators, master data and boards query with SQL.
The hub holds no plaintext ID or mobile numbers: those items arrive encrypted with a blind index.
"""
