"""Data sharing (数据共享): a department requests items of a catalog resource; 无条件共享 is granted
at once, 有条件共享 waits for the provider, 不予共享 is refused with its legal basis. A grant is
delivered by a scoped, rate-limited token (JSON pages or a CSV/XLSX file), every item masked or
pseudonymised per consumer, every delivery logged and traceable to its ingest batch. Pure
masking rules live in ``masking``; see docs/sharing.md.
"""
