from records.recordstools import PASSWORD, sign_in


def test_admin_signs_in_and_sees_accounts(app, people):
    c = sign_in(app, "administrator")
    page = c.get("/records/users/")
    assert page.status_code == 200, page.text
    assert "coordinator" in page.text
    assert PASSWORD not in page.text
