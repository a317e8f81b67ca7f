"""事件: a problem reported by a citizen, a department system, Open311, a grid member, a warning
or a sensor. It is received, dispatched to a department (派单), accepted (签收), handled (办理),
checked (核查) and closed (结案); a handler may return it (退回) and the dispatcher reassign it
(改派). The region owns it; the assigned department handles it (``workflow.py``)."""
