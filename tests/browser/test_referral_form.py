"""A provider refers a patient on /refer with a PDF and lands on the referral's status page; a
mistyped NPI and a file that is not a PDF are named, and nothing is stored."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import select

from shared.db import get_engine, unit_of_work
from shared.schema import ReferralAttachment
from tests.browser.support import check_axe, leads, real_pdf, screenshot

HARBOR = "Harbor Psychiatry"


def _fill(page, npi="1234567893"):
    page.get_by_label("Your name").fill("Dr. Priya Shah")
    page.get_by_label("NPI").fill(npi)
    page.get_by_label("Patient's name").fill("Jordan Referred")
    page.get_by_label("Patient's phone").fill("949-555-0177")
    page.get_by_label("Reason for referral").fill(
        "Treatment-resistant depression after three adequate trials."
    )
    page.get_by_label("Diagnosis 1").fill("F33.2")
    page.get_by_label("Diagnosis 2").fill("F41.1")
    page.get_by_label("PHQ-9 total (0–27)").fill("21")
    page.get_by_label("Requested urgency").select_option("urgent")


def test_a_provider_refers_with_a_pdf_and_sees_the_status_page(page, sign_in):
    sign_in("provider", organization=HARBOR)
    page.get_by_role("link", name="Refer a patient").click()  # from the console's landing page
    page.wait_for_url("**/refer")
    assert page.get_by_label("Practice", exact=True).input_value() == HARBOR
    check_axe(page)
    screenshot(page, "refer-form")

    _fill(page)
    page.get_by_label("PDF files (notes, screener forms)").set_input_files(
        files=[{"name": "intake-notes.pdf", "mimeType": "application/pdf", "buffer": real_pdf(pages=2)}]
    )
    page.get_by_role("button", name="Send the referral").click()

    page.wait_for_url("**/refer/*")
    [lead] = leads()
    assert page.locator("#reference").inner_text() == lead.reference
    assert lead.channel == "referral" and lead.organization == HARBOR
    main = page.locator("main").inner_text()
    assert "Received — now" in main and "intake-notes.pdf (2 pages" in main
    with unit_of_work() as db:
        [stored] = db.exec(select(ReferralAttachment)).all()
        assert stored.lead_id == lead.id and stored.pages == 2 and stored.data.startswith(b"%PDF-")
    with get_engine().connect() as conn:  # at rest: ciphertext, not the file or its name
        raw = conn.execute(text("SELECT data, filename FROM referral_attachment")).one()
        assert raw.data.startswith("v1:") and "intake-notes" not in raw.filename
    check_axe(page)
    screenshot(page, "refer-status")


def test_a_mistyped_npi_and_a_file_that_is_not_a_pdf_are_named_and_nothing_is_stored(page, sign_in):
    sign_in("provider", organization=HARBOR)
    page.goto("/refer")
    _fill(page, npi="1234567890")
    page.get_by_label("PDF files (notes, screener forms)").set_input_files(
        files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": b"GIF89a not a pdf at all"}]
    )
    page.get_by_role("button", name="Send the referral").click()

    alert = page.get_by_role("alert").inner_text()
    assert "scan.pdf: The file is not a PDF." in alert
    assert leads() == []
    check_axe(page)

    page.get_by_label("PDF files (notes, screener forms)").set_input_files(files=[])
    page.get_by_role("button", name="Send the referral").click()
    assert "check digit" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Patient's name").input_value() == "Jordan Referred"  # nothing typed is lost
    assert leads() == []
