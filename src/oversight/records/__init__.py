"""The records service: accounts, roles, an audit log and the oversight schemes' records (custody
visiting), in a transactional database (SQLite embedded, PostgreSQL in production).

Layout: `db` (engine, sessions, migrations), `models` (accounts, sessions, audit), `auth`
(passwords, sessions, CSRF), `audit` (the append-only log, written on every flush), `access` (one
rule per route, checked centrally), `web` (pages under /records/), `cli` (`oversight records`).
Each kind of record is a module with its own tables and migration: `custody` (custody visiting).
Nothing here imports the measures; figures leave as a partner file (`custody.statistics`).
"""
