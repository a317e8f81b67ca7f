"""指标管理: boards (板块) → indicator sets → indicators, each defined once in portable SQL
(DuckDB dialect, an allowed list of tested functions) or as a formula over other indicators,
reviewed (draft → submitted → approved → published, the approver not the author), run on a
schedule in dependency order with a log per run, and kept as versioned values per region and
period. Only published indicators reach the API. See ``docs/indicators.md``.
"""
