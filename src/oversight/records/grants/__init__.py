"""Commissioning and grants: funds and their programmes, funded organisations (providers), grants
with their boroughs, milestones and measures with targets; providers' quarterly returns with the
commissioner's sign-off; the published quarterly update (aggregates of signed-off returns only).

`models` (tables), `money` (exact amounts: Decimal, two places, never a float), `register` (import of
a grants register from CSV or XLSX, all or nothing), `service` (who sees which rows, returns and their
sign-off, due, late and missing), `update` (the published quarterly update's figures as plain data),
`web` (pages and their access rules). Words for the figures come from the presentation layer through
the site's template filters; records never import it."""
