"""`careroute keys rotate` moves every encrypted value to the active key: in batches, resumably,
idempotently; afterwards the old key can be dropped and everything still reads."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import select
from typer.testing import CliRunner

from careroute.cli import app
from shared.crypto import new_key
from shared.db import unit_of_work
from shared.keyrotation import key_status, rotate
from shared.schema import Classification, LeadContact
from shared.settings import reset_settings_cache
from tests.factories import make_classified_lead

runner = CliRunner()
K1, K2 = new_key(), new_key()


@pytest.fixture
def use_keys(monkeypatch):
    def use(spec: str, active: str) -> None:
        monkeypatch.setenv("CAREROUTE_PHI_KEYS", spec)
        monkeypatch.setenv("CAREROUTE_PHI_ACTIVE_KEY_ID", active)
        reset_settings_cache()

    yield use
    monkeypatch.undo()
    reset_settings_cache()


def counts(column: str) -> dict:
    return dict(next(r for r in key_status() if r.name == column).by_key)


def stored_key_ids() -> set[str]:
    with unit_of_work() as session:
        rows = session.execute(text("SELECT name, message, details FROM lead_contact")).all()
    return {value.split(":")[1] for row in rows for value in row if value}


def test_rotation_with_two_keys_is_batched_resumable_idempotent_and_frees_the_old_key(db, use_keys):
    import pyotp

    from shared.auth import accounts
    from tests.support.auth import make_user

    use_keys(f"k1:{K1},k2:{K2}", "k1")
    for i in range(5):
        make_classified_lead(phone=f"+1949555{i:04d}")
    totp = pyotp.random_base32()
    admin = make_user("admin", totp_secret=totp)  # staff TOTP secrets are on the same keys
    assert counts("lead_contact.name") == {"k1": 5} and counts("staff_user.totp_secret") == {"k1": 1}

    use_keys(f"k1:{K1},k2:{K2}", "k2")  # step 2 of the procedure: k2 becomes active
    partial = rotate(batch_size=2, max_batches=2)  # interrupted after two batches
    assert sum(r.rotated for r in partial) == 4
    assert counts("classification.evidence") == {"k1": 1, "k2": 4}  # the first column, in table order
    assert counts("lead_contact.name") == {"k1": 5}

    result = runner.invoke(app, ["keys", "rotate", "--batch-size", "3"])  # the operator runs it again
    assert result.exit_code == 0, result.output
    assert "now under key k2" in result.output
    assert stored_key_ids() == {"k2"}
    assert {r.name: dict(r.by_key) for r in key_status()} == {
        "classification.evidence": {"k2": 5},
        **{f"lead_contact.{c}": {"k2": 5} for c in ("details", "message", "name", "phone")},
        **{
            f"lead_contact.{c}": {} for c in ("date_of_birth", "email", "how_heard", "preferred_contact_time")
        },
        "staff_user.totp_secret": {"k2": 1},
        # Found through the metadata like every encrypted column; empty in this test.
        **{
            name: {}
            for name in (
                "break_glass_grant.reason",
                "call_attempt.note",
                "clinical_review_decision.note",
                "crisis_check_decision.note",
                "fhir_attachment.data",
                "fhir_resource.body",
                "lead_note.body",
                "referral_attachment.data",
                "referral_attachment.filename",
                "staff_user.totp_pending",
            )
        },
    }
    assert sum(r.rotated for r in rotate()) == 0  # nothing left: running again changes nothing

    use_keys(f"k2:{K2}", "k2")  # the old key is gone from the configuration
    with unit_of_work() as session:
        phones = sorted(c.phone for c in session.exec(select(LeadContact)).all())
        evidence = [c.evidence for c in session.exec(select(Classification)).all()]
    assert phones == [f"+1949555{i:04d}" for i in range(5)] and evidence == [[]] * 5
    with unit_of_work() as session:  # the second factor still works: the same secret, under k2
        assert accounts.totp_secret(session.get(type(admin), admin.id)) == totp
    status = runner.invoke(app, ["keys", "status"])
    assert "lead_contact.name" in status.output and "k2*=5" in status.output


def test_a_value_under_a_key_no_longer_configured_is_reported_not_guessed(db, use_keys):
    from shared.crypto import PhiCryptoError

    use_keys(f"k1:{K1}", "k1")
    make_classified_lead(phone="+19495550000")
    use_keys(f"k2:{K2}", "k2")  # k1 dropped before rotating: a mistake the tool must name
    with pytest.raises(PhiCryptoError, match="'k1', which is not configured"):
        rotate()


def test_rotation_encrypts_plaintext_left_from_before_the_migration(db):
    make_classified_lead(phone="+19495550000")
    with unit_of_work() as session:
        session.execute(text("UPDATE lead_contact SET how_heard = 'radio'"))
    assert counts("lead_contact.how_heard") == {"(not encrypted)": 1}
    rotate()
    assert counts("lead_contact.how_heard") == {"dev": 1}
    with unit_of_work() as session:
        assert session.exec(select(LeadContact)).one().how_heard == "radio"
