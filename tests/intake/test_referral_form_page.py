"""The referral form over HTTP and its rules: the NPI check digit (form and JSON API), PDFs
checked by content, one lead and one copy of each file per submission, the status page scoped
to the practice and audited, and the ICD-10 suggestions."""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlmodel import select

from shared.db import unit_of_work
from shared.schema import AuditEvent, Lead, ReferralAttachment
from tests.browser.support import real_pdf
from tests.factories import referral
from tests.support.auth import ORIGIN, make_user, open_session, use_session

from services.intake.domain import icd10
from services.intake.domain.npi import npi_is_valid
from services.intake.domain.pdf import PdfRefused, check_pdf

HARBOR = "Harbor Psychiatry"


@pytest.mark.parametrize("npi", ["1234567893", "1245319599", "1679576722"])
def test_real_npis_pass_the_check_digit(npi):
    assert npi_is_valid(npi)


@pytest.mark.parametrize(
    "npi", ["1234567890", "123456789", "12345678931", "abcdefghij", "１２３４５６７８９３"]
)
def test_mistyped_npis_fail(npi):
    assert not npi_is_valid(npi)


def test_the_json_api_refuses_a_bad_npi_naming_the_field_without_echoing_it(client, make_key):
    body = referral(referrer={"name": "Dr. Shah", "practice": HARBOR, "npi": "1234567890"})
    answer = client.post(
        "/v1/referrals",
        content=json.dumps(body),
        headers={"content-type": "application/json", **make_key("provider", organization=HARBOR)},
    )
    assert answer.status_code == 422
    [problem] = answer.json()["errors"]
    assert problem["field"] == "referrer.npi" and "1234567890" not in answer.text


def test_a_pdf_is_judged_by_its_content():
    assert check_pdf(real_pdf(pages=3), max_bytes=1_000_000).pages == 3
    for data, why in [
        (b"", "empty"),
        (b"MZ\x90\x00 an executable", "not a PDF"),
        (b"%PDF-1.7\n garbage that is no PDF at all", "cannot be read"),
        (real_pdf() + b"x" * 2_000, "larger than"),
    ]:
        with pytest.raises(PdfRefused, match=why):
            check_pdf(data, max_bytes=1_500)


def test_a_password_protected_pdf_is_refused():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(real_pdf())))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(PdfRefused, match="password"):
        check_pdf(out.getvalue(), max_bytes=1_000_000)


def test_icd10_search_finds_codes_by_prefix_and_by_words():
    assert [c for c, _ in icd10.search("F33")][:3] == ["F33.0", "F33.1", "F33.2"]
    assert ("F43.12", "Post-traumatic stress disorder, chronic") in icd10.search("stress chronic")
    assert icd10.describe("r45.851") == "Suicidal ideations" and icd10.search("  ") == []


def _provider(client, organization=HARBOR) -> dict:
    return use_session(client, open_session(make_user("provider", organization=organization)))


def _form(client, headers) -> dict:
    page = client.get("/refer", headers=headers)
    token = re.search(r'name="submission_id" value="([^"]+)"', page.text).group(1)
    return {
        "csrf_token": headers["X-CSRF-Token"],
        "submission_id": token,
        "referrer.name": "Dr. Priya Shah",
        "referrer.practice": HARBOR,
        "referrer.npi": "1234567893",
        "patient.name": "Jordan Referred",
        "patient.phone": "949-555-0177",
        "reason": "Treatment-resistant depression.",
        "diagnoses.0": "f33.2",
        "screeners.phq9_total": "20",
    }


def test_sending_the_same_referral_twice_makes_one_lead_and_keeps_one_copy_of_the_file(client):
    headers = _provider(client)
    form = _form(client, headers)
    pdf = real_pdf()
    for _ in range(2):
        sent = client.post(
            "/refer",
            data=form,
            files=[("attachments", ("notes.pdf", pdf, "application/pdf"))],
            headers={"Origin": ORIGIN},
            follow_redirects=False,
        )
        assert sent.status_code == 303 and sent.headers["location"].startswith("/refer/R-")
    with unit_of_work() as db:
        [lead] = db.exec(select(Lead)).all()
        assert len(db.exec(select(ReferralAttachment)).all()) == 1
    assert sent.headers["location"] == f"/refer/{lead.reference}"


def test_the_status_page_is_the_practice_s_own_and_each_view_is_audited(client):
    headers = _provider(client)
    sent = client.post(
        "/refer", data=_form(client, headers), headers={"Origin": ORIGIN}, follow_redirects=False
    )
    status_page = sent.headers["location"]
    page = client.get(status_page)
    assert page.status_code == 200 and "Received" in page.text and "Jordan" not in page.text
    with unit_of_work() as db:
        reads = db.exec(select(AuditEvent).where(AuditEvent.action == "lead.read")).all()
        assert len(reads) == 1
    client.cookies.clear()
    _provider(client, organization="Elsewhere Medical")
    assert client.get(status_page).status_code == 404
    assert client.get("/refer/R-NOSUCH").status_code == 404


def test_too_many_files_are_refused_before_anything_is_stored(client, monkeypatch):
    from shared.settings import reset_settings_cache

    monkeypatch.setenv("CAREROUTE_REFERRAL_PDF_MAX_FILES", "1")
    reset_settings_cache()
    try:
        headers = _provider(client)
        files = [("attachments", (f"n{i}.pdf", real_pdf(), "application/pdf")) for i in range(2)]
        sent = client.post("/refer", data=_form(client, headers), files=files, headers={"Origin": ORIGIN})
        assert sent.status_code == 422 and "at most 1 files" in sent.text
        with unit_of_work() as db:
            assert db.exec(select(Lead)).all() == []
    finally:
        monkeypatch.undo()
        reset_settings_cache()
