"""`oversight records`: migrate, create the first administrator, add accounts, purge."""

from __future__ import annotations

from sqlalchemy import func, select
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


def test_import_panels_and_suites_then_statistics_and_reminders(tmp_path, monkeypatch):
    import datetime as dt

    from oversight.records.custody import service
    from oversight.records.custody import web as custody_web
    from oversight.records.custody.models import Panel, Suite, Visit

    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    _run(url, "migrate")
    panels = tmp_path / "panels.csv"
    panels.write_text("name,area,visits_per_suite\nNorth,\"Barnet, Enfield\",3\nSouth,Croydon,2\n", encoding="utf-8")
    suites = tmp_path / "suites.csv"
    suites.write_text("name,panel,status,cells\nColindale,North,open,32\nCroydon,South,temporarily_closed,\n")
    result = _run(url, "import-panels", str(panels))
    assert result.exit_code == 0 and "panels: 2 added, 0 updated" in result.output
    assert "suites: 2 added, 0 updated" in _run(url, "import-suites", str(suites)).output
    assert "panels: 0 added, 2 updated" in _run(url, "import-panels", str(panels)).output
    bad = tmp_path / "bad.csv"
    bad.write_text("name,panel,status,cells\nX,Nowhere,open,\n")
    result = _run(url, "import-suites", str(bad))
    assert result.exit_code == 2 and "bad.csv, row 2" in result.output and "nothing imported" in result.output
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("panel name,area\nA,B\n")
    assert "the header lacks name, visits_per_suite" in _run(url, "import-panels", str(wrong)).output
    records = db.Records(url)
    with records.session() as s:
        north = s.scalar(select(Panel).where(Panel.name == "North"))
        assert (north.area, north.visits_per_suite) == ("Barnet, Enfield", 3)
        assert s.scalar(select(Suite.status).where(Suite.name == "Croydon")) == "temporarily_closed"
    with records.session("test") as s:
        suite = s.scalar(select(Suite).where(Suite.name == "Colindale"))
        visit = Visit(panel_id=suite.panel_id, suite_id=suite.id, visit_date=dt.date(2024, 5, 1), day_part="night",
                      status="scheduled", published=True)
        s.add(visit)
        s.flush()
        form = service.check_report({"time_in": "23:00", "time_out": "00:30", "held": "14", "not_available": "4",
                                     "declined": "3", "interviewed": "7", "reason_unfit": "4",
                                     "issue_1_category": "delays", "issue_1_severity": "low",
                                     "issue_1_description": "Long wait for a solicitor."})
        (issue,) = service.file_report(s, visit, form, s.scalar(select(User).limit(1)) or User(id=None)).issues
        service.escalate(issue, dt.date(2024, 5, 20), dt.date(2024, 5, 2))
    records.dispose()
    monkeypatch.setattr(custody_web, "today", lambda: dt.date(2024, 6, 1))
    result = _run(url, "reminders")
    assert result.exit_code == 1
    assert "(Delays, Colindale): response due 20 May 2024, 12 days overdue" in result.output
    out = tmp_path / "custody.csv"
    monkeypatch.setattr(custody_web, "today", lambda: dt.date(2024, 8, 1))
    result = _run(url, "custody-statistics", str(out))
    assert result.exit_code == 0 and "rows for 1 periods" in result.output
    text = out.read_text()
    assert "custody_interview_rate_available,fy_quarter,2024-04-01,2024-06-30,force,metropolitan,all,7,10," in text


def test_purge_deletes_visits_past_the_retention_period_and_the_log_keeps_that_they_existed(tmp_path, monkeypatch):
    import datetime as dt

    from oversight.records.custody import service
    from oversight.records.custody.models import Issue, Panel, Suite, Visit, VisitReport

    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    _run(url, "migrate")
    records = db.Records(url)
    old_day = dt.date.today() - dt.timedelta(days=2190 + 1)
    with records.session("test") as s:
        panel = Panel(name="P", area="", visits_per_suite=1, active=True)
        s.add(panel)
        s.flush()
        suite = Suite(name="S", panel_id=panel.id, status="open", status_note="")
        s.add(suite)
        s.flush()
        for day in (old_day, dt.date.today() - dt.timedelta(days=30)):
            visit = Visit(panel_id=panel.id, suite_id=suite.id, visit_date=day, day_part="morning",
                          status="scheduled", published=True)
            s.add(visit)
            s.flush()
            form = service.check_report({"time_in": "10:00", "time_out": "11:00", "held": "1", "not_available": "0",
                                         "declined": "0", "interviewed": "1", "issue_1_category": "records",
                                         "issue_1_severity": "low", "issue_1_description": "Entry unsigned."})
            service.file_report(s, visit, form, User(id=None))
    result = _run(url, "purge")
    assert result.exit_code == 0, result.output
    assert "custody visits before" in result.output and "deleted: 1" in result.output
    with records.session() as s:
        assert [v.visit_date for v in s.scalars(select(Visit)).all()] == [dt.date.today() - dt.timedelta(days=30)]
        assert len(s.scalars(select(VisitReport)).all()) == 1 and len(s.scalars(select(Issue)).all()) == 1
        deleted = {e.table_name for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "delete")).all()}
        assert deleted == {"cv_visit", "cv_report", "cv_issue"}
    records.dispose()


def test_grants_import_names_bad_rows_then_loads_the_register(tmp_path):
    from decimal import Decimal

    from records.recordstools import GRANTS_EXAMPLE

    from oversight.records.grants.models import Grant, ProviderMember
    from oversight.records.web import create_user

    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    _run(url, "migrate")
    bad = tmp_path / "register.csv"
    bad.write_text(GRANTS_EXAMPLE.read_text().replace("333333.34", "333333.345"), encoding="utf-8")
    result = _run(url, "grants-import", str(bad))
    assert result.exit_code == 2, result.output
    assert "register.csv, row 12, amount: 333333.345 has more than two decimal places" in result.output
    assert "nothing was loaded" in result.output
    result = _run(url, "grants-import", str(GRANTS_EXAMPLE))
    assert result.exit_code == 0 and "11 grants loaded, £17,800,000.00 in all" in result.output, result.output
    records = db.Records(url)
    with records.session() as s:
        assert sum((g.amount for g in s.scalars(select(Grant)).all()), Decimal(0)) == Decimal("17800000.00")
        create_user(s, "youth-trust", "Youth Trust", "provider", "a long enough password")
    records.dispose()
    result = _run(url, "grants-link-provider", "youth-trust", "Example Youth Trust (invented)")
    assert result.exit_code == 0, result.output
    assert _run(url, "grants-link-provider", "youth-trust", "Nobody").exit_code == 2
    records = db.Records(url)
    with records.session() as s:
        assert s.scalar(select(func.count()).select_from(ProviderMember)) == 1
    records.dispose()
