"""The development outbox: one RFC 5322 .eml per email, written atomically, listable and readable."""

from __future__ import annotations

import stat
from email import policy
from email.parser import BytesParser

import pytest

from shared.settings import Settings
from tests.notify.conftest import make_email

from services.notify.adapters.email import build_backend
from services.notify.adapters.email.file_outbox import (
    FileOutboxBackend,
    OutboxLookupError,
    list_outbox,
    read_outbox,
)
from services.notify.domain.message import EmailBackend


def test_outbox_writes_a_parseable_eml_named_by_time_and_notification(tmp_path):
    backend = FileOutboxBackend(tmp_path / "outbox")

    message_id = backend.send(make_email("ntf-abc123", html="<p>Hello <b>there</b></p>"))

    files = list((tmp_path / "outbox").iterdir())
    assert [f.name for f in files] == [f"{message_id}.eml"]
    assert message_id.endswith("-ntf-abc123") and message_id[:8].isdigit()
    with files[0].open("rb") as fh:
        msg = BytesParser(policy=policy.default).parse(fh)
    assert msg["To"] == "coordinator@clinic.example"
    assert msg["Subject"] == "[CareRoute] CRISIS lead R-7K3M9Q — acknowledge now"
    assert msg["X-CareRoute-Notification-Id"] == "ntf-abc123"
    assert msg["Message-ID"] and msg["Date"]
    assert msg.get_content_type() == "multipart/alternative"
    assert msg.get_body(("plain",)).get_content() == "Hello,\n\nReference: R-7K3M9Q\n"
    assert "<b>there</b>" in msg.get_body(("html",)).get_content()
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600


def test_outbox_leaves_no_temporary_files(tmp_path):
    backend = FileOutboxBackend(tmp_path)
    for i in range(5):
        backend.send(make_email(f"ntf-{i}"))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert len(list(tmp_path.glob("*.eml"))) == 5


def test_list_and_read_outbox(tmp_path):
    backend = FileOutboxBackend(tmp_path)
    first = backend.send(make_email("ntf-first"))
    second = backend.send(make_email("ntf-second", subject="[CareRoute] Lead R-AB12CD reassigned to you"))

    entries = list_outbox(tmp_path)

    assert [e.id for e in entries] == [first, second]  # oldest first
    assert entries[1].subject == "[CareRoute] Lead R-AB12CD reassigned to you"
    assert entries[1].to == "coordinator@clinic.example"
    assert entries[1].notification_id == "ntf-second"
    assert entries[1].date is not None and entries[1].date.tzinfo is not None
    assert "ntf-second" in read_outbox(tmp_path, second)
    text = read_outbox(tmp_path, "ntf-fir")  # a notification id prefix works too
    assert "X-CareRoute-Notification-Id: ntf-first" in text
    assert "\r\n" not in text


def test_read_outbox_refuses_ambiguous_and_unknown_ids(tmp_path):
    backend = FileOutboxBackend(tmp_path)
    backend.send(make_email("ntf-same"))
    backend.send(make_email("ntf-same"))  # a retried notification

    with pytest.raises(OutboxLookupError):
        read_outbox(tmp_path, "ntf-same")
    with pytest.raises(OutboxLookupError):
        read_outbox(tmp_path, "ntf-missing")
    with pytest.raises(OutboxLookupError):
        read_outbox(tmp_path, "")


def test_list_outbox_of_a_missing_folder_is_empty(tmp_path):
    assert list_outbox(tmp_path / "nope") == []


def test_build_backend_defaults_to_the_outbox_under_var(tmp_path):
    backend = build_backend(Settings(email_backend="outbox", var_dir=tmp_path))

    assert isinstance(backend, FileOutboxBackend)
    assert isinstance(backend, EmailBackend)
    backend.send(make_email("ntf-settings"))
    assert [e.notification_id for e in list_outbox(tmp_path / "outbox")] == ["ntf-settings"]
