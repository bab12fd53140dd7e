"""Independent custody visiting: panels of volunteer visitors make unannounced visits, in pairs, to
custody suites, report on detainees' treatment and welfare (counts and issue categories only, never
a detainee's name or identifier), and escalate issues to the police for a response.

`models` (tables), `rota` (the unannounced visit rota), `statistics` (quarterly and annual
figures as a partner file for the measures), `web` (pages and their access rules)."""
