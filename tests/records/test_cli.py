"""`oversight records`: migrate, create the first administrator, add accounts, purge."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from oversight.cli import app
from oversight.records import auth, db
from oversight.records.models import AuditEntry, User

runner = CliRunner()


def _run(url: str, *args: str, input: str | None = None):
    return runner.invoke(app, ["records", "--database", url, *args], input=input)


def test_migrate_then_create_the_first_administrator(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    refused = _run(url, "create-admin", "chief", input="a long enough password\na long enough password\n")
    assert refused.exit_code == 2 and "oversight records migrate" in refused.output
    result = _run(url, "migrate")
    assert result.exit_code == 0 and "at migration" in result.output
    result = _run(url, "create-admin", "chief", "--name", "Chief Admin",
                  input="a long enough password\na long enough password\n")
    assert result.exit_code == 0, result.output
    records = db.Records(url)
    with records.session() as s:
        chief = s.scalar(select(User).where(User.username == "chief"))
        assert chief.role == "administrator" and chief.password_hash.startswith("$argon2id$")
        assert auth.verify_password(chief, "a long enough password")
        entry = s.scalar(select(AuditEntry).where(AuditEntry.table_name == "user_account"))
        assert (entry.action, entry.actor, entry.actor_id) == ("insert", "cli", None)
    records.dispose()


def test_a_short_password_or_a_taken_name_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    _run(url, "migrate")
    result = _run(url, "create-admin", "chief", input="short\nshort\n")
    assert result.exit_code == 2 and "at least 12 characters" in result.output
    ok = _run(url, "add-user", "amy", "--role", "visitor", "--name", "Amy",
              input="a long enough password\na long enough password\n")
    assert ok.exit_code == 0, ok.output
    again = _run(url, "add-user", "amy", "--role", "analyst", "--name", "Amy",
                 input="a long enough password\na long enough password\n")
    assert again.exit_code == 2 and "is taken" in again.output


def test_downgrade_to_base_and_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    assert _run(url, "migrate").exit_code == 0
    result = _run(url, "downgrade", "base")
    assert result.exit_code == 0 and "at migration base" in result.output
    assert _run(url, "migrate").exit_code == 0


def test_the_real_password_hash_is_argon2id_with_the_librarys_parameters():
    hashed = auth.make_hasher().hash("a long enough password")  # auth.HASHER is cheapened in these tests
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_the_secret_key_file_is_made_once_private(tmp_path, monkeypatch):
    monkeypatch.delenv("OVERSIGHT_SECRET_KEY", raising=False)
    path = tmp_path / "conf" / "secret"
    key = auth.secret_key(path)
    assert len(key) >= 48 and path.stat().st_mode & 0o777 == 0o600
    assert auth.secret_key(path) == key
    monkeypatch.setenv("OVERSIGHT_SECRET_KEY", "from-the-environment")
    assert auth.secret_key(path) == b"from-the-environment"
