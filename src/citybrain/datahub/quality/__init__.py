"""Data quality: rules run on ingested batches, named validators, reports and rectification
orders sent back to the department that owns failing rows. Pure checks live in ``validators``.
"""
