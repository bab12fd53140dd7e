"""Alembic's environment for the records database: run by `db.upgrade`/`db.downgrade` with the
engine in `config.attributes["engine"]` (there is no alembic.ini)."""

from __future__ import annotations

from alembic import context

from oversight.records import kinds
from oversight.records.db import Base

kinds.load_models()  # every kind's tables in the metadata

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
