"""What a note and a call attempt may hold. Pure."""

from __future__ import annotations

from enum import StrEnum

NOTE_MAX = 4000


class CallOutcome(StrEnum):
    reached = "reached"  # spoke with the person: a first human contact
    left_voicemail = "left_voicemail"
    no_answer = "no_answer"
    busy = "busy"
    wrong_number = "wrong_number"
    text_sent = "text_sent"
    email_sent = "email_sent"


CALL_OUTCOME_WORDS = {
    CallOutcome.reached: "Reached the person",
    CallOutcome.left_voicemail: "Left a voicemail",
    CallOutcome.no_answer: "No answer",
    CallOutcome.busy: "Busy",
    CallOutcome.wrong_number: "Wrong number",
    CallOutcome.text_sent: "Sent a text",
    CallOutcome.email_sent: "Sent an email",
}


class NoteRefused(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def clean_note(text: str, *, required: bool = True) -> str | None:
    """Trimmed text without NUL bytes (PostgreSQL text cannot store them); refuses an empty or
    overlong note naming the field, never echoing it."""
    cleaned = (text or "").replace("\x00", "").strip()
    if not cleaned:
        if required:
            raise NoteRefused("body", "Write the note first.")
        return None
    if len(cleaned) > NOTE_MAX:
        raise NoteRefused("body", f"A note holds at most {NOTE_MAX} characters.")
    return cleaned


def check_outcome(value: str) -> CallOutcome:
    try:
        return CallOutcome(value)
    except ValueError:
        raise NoteRefused("outcome", "Choose how the call went.") from None
