"""Codes routing stores and sends: what kind of assignment, timer, escalation and alert a row is."""

from __future__ import annotations

from enum import StrEnum


class AssignmentKind(StrEnum):
    route = "route"
    repeat = "repeat"  # a new inquiry from a person with an open lead: the same coordinator
    reassign = "reassign"
    claim = "claim"
    reroute = "reroute"  # after a decline
    on_call = "on_call"


class DeadlineKind(StrEnum):
    acknowledge = "acknowledge"  # the SLA: when it passes, the ladder climbs
    crisis_repeat = "crisis_repeat"  # a crisis page repeats until someone acknowledges
    contact = "contact"  # an acknowledged crisis: contact must be recorded by then, or pages resume


class DeadlineStatus(StrEnum):
    pending = "pending"
    fired = "fired"
    cancelled = "cancelled"


class EscalationCause(StrEnum):
    timeout = "timeout"
    notification_failed = "notification_failed"
    no_contact = "no_contact"  # a crisis was acknowledged but nobody recorded contact in time


class AlertKind(StrEnum):
    coverage_gap = "coverage_gap"
    ladder_exhausted = "ladder_exhausted"
    coordinator_paused = "coordinator_paused"


class Severity(StrEnum):
    info = "info"
    warning = "warning"
    critical = "critical"
