"""Turn a NotificationView into (subject, text, html).

Twilio SendGrid is not HIPAA-eligible, so a view holds only what the email may say: urgency,
channel, received time, SLA deadline, an opaque reference and a signed link. There is no field for
a name, contact, message or condition, so a template cannot show one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.notify.domain.policy import NoticeKind

KINDS = tuple(NoticeKind)
# Kinds about no single lead: the reference is optional.
LEADLESS_KINDS = ("daily_digest", "alert")
SEVERITIES = ("info", "warning", "critical")
URGENCIES = ("crisis", "urgent", "routine")
CHANNELS = ("web", "phone", "referral")
# FHIR Task.status words a referrer may see.
STATUS_WORDS = ("received", "accepted", "rejected", "in-progress", "completed")

# Words that would tie a recipient to a condition or to the clinic's treatment. Tests render every
# kind and assert none appears; `find_forbidden` lets callers check free text (a display name).
FORBIDDEN_TERMS = (
    "suicide",
    "suicidal",
    "self-harm",
    "self harm",
    "overdose",
    "ketamine",
    "esketamine",
    "spravato",
    "depression",
    "depressive",
    "anxiety",
    "ptsd",
    "bipolar",
    "psychiatr",
    "mental health",
    "crisis line",
    "hotline",
    "therapy",
    "treatment",
    "diagnos",
    "patient",
)

_REFERENCE_RE = re.compile(r"^[A-Z]{1,3}-[0-9A-Z]{4,16}$")
_LINK_RE = re.compile(r"^https?://[^\s\"'<>@]+$")
_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

_PRIORITY_LABEL = {"crisis": "CRISIS", "urgent": "Urgent", "routine": "Routine"}
_ALERT_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# What a supervisor reads for each alert code; an unknown code is shown as the code itself.
ALERT_LABELS = {
    "coverage_gap": "The on-call schedule has a gap",
    "break_glass": "An admin opened a lead's details (break-the-glass): review it in the audit log",
    "address_bounced": "A coordinator's email address bounced: please fix it",
    "email_failed": "An email could not be sent",
    "crisis_email_overdue": "A CRISIS lead's email is still not accepted by the email provider",
    "no_delivery_event": "An email was sent but never confirmed delivered",
    "coordinator_paused": "A coordinator was paused after leads timed out",
}
# Referral outcome codes a referrer may read, with the alternative we point them to.
REFERRAL_REASONS = {
    "not_eligible": "The clinic cannot offer a service for this referral.",
    "declined_capacity": "The clinic cannot take new referrals at the moment.",
    "out_of_area": "The person referred lives outside the area the clinic serves.",
    "unreachable": "The clinic could not reach the person referred.",
    "declined_by_person": "The person referred chose not to go ahead.",
}
REFERRAL_ALTERNATIVE = (
    "Please consider another provider, or the person's primary care provider. In an emergency, call 911."
)
_CHANNEL_LABEL = {"web": "Web form", "phone": "Phone", "referral": "Provider referral"}
# The person chose how to be contacted: the notice says so, and to use nothing else.
CONTACT_METHOD_LABELS = {"call": "Phone call", "text": "Text message", "email": "Email"}


@dataclass(frozen=True)
class DigestItem:
    reference: str
    urgency: str | None
    age_minutes: int
    link: str

    def __post_init__(self) -> None:
        _check_reference(self.reference)
        _check_choice("urgency", self.urgency, URGENCIES)
        _check_link(self.link)
        if self.age_minutes < 0:
            raise ValueError("age_minutes must not be negative")


@dataclass(frozen=True)
class NotificationView:
    kind: str
    recipient_display_name: str
    received_at: datetime
    reference: str | None
    link: str
    urgency: str | None = None
    channel: str | None = None
    sla_deadline: datetime | None = None
    step: int = 0
    status_word: str | None = None
    digest_items: tuple[DigestItem, ...] = ()
    reason_code: str | None = None  # a referral outcome code (REFERRAL_REASONS), never free text
    alert_code: str | None = None
    severity: str | None = None
    about_name: str | None = None  # a staff member an alert is about (never a patient)
    preferred_contact_method: str | None = None  # call, text or email: a code, not a contact detail
    spam_review_count: int = 0  # supervisors' digest: public-form leads held for spam review
    # A "possible crisis — confirm" lead: crisis lane until a signed-in person confirms or downgrades.
    possible_crisis: bool = False

    def __post_init__(self) -> None:
        _check_choice("kind", self.kind, KINDS)
        _check_choice("urgency", self.urgency, URGENCIES)
        _check_choice("channel", self.channel, CHANNELS)
        _check_choice("status_word", self.status_word, STATUS_WORDS)
        _check_aware("received_at", self.received_at)
        if self.sla_deadline is not None:
            _check_aware("sla_deadline", self.sla_deadline)
        if self.reference is not None or self.kind not in LEADLESS_KINDS:
            _check_reference(self.reference)
        _check_link(self.link)
        _check_line("recipient_display_name", self.recipient_display_name)
        if self.about_name is not None:
            _check_line("about_name", self.about_name)
        _check_choice("severity", self.severity, SEVERITIES)
        _check_choice("reason_code", self.reason_code, tuple(REFERRAL_REASONS))
        if self.alert_code is not None and not _ALERT_CODE_RE.match(self.alert_code):
            raise ValueError("alert_code must be a short code")
        if self.kind == "alert" and self.alert_code is None:
            raise ValueError("alert needs alert_code")
        _check_choice("preferred_contact_method", self.preferred_contact_method, tuple(CONTACT_METHOD_LABELS))
        if self.step < 0 or self.spam_review_count < 0:
            raise ValueError("step and spam_review_count must not be negative")
        if self.kind == "referral_status" and self.status_word is None:
            raise ValueError("referral_status needs status_word")
        if (
            self.kind in ("lead_assigned", "crisis_repeat", "escalation", "crisis_checked")
            and self.urgency is None
        ):
            raise ValueError(f"{self.kind} needs urgency")


def compose(view: NotificationView) -> tuple[str, str, str]:
    """Return (subject, text, html) for one view."""
    ctx = _context(view)
    subject = _subject(view, ctx)
    text = _env.get_template(f"{view.kind}.txt").render(**ctx).strip() + "\n"
    html = _env.get_template(f"{view.kind}.html").render(subject=subject, **ctx)
    return subject, text, html


def categories_for(view: NotificationView) -> tuple[str, ...]:
    """Provider categories (for its stats): the kind and urgency only."""
    cats = ["careroute", view.kind.replace("_", "-")]
    if view.urgency:
        cats.append(f"priority-{view.urgency}")
    return tuple(cats)


def find_forbidden(text: str) -> list[str]:
    lowered = text.lower()
    return [term for term in FORBIDDEN_TERMS if term in lowered]


def format_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _subject(view: NotificationView, ctx: dict) -> str:
    ref = view.reference
    urgency = view.urgency
    tag = "[CareRoute]"
    if (
        view.possible_crisis
        and urgency == "crisis"
        and view.kind in ("lead_assigned", "crisis_repeat", "escalation")
    ):
        if view.kind == "lead_assigned":
            return f"{tag} POSSIBLE CRISIS lead {ref} — confirm or downgrade now"
        if view.kind == "crisis_repeat":
            return f"{tag} POSSIBLE CRISIS lead {ref} still not confirmed — act now (page {view.step})"
        return f"{tag} Escalation step {view.step}: POSSIBLE CRISIS lead {ref} not acknowledged"
    if view.kind == "lead_assigned":
        if urgency == "crisis":
            return f"{tag} CRISIS lead {ref} — acknowledge now"
        if urgency == "urgent":
            return f"{tag} Urgent lead {ref} — acknowledge soon"
        return f"{tag} New lead {ref}"
    if view.kind == "crisis_repeat":
        return f"{tag} CRISIS lead {ref} still not acknowledged — act now (page {view.step})"
    if view.kind == "repeat_contact":
        if urgency == "crisis":
            return f"{tag} CRISIS lead {ref} made contact again — act now"
        return f"{tag} Lead {ref} made contact again"
    if view.kind == "escalation":
        label = "CRISIS" if urgency == "crisis" else ctx["priority_label"]
        return f"{tag} Escalation step {view.step}: {label} lead {ref} not acknowledged"
    if view.kind == "reassignment":
        return f"{tag} Lead {ref} reassigned to you"
    if view.kind == "crisis_checked":
        if urgency == "crisis":
            return f"{tag} CRISIS lead {ref} confirmed — acknowledge now"
        return f"{tag} Lead {ref} downgraded to {ctx['priority_label']} — crisis pages stopped"
    if view.kind == "daily_digest":
        n = len(view.digest_items)
        return f"{tag} Daily digest: {n} open lead{'s' if n != 1 else ''}"
    if view.kind == "referral_received":
        return f"{tag} Referral {ref} received"
    if view.kind == "alert":
        level = "CRITICAL alert" if view.severity == "critical" else "Alert"
        about = f" ({ref})" if ref else ""
        return f"{tag} {level}: {view.alert_code}{about}"
    return f"{tag} Referral {ref}: {view.status_word}"


def _context(view: NotificationView) -> dict:
    ack_minutes = None
    # "Within N minutes" only reads right on the first notice; later ones show the deadline.
    if view.sla_deadline is not None and view.kind == "lead_assigned":
        ack_minutes = max(0, round((view.sla_deadline - view.received_at).total_seconds() / 60))
    return {
        "view": view,
        "name": view.recipient_display_name,
        "reference": view.reference,
        "link": view.link,
        "step": view.step,
        "status_word": view.status_word,
        "urgency": view.urgency,
        "priority_label": "POSSIBLE CRISIS"
        if view.possible_crisis and view.urgency == "crisis"
        else _PRIORITY_LABEL.get(view.urgency or "", "Not yet set"),
        "possible_crisis": view.possible_crisis and view.urgency == "crisis",
        "channel_label": _CHANNEL_LABEL.get(view.channel or "", "Unknown"),
        "received": format_utc(view.received_at),
        "deadline": format_utc(view.sla_deadline) if view.sla_deadline else None,
        "ack_minutes": ack_minutes,
        "alert_label": ALERT_LABELS.get(view.alert_code or "", view.alert_code),
        "severity": view.severity or "warning",
        "about_name": view.about_name,
        "contact_method": CONTACT_METHOD_LABELS.get(view.preferred_contact_method or ""),
        "spam_review_count": view.spam_review_count,
        "reason_text": REFERRAL_REASONS.get(view.reason_code or ""),
        "alternative": REFERRAL_ALTERNATIVE if view.status_word == "rejected" else None,
        "items": [
            {
                "reference": item.reference,
                "priority_label": _PRIORITY_LABEL.get(item.urgency or "", "Not yet set"),
                "age": _age(item.age_minutes),
                "link": item.link,
            }
            for item in view.digest_items
        ],
    }


def _age(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} min"
    hours, mins = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {mins} min"
    return f"{hours // 24} days"


def _check_choice(field: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise ValueError(f"{field} must be one of {', '.join(allowed)}")


def _check_line(field: str, value: str) -> None:
    if not value.strip() or len(value) > 100 or any(ch in value for ch in "\r\n\x00"):
        raise ValueError(f"{field} must be one short line")


def _check_aware(field: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field} must be timezone-aware")


def _check_reference(reference: str) -> None:
    if not _REFERENCE_RE.match(reference):
        raise ValueError("reference must be an opaque code like R-7K3M9Q")


def _check_link(link: str) -> None:
    if not _LINK_RE.match(link) or len(link) > 2000:
        raise ValueError("link must be an http(s) URL")


_env = Environment(
    loader=FileSystemLoader(str(_TEMPLATES)),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
