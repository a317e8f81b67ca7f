"""五色预警 (five-colour warnings): after each successful run every current value of an indicator
is coloured red/orange/yellow/blue/green by its rule (``rules``: pure); the colour of each
(region, period) is kept in ``indicator_warning`` with its status open → acknowledged → closed.
A red streak of N periods escalates once to the region's leaders. Owned by the indicator's
owner department."""
