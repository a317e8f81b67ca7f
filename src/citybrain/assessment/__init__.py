"""考核评价: a scheme (考核方案) scores its objects (乡镇, 部门) for one period on weighted items of
three kinds (过程性, 结果性, 第三方), each turned into a 0–100 item score by a rule (bands, linear,
rank, deduction). This package holds the pure arithmetic only: ``schemes`` (types and validation)
and ``scoring`` (normalisation, item scores, weighted totals, ranking). No session, no I/O.
"""
