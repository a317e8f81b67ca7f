"""Ingestion (数据归集): department data from files, HTTP and databases is mapped onto a catalog
resource's items, checked by its quality rules and loaded into the hub in batches that are
idempotent (same source twice loads nothing) and atomic (a failure leaves the hub unchanged).
Failing rows are quarantined and go back to the owning department as a rectification order."""
