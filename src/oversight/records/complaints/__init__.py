"""Complaint reviews: the office's case records for reviews of the force's handling of complaints
(requested by the complainant) and for complaints about the chief officer, which the office
manages itself. A case holds dates, the reviewer, the decision and any recommendation, and the
force's complaint number: never the complainant's name or contact details (docs/decisions/0015).

`models` (the case table), `service` (checks, who sees what, import, retention), `statistics`
(timeliness as a partner file for the measures), `web` (pages, their access rules, commands)."""
