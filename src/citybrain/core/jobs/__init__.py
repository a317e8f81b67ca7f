"""The one job system: every background and scheduled job goes through Huey.

Embedded by default (Huey's SQLite storage under ``CITYBRAIN_HOME``, consumer threads inside
``citybrain serve``); a real queue on Redis when ``CITYBRAIN_REDIS_URL`` is set, run by
``citybrain worker`` processes on any machine. Domain modules register their jobs and schedules
here (``registry``) at app or CLI start, so ``core`` never imports them. Every run is a
``job_run`` row; a schedule's slot is claimed by inserting its unique row, so it fires once
however many processes tick (see ``system``).
"""
