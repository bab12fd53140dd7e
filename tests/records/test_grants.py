"""Commissioning and grants through their pages and functions, on SQLite and PostgreSQL: a
commissioner loads a register (all or nothing, every bad row named), providers fill their own
organisation's returns and nothing else, the commissioner signs off or returns them with a reason,
late and missing returns show, and the published update's totals match the register to the penny."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json

import pytest
from records.recordstools import GRANTS_EXAMPLE, csrf_of, sign_in
from sqlalchemy import func, select

from oversight.records.grants import money, register, service, update
from oversight.records.grants.models import Grant, GrantReturn, Publication, ReturnStatus
from oversight.records.models import AuditEntry, User

D = decimal.Decimal
MOPAC_2015_16 = {  # MOPAC's published split of the London Crime Prevention Fund, 2015/16
    "Violence against women and girls": D("3900000.00"), "Reducing reoffending": D("4800000.00"),
    "Gangs and serious youth violence": D("3200000.00"), "Drugs and alcohol": D("4900000.00"),
    "Anti-social behaviour and other": D("1000000.00")}


def _register_sum_by_csv() -> tuple[D, dict[str, D]]:
    """The example register's totals read straight from the file with Decimal (independent of the import)."""
    total, by_priority = D(0), {}
    with GRANTS_EXAMPLE.open(newline="") as handle:
        for row in csv.DictReader(handle):
            total += D(row["amount"])
            by_priority[row["priority"]] = by_priority.get(row["priority"], D(0)) + D(row["amount"])
    return total, by_priority


def _commissioner(records, people):
    with records.session() as s:
        return s.get(User, people["commissioner"])


# --- money --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "amount"), [("1234.5", "1234.50"), ("£1,950,000.01", "1950000.01"),
                                              ("70000000", "70000000.00"), (D("0.10"), "0.10"),
                                              (72285000, "72285000.00")])
def test_amounts_are_parsed_exactly(text, amount):
    assert money.parse(text) == D(amount) and isinstance(money.parse(text), D)


@pytest.mark.parametrize(("value", "reason"), [(0.1, "not a floating-point number"),
                                               ("10.005", "more than two decimal"), ("ten pounds", "not an amount"),
                                               ("-5", "negative"), ("", "empty")])
def test_bad_amounts_are_refused(value, reason):
    with pytest.raises(money.BadAmount, match=reason):
        money.parse(value)


# --- the register -------------------------------------------------------------------------------------------------

def test_the_example_register_loads_and_sums_to_the_penny(records, people):
    total, by_priority = _register_sum_by_csv()
    assert by_priority == MOPAC_2015_16 and total == D("17800000.00")
    with records.session(_commissioner(records, people)) as s:
        loaded = register.load_file(s, GRANTS_EXAMPLE)
    assert (loaded.grants, loaded.total, loaded.funds_added) == (11, total, 1)
    with records.session() as s:
        stored = s.scalar(select(func.sum(Grant.amount)))
        assert isinstance(stored, D) and stored == total  # the database's own sum, exact on both engines
        grouped = dict(s.execute(select(Grant.priority, func.sum(Grant.amount)).group_by(Grant.priority)).all())
        assert grouped == MOPAC_2015_16
        ex2 = s.scalar(select(Grant).where(Grant.reference == "EX-002"))
        assert len(ex2.boroughs) == 32 and ex2.amount == D("1949999.99")
        assert [(m.name, m.kind, m.target) for m in ex2.measures] == [
            ("People trained on harmful practices", "output", 920)]
        ex3 = s.scalar(select(Grant).where(Grant.reference == "EX-003"))
        assert [m.target for m in ex3.measures] == [150, None]


def _xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_register_with_numeric_cells_loads_exactly(records, people):
    with GRANTS_EXAMPLE.open(newline="") as handle:
        table = list(csv.reader(handle))
    header = table[0]
    rows: list[list[object]] = [header]
    for row in table[1:]:
        cells: list[object] = list(row)
        cells[header.index("amount")] = float(row[header.index("amount")])  # as a spreadsheet stores it
        cells[header.index("starts_on")] = dt.datetime.fromisoformat(row[header.index("starts_on")])
        target = row[header.index("measure_1_target")]
        cells[header.index("measure_1_target")] = int(target) if target else None
        rows.append(cells)
    with records.session(_commissioner(records, people)) as s:
        loaded = register.load(s, "register.xlsx", _xlsx(rows))
    assert loaded.total == D("17800000.00")
    with records.session() as s:
        assert s.scalar(select(Grant.amount).where(Grant.reference == "EX-011")) == D("333333.34")


BAD = """reference,title,provider,fund,priority,boroughs,amount,starts_on,ends_on,measure_1,measure_1_kind,\
measure_1_target
OK-1,Fine grant,Org A,Fund A,Drugs and alcohol,Hackney,1000.00,2026-04-01,2027-03-31,People helped,output,10
BAD-1,Too precise,Org A,Fund A,Drugs and alcohol,Hackney,1000.005,2026-04-01,2027-03-31,,,
BAD-2,,Org A,Fund A,Drugs and alcohol,Gotham;Hackney,1000,2026-04-01,2026-03-01,,,
OK-1,Same reference,Org A,Fund A,Drugs and alcohol,Hackney,5,2026-04-01,2027-03-31,,,
BAD-3,Bad target,Org A,Fund A,Drugs and alcohol,Hackney,5,01/04/2026,31/03/2027,Sessions,result,ten
"""


def test_a_bad_register_names_every_bad_row_and_loads_nothing(records, people):
    with records.session(_commissioner(records, people)) as s, pytest.raises(register.RegisterRejected) as caught:
        register.load(s, "bad.csv", BAD.encode())
    found = {(e.file, e.row, e.field) for e in caught.value.errors}
    assert found == {("bad.csv", 3, "amount"), ("bad.csv", 4, "title"), ("bad.csv", 4, "boroughs"),
                     ("bad.csv", 4, "ends_on"), ("bad.csv", 5, "reference"), ("bad.csv", 6, "measure_1_kind"),
                     ("bad.csv", 6, "measure_1_target")}
    reasons = {(e.row, e.field): e.reason for e in caught.value.errors}
    assert "more than two decimal places" in reasons[(3, "amount")]
    assert "Gotham" in reasons[(4, "boroughs")]
    assert "also on row 2" in reasons[(5, "reference")]
    with records.session() as s:
        assert s.scalar(select(func.count()).select_from(Grant)) == 0  # not even the good row


def test_a_register_s_header_is_checked(records, people):
    with records.session(_commissioner(records, people)) as s, pytest.raises(register.RegisterRejected) as caught:
        register.load(s, "x.csv", b"reference,title,amout\nA,B,5\n")
    reasons = [str(e) for e in caught.value.errors]
    assert "x.csv, row 1, header: the column 'amout' is not one a register has" in reasons
    assert any("'amount' is missing" in r for r in reasons)


def test_loading_the_same_register_twice_is_refused_whole(records, people):
    with records.session(_commissioner(records, people)) as s:
        register.load_file(s, GRANTS_EXAMPLE)
    with records.session(_commissioner(records, people)) as s, pytest.raises(register.RegisterRejected) as caught:
        register.load_file(s, GRANTS_EXAMPLE)
    assert len(caught.value.errors) == 11 and all("already in the register" in e.reason for e in caught.value.errors)


def test_the_upload_form_lists_errors_and_loads_a_good_file(app, records, people):
    commissioner = sign_in(app, "commissioner")
    page = commissioner.get("/records/grants/")
    token = csrf_of(page)
    answer = commissioner.post("/records/grants/import", data={"csrf_token": token},
                               files={"register": ("bad.csv", BAD.encode(), "text/csv")})
    assert answer.status_code == 422
    assert "Nothing was loaded" in answer.text and "more than two decimal places" in answer.text
    answer = commissioner.post("/records/grants/import", data={"csrf_token": token},
                               files={"register": ("example.csv", GRANTS_EXAMPLE.read_bytes(), "text/csv")})
    assert answer.status_code == 200 and "11 grants loaded, £17,800,000.00 in all" in answer.text
    with records.session() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.table_name == "gr_grant")).all()
        assert len(entries) == 11 and {e.actor for e in entries} == {"commissioner"}
        assert {e.after["amount"] for e in entries} >= {"1950000.01", "333333.34"}  # money audited exactly


# --- who sees what ------------------------------------------------------------------------------------------------

def test_a_provider_sees_only_its_own_organisation_s_grants(app, records, grants_world):
    provider = sign_in(app, "provider")  # Example Youth Trust
    listing = provider.get("/records/grants/").text
    assert "EX-005" in listing and "EX-006" in listing and "EX-003" not in listing and "EX-001" not in listing
    other = grants_world["other_grant"]
    for url in (f"/records/grants/{other}", f"/records/grants/{other}/returns/2026-04"):
        assert provider.get(url).status_code == 404, url
    assert provider.get("/records/grants/99999").status_code == 404  # the same as one that does not exist
    token = csrf_of(provider.get("/records/account/"))
    answer = provider.post(f"/records/grants/{other}/returns/2026-04",
                           data={"csrf_token": token, "referrals": "1", "people_supported": "1", "spend": "1.00"})
    assert answer.status_code == 404
    with records.session() as s:
        assert s.scalar(select(func.count()).select_from(GrantReturn).where(GrantReturn.grant_id == other)) == 0
    returns = provider.get("/records/grants/returns/").text
    assert "EX-005" in returns and "EX-003" not in returns
    assert provider.get("/records/visits/").status_code == 403  # no custody visit either


def test_a_provider_with_no_organisation_sees_no_grant(app, records, people, grants_world):
    with records.session("test") as s:
        from oversight.records.web import create_user

        create_user(s, "provider-c", "Provider C", "provider", "correct horse battery staple")
    lonely = sign_in(app, "provider-c")
    assert "EX-0" not in lonely.get("/records/grants/").text
    assert lonely.get(f"/records/grants/{grants_world['grant_id']}").status_code == 404


# --- a return from draft to sign-off ------------------------------------------------------------------------------

def _return_form(grant, **extra):
    values = {"referrals": "40", "people_supported": "35", "spend": "125000.50", "narrative": "Summer programme ran."}
    values.update({f"measure_{m.id}": "90" for m in grant.measures})
    values.update(extra)
    return values


def test_a_return_goes_from_draft_to_sign_off_and_is_then_fixed(app, records, people, grants_world):
    grant_id = grants_world["grants"]["EX-006"]
    with records.session() as s:
        grant = s.get(Grant, grant_id)
        values = _return_form(grant)
    url = f"/records/grants/{grant_id}/returns/2026-07"
    provider = sign_in(app, "provider")
    form = provider.get(url)
    assert form.status_code == 200 and "Submit for sign-off" in form.text and 'inputmode="decimal"' in form.text
    token = csrf_of(form)
    # A bad figure: the form says which, nothing is saved.
    answer = provider.post(url, data={**values, "spend": "12.345", "csrf_token": token, "action": "submit"})
    assert answer.status_code == 422 and "more than two decimal places" in answer.text
    assert provider.post(url, data={**values, "csrf_token": token, "action": "save"}).status_code == 303
    assert provider.post(url, data={**values, "csrf_token": token, "action": "submit"}).status_code == 303
    with records.session() as s:
        stored = s.scalar(select(GrantReturn).where(GrantReturn.grant_id == grant_id))
        assert stored.status == ReturnStatus.SUBMITTED and stored.spend == D("125000.50")
        return_id = stored.id
    # Submitted: the provider cannot change it.
    again = provider.post(url, data={**values, "spend": "1.00", "csrf_token": token, "action": "save"})
    assert again.status_code == 409
    # The commissioner returns it, and must say why.
    commissioner = sign_in(app, "commissioner")
    ctoken = csrf_of(commissioner.get(url))
    assert commissioner.post(f"/records/grants/returns/{return_id}/send-back",
                             data={"csrf_token": ctoken, "reason": ""}).status_code == 422
    assert commissioner.post(f"/records/grants/returns/{return_id}/send-back",
                             data={"csrf_token": ctoken, "reason": "Spend includes Q1 invoices."}).status_code == 303
    page = provider.get(url)
    assert "Spend includes Q1 invoices." in page.text and "Returned" in page.text
    corrected = {**values, "spend": "98000.25"}
    assert provider.post(url, data={**corrected, "csrf_token": token, "action": "submit"}).status_code == 303
    assert commissioner.post(f"/records/grants/returns/{return_id}/sign-off",
                             data={"csrf_token": ctoken}).status_code == 303
    # Signed off: fixed for the provider, and a second sign-off is refused.
    assert provider.post(url, data={**corrected, "csrf_token": token, "action": "save"}).status_code == 409
    assert commissioner.post(f"/records/grants/returns/{return_id}/sign-off",
                             data={"csrf_token": ctoken}).status_code == 409
    with records.session() as s:
        stored = s.get(GrantReturn, return_id)
        assert stored.status == ReturnStatus.SIGNED_OFF and stored.spend == D("98000.25")
        assert stored.decided_by == people["commissioner"] and stored.submitted_by == people["provider"]
        trail = s.scalars(select(AuditEntry).where(AuditEntry.table_name == "gr_return",
                                                   AuditEntry.row_id == str(return_id)).order_by(AuditEntry.id)).all()
    steps = [(e.actor, e.action, (e.after or {}).get("status")) for e in trail]
    assert steps[0] == ("provider", "insert", "draft")
    assert ("provider", "update", "submitted") in steps
    assert ("commissioner", "update", "returned") in steps
    assert steps[-1] == ("commissioner", "update", "signed_off")
    assert any(e.before.get("spend") == "125000.50" and e.after.get("spend") == "98000.25"
               for e in trail if e.action == "update" and e.before)


def test_a_quarter_not_yet_ended_cannot_be_submitted(app, records, grants_world):
    grant_id = grants_world["grant_id"]
    with records.session() as s:
        values = _return_form(s.get(Grant, grant_id))
    url = f"/records/grants/{grant_id}/returns/2026-10"  # October to December 2026; today is 15 November
    provider = sign_in(app, "provider")
    form = provider.get(url)
    assert "Submit for sign-off" not in form.text and "31 December 2026" in form.text
    answer = provider.post(url, data={**values, "csrf_token": csrf_of(form), "action": "submit"})
    assert answer.status_code == 409
    assert provider.get(f"/records/grants/{grant_id}/returns/2027-01").status_code == 404  # not begun


# --- due, late, missing -------------------------------------------------------------------------------------------

def test_quarters_are_financial_year_quarters():
    assert service.quarter_of(dt.date(2026, 5, 9)) == dt.date(2026, 4, 1)
    assert service.quarter_of(dt.date(2027, 2, 28)) == dt.date(2027, 1, 1)
    assert service.quarter_end(dt.date(2026, 10, 1)) == dt.date(2026, 12, 31)
    assert service.quarter_end(dt.date(2027, 1, 1)) == dt.date(2027, 3, 31)
    assert service.quarter_label(dt.date(2027, 1, 1)) == "2026/27 Q4 (January to March 2027)"
    assert service.due_on(dt.date(2026, 4, 1)) == dt.date(2026, 7, 30)  # 30 days after 30 June


def test_due_late_and_missing_follow_the_due_date():
    q = dt.date(2026, 7, 1)  # ends 30 September, due 30 October
    assert service.standing(None, q, dt.date(2026, 9, 30)) == (service.Standing.OPEN, False)
    assert service.standing(None, q, dt.date(2026, 10, 30)) == (service.Standing.DUE, False)
    assert service.standing(None, q, dt.date(2026, 10, 31)) == (service.Standing.MISSING, True)
    on_time = GrantReturn(status="submitted", submitted_at=dt.datetime(2026, 10, 30, 23, 0))
    late = GrantReturn(status="signed_off", submitted_at=dt.datetime(2026, 10, 31, 9, 0))
    assert service.standing(on_time, q, dt.date(2026, 11, 15)) == (service.Standing.SUBMITTED, False)
    assert service.standing(late, q, dt.date(2026, 11, 15)) == (service.Standing.SIGNED_OFF, True)


def test_the_returns_page_shows_missing_and_awaiting_sign_off(app, grants_world):
    page = sign_in(app, "commissioner").get("/records/grants/returns/").text
    # 11 grants × Q1 and Q2 ended by 15 November: EX-005 Q1 submitted, the other 21 missing; Q3 is open.
    assert "21 missing" in page and "1 submitted, awaiting sign-off" in page and "11 for quarters not yet ended" in page
    home = sign_in(app, "commissioner").get("/records/").text
    assert "1 grant return awaiting sign-off" in home and "21 grant returns are missing" in home


# --- the published update ------------------------------------------------------------------------------------------

def _sign_off_all(records, people, quarter, today):
    """Each grant's return for the quarter, submitted by its provider account and signed off."""
    spend = {}
    with records.session() as s:
        commissioner = s.get(User, people["commissioner"])
        provider = s.get(User, people["provider"])
        for grant in s.scalars(select(Grant).order_by(Grant.reference)).all():
            amount = (grant.amount / 4).quantize(D("0.01"), rounding=decimal.ROUND_DOWN) - D("0.07")
            found = s.scalar(select(GrantReturn).where(GrantReturn.grant_id == grant.id,
                                                       GrantReturn.quarter_start == quarter))
            if found is None or found.status != ReturnStatus.SUBMITTED:
                form = service.check_return(grant, _return_form(grant, spend=str(amount)))
                found = service.save_return(s, grant, quarter, form, provider, True, today)
            else:
                amount = found.spend
            service.sign_off(found, commissioner)
            spend[grant.reference] = amount
    return spend


def test_the_published_update_matches_the_register_to_the_penny(app, records, people, grants_world):
    spend = _sign_off_all(records, people, dt.date(2026, 4, 1), grants_world["today"])
    commissioner = sign_in(app, "commissioner")
    preview = commissioner.get("/records/grants/update/2026-04?preview=1")
    assert preview.status_code == 200 and "Preview, not published" in preview.text
    assert commissioner.post("/records/grants/update/2026-04/publish",
                             data={"csrf_token": csrf_of(preview)}).status_code == 303
    public = sign_in(app, "provider")  # and the public, below
    anonymous_page = app_client_page(app, "/records/grants/update/2026-04")
    assert anonymous_page.status_code == 200
    total, by_priority = _register_sum_by_csv()
    assert "£17,800,000.00" in anonymous_page.text and "£3,900,000.00" in anonymous_page.text
    assert "Not met yet" in anonymous_page.text and "on track" not in anonymous_page.text.lower()
    assert "240 of a target of 1,000 (24%)" in anonymous_page.text  # EX-005's youth programme, Q1
    rows = list(csv.DictReader(io.StringIO(public.get("/records/grants/update/2026-04/spend.csv").text)))
    for breakdown in ("fund", "priority", "borough"):
        part = [r for r in rows if r["breakdown"] == breakdown]
        assert sum(D(r["awarded_gbp"]) for r in part) == total, breakdown
        assert sum(D(r["spend_in_quarter_gbp"]) for r in part) == sum(spend.values()), breakdown
    assert {r["group"]: D(r["awarded_gbp"]) for r in rows if r["breakdown"] == "priority"} == by_priority
    boroughs = {r["group"]: D(r["awarded_gbp"]) for r in rows if r["breakdown"] == "borough"}
    assert boroughs["All London boroughs"] == D("4399999.99") and boroughs["Several boroughs"] == D("5949999.76")
    assert boroughs["Hackney"] == D("1600000.25")
    data = json.loads(public.get("/records/grants/update/2026-04/update.json").text)
    assert data["awarded"] == "17800000.00" and D(data["spend"]) == sum(spend.values())
    assert "narrative" not in json.dumps(data) and "Summer programme ran." not in json.dumps(data)
    measures = list(csv.DictReader(io.StringIO(public.get("/records/grants/update/2026-04/measures.csv").text)))
    ex3 = [m for m in measures if m["grant"] == "EX-003"]
    assert [(m["measure"], m["target"], m["status"]) for m in ex3] == [
        ("Young adults mentored", "150", "not_met_yet"), ("No proven reoffending within 12 months", "", "no_target")]


def app_client_page(app, url):
    from records.recordstools import client

    c = client(app)
    try:
        return c.get(url)
    finally:
        c.close()


def test_an_unpublished_quarter_is_not_public_and_publication_is_frozen(app, records, people, grants_world):
    assert app_client_page(app, "/records/grants/update/2026-07").status_code == 404
    assert app_client_page(app, "/records/grants/update/2026-07?preview=1").status_code == 404  # not for the public
    assert sign_in(app, "analyst").get("/records/grants/update/2026-07?preview=1").status_code == 200
    # The Q1 update was published with EX-005's return not yet signed off: signing it off later does
    # not change what was published.
    _sign_off_all(records, people, dt.date(2026, 4, 1), grants_world["today"])
    data = json.loads(app_client_page(app, "/records/grants/update/2026-04/update.json").text)
    assert data["spend"] == "0.00" and data["returns_signed_off"] == 0
    with records.session() as s:
        live = update.figures(s, dt.date(2026, 4, 1), grants_world["today"])
        assert live["returns_signed_off"] == 11
        assert s.scalar(select(func.count()).select_from(Publication)) == 1


def test_the_status_rule():
    assert update.target_status(840, 1000, ended=False) == "not_met_yet"
    assert update.target_status(840, 1000, ended=True) == "not_met"
    assert update.target_status(1000, 1000, ended=False) == "met"
    assert update.target_status(5, None, ended=True) == "no_target"
    assert update.borough_group(["Hackney"]) == "Hackney"
    assert update.borough_group(["Brent", "Ealing"]) == "Several boroughs"
    assert update.borough_group(list(register.LONDON_BOROUGHS)) == "All London boroughs"


def test_the_update_pdf_is_tagged(app, records, people, grants_world):
    from pypdf import PdfReader

    answer = app_client_page(app, "/records/grants/update/2026-04/update.pdf")
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(answer.content))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en-GB"
    text = "".join(page.extract_text() for page in reader.pages)
    assert "£17,800,000.00" in text and "Commissioned services and grants" in text


def test_purge_deletes_grants_ended_before_the_cutoff_and_keeps_published_updates(records, grants_world):
    from oversight.records.grants import web as grants_web

    with records.session("retention") as s:
        assert grants_web.purge(s, dt.date(2027, 3, 31)) == {"grants": 0}
        assert grants_web.purge(s, dt.date(2027, 4, 1)) == {"grants": 11}
    with records.session() as s:
        assert s.scalar(select(func.count()).select_from(Grant)) == 0
        assert s.scalar(select(func.count()).select_from(GrantReturn)) == 0
        assert s.scalar(select(func.count()).select_from(Publication)) == 1


def test_own_data_says_which_organisation_and_returns(app, grants_world):
    provider = sign_in(app, "provider")
    data = provider.get("/records/account/export.json").json()
    assert data["grants"]["organisations"] == ["Example Youth Trust (invented)"]
    assert data["grants"]["returns_submitted"] == [{"id": grants_world["return_id"], "quarter": "2026-04"}]


def test_the_pdf_of_a_published_version_is_made_once(app, grants_world):
    calls = []
    make = app.state.records_pdf
    app.state.records_pdf = lambda html: calls.append(html) or make(html)
    first = app_client_page(app, "/records/grants/update/2026-04/update.pdf")
    second = app_client_page(app, "/records/grants/update/2026-04/update.pdf")
    assert first.content == second.content and len(calls) == 1
