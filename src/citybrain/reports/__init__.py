"""专报: a rich-text bulletin with attachments, written (draft) and published in citybrain.

A draft belongs to its region and department and is seen only by writers and publishers who
cover both; publishing makes it readable by every ``reports:read`` holder of its region and
below, and puts it in global search; withdrawing takes it back to draft. Bodies are sanitised
HTML; attachments are checked by type and size and stored under server-made names."""
