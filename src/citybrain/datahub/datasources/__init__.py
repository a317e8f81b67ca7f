"""数据源管理: the department databases the platform may read, registered by an administrator.

A source names a network database server (PostgreSQL, MySQL/MariaDB) by validated fields; its
password is kept encrypted and never answered. Pulls and (later) indicators name a source by id
and open it only through :func:`service.open_source_engine`, which applies every check in one
place: the caller's region, the outbound address rule, time limits, read-only, the audit record.
"""
