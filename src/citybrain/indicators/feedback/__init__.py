"""问题反馈 (problem feedback): a reader reports a doubtful indicator value (indicator, region,
period) or a board; it goes to the indicator's owner department (a board's: the bureau) and
moves open → assigned → resolved | rejected (``workflow``); the filer is told the outcome."""
