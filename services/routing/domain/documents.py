"""The directory document (YAML or JSON): coordinators and the on-call schedule, validated.

`parse_yaml` returns the validated document or raises `DocumentInvalid` whose problems name the
line and the field ("clinic.yaml:14 coordinators[2].hours.mon: ..."), never echoing values.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

import phonenumbers
import yaml
from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError, field_validator, model_validator

from services.routing.domain.directory import DAYS, zone

WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-(([01]\d|2[0-3]):([0-5]\d)|24:00)$")
DAY_KEY = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _e164(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        raise ValueError("pager_phone is not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise ValueError("pager_phone is not a phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _check_zone(value: str) -> str:
    try:
        zone(value)
    except Exception:
        raise ValueError("unknown time zone (use an IANA name such as America/Los_Angeles)") from None
    return value


class Window(_Strict):
    start: date | datetime
    end: date | datetime
    reason: str = Field("", max_length=120)

    @model_validator(mode="after")
    def _ordered(self):
        if type(self.start) is not type(self.end):
            raise ValueError("start and end must both be dates or both be date-times")
        if self.end < self.start:
            raise ValueError("end is before start")
        return self


class Capacity(_Strict):
    open: int = Field(12, ge=0, le=500)
    per_day: int | None = Field(None, ge=0, le=500)


class CoordinatorDoc(_Strict):
    name: str = Field(min_length=1, max_length=120)
    email: EmailStr
    role: Literal["coordinator", "supervisor", "clinical_reviewer"] = "coordinator"
    specialties: list[str] = []
    programs: list[str] = []
    languages: list[str] = ["en"]
    regions: list[str] = []
    timezone: str | None = None
    hours: dict[str, str | list[str]] = {}  # {"mon-fri": "09:00-17:00", "sat": ["10:00-14:00"]}
    holidays: list[date] = []
    out_of_office: list[Window] = []
    capacity: Capacity = Field(default_factory=Capacity)
    weight: float = Field(1.0, gt=0, le=10)
    active: bool = True
    on_call: bool = False
    pager_phone: str | None = None  # for SMS pages (crisis, escalation): normalised to E.164
    supervisor: EmailStr | None = None
    backup: EmailStr | None = None

    @field_validator("pager_phone")
    @classmethod
    def _pager(cls, value):
        return None if value is None else _e164(value)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value):
        return None if value is None else _check_zone(value)

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict) -> dict:
        for key, windows in value.items():
            if not DAY_KEY.match(key):
                raise ValueError("day keys are mon..sun or a range like mon-fri")
            for window in [windows] if isinstance(windows, str) else windows:
                if not WINDOW.match(window):
                    raise ValueError("hours are HH:MM-HH:MM (24-hour; 24:00 allowed as an end)")
        return value

    def working_hours(self) -> dict[str, list[list[str]]]:
        out: dict[str, list[list[str]]] = {}
        for key, windows in self.hours.items():
            first, _, last = key.partition("-")
            i, j = DAYS.index(first), DAYS.index(last or first)
            days = DAYS[i : j + 1] if i <= j else DAYS[i:] + DAYS[: j + 1]
            for day in days:
                for window in [windows] if isinstance(windows, str) else windows:
                    begin, end = window.split("-")
                    out.setdefault(day, []).append([begin, end])
        return out


class LayerDoc(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    start: datetime
    shift_hours: int = Field(168, ge=1, le=24 * 28)
    members: list[EmailStr] = Field(min_length=1)
    timezone: str = "America/Los_Angeles"
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = []
    between: str | None = None  # "HH:MM-HH:MM" local restriction

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value):
        return _check_zone(value)

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give a UTC offset, e.g. 2026-11-30T09:00:00-08:00")
        return value

    @field_validator("between")
    @classmethod
    def _between(cls, value):
        if value is not None and not WINDOW.match(value):
            raise ValueError("between is HH:MM-HH:MM")
        return value


class OverrideDoc(_Strict):
    who: EmailStr
    start: datetime
    end: datetime
    reason: str = Field("", max_length=120)

    @model_validator(mode="after")
    def _ordered(self):
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("give UTC offsets on start and end")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class OnCallDoc(_Strict):
    layers: list[LayerDoc] = []
    overrides: list[OverrideDoc] = []


class DirectoryDoc(_Strict):
    timezone: str = "America/Los_Angeles"  # default for coordinators that give none
    coordinators: list[CoordinatorDoc] = Field(min_length=1)
    on_call: OnCallDoc = Field(default_factory=OnCallDoc)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value):
        return _check_zone(value)

    @model_validator(mode="after")
    def _references(self):
        emails = [c.email.lower() for c in self.coordinators]
        dupes = sorted({e for e in emails if emails.count(e) > 1})
        if dupes:
            raise ValueError(f"duplicate coordinator emails ({len(dupes)})")
        known = set(emails)
        for i, c in enumerate(self.coordinators):
            for label in ("supervisor", "backup"):
                ref = getattr(c, label)
                if ref is not None and ref.lower() not in known:
                    raise ValueError(f"coordinators[{i}].{label}: not a coordinator in this directory")
                if ref is not None and ref.lower() == c.email.lower():
                    raise ValueError(f"coordinators[{i}].{label}: cannot be themself")
        for i, layer in enumerate(self.on_call.layers):
            for j, member in enumerate(layer.members):
                if member.lower() not in known:
                    raise ValueError(f"on_call.layers[{i}].members[{j}]: not a coordinator in this directory")
        for i, override in enumerate(self.on_call.overrides):
            if override.who.lower() not in known:
                raise ValueError(f"on_call.overrides[{i}].who: not a coordinator in this directory")
        return self


def window_bounds(window: Window, tz_name: str) -> tuple[datetime, datetime]:
    """Dates are whole local days (the end date inclusive); date-times must carry an offset."""
    tz = zone(tz_name)
    if isinstance(window.start, datetime):
        start = window.start if window.start.tzinfo else window.start.replace(tzinfo=tz)
        end = window.end if window.end.tzinfo else window.end.replace(tzinfo=tz)  # type: ignore[union-attr]
        return start, end
    return (
        datetime.combine(window.start, time(0), tzinfo=tz),
        datetime.combine(window.end + timedelta(days=1), time(0), tzinfo=tz),
    )  # type: ignore[operator]


# ---------------------------------------------------------------------------------------------
# Validation errors with line numbers


class Problem(BaseModel):
    field: str
    message: str
    line: int | None = None


class DocumentInvalid(ValueError):
    def __init__(self, problems: list[Problem], source: str = "") -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems
        self.source = source

    def lines(self) -> list[str]:
        out = []
        for p in self.problems:
            where = f"{self.source}:{p.line}" if p.line else (self.source or "document")
            out.append(f"{where}: {p.field or '(document)'}: {p.message}")
        return out


def _node_lines(node, path=()) -> dict[tuple, int]:
    lines = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines.update(_node_lines(value, path + (key.value,)))
            lines[path + (key.value,)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            lines.update(_node_lines(value, path + (i,)))
    return lines


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _best_line(lines: dict[tuple, int], loc: tuple) -> int | None:
    loc = tuple(str(p) if not isinstance(p, int) else p for p in loc)
    while loc not in lines and loc:
        loc = loc[:-1]
    return lines.get(loc)


_MESSAGE_REF = re.compile(
    r"((?:coordinators|rules|on_call\.layers|on_call\.overrides)\[\d+\](?:\.[a-z_]+(?:\[\d+\])?)?)"
)


def validate(model: type[BaseModel], data: Any, lines: dict[tuple, int] | None = None, source: str = ""):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p in ("function-after",)))
            message = error["msg"].removeprefix("Value error, ")
            field = _dotted(loc)
            line = _best_line(lines or {}, loc)
            ref = _MESSAGE_REF.search(message)
            if not field and ref:  # a cross-field check names its own field
                field = ref.group(1)
                parts = tuple(int(x) if x.isdigit() else x for x in re.split(r"[\.\[\]]+", field) if x)
                line = _best_line(lines or {}, parts)
            problems.append(Problem(field=field, message=message, line=line))
        raise DocumentInvalid(problems, source) from None


def load_yaml(text: str, source: str = "") -> tuple[Any, dict[tuple, int]]:
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DocumentInvalid(
            [
                Problem(
                    field="",
                    message=f"not valid YAML ({getattr(exc, 'problem', 'syntax')})",
                    line=mark.line + 1 if mark else None,
                )
            ],
            source,
        ) from None
    return data, (_node_lines(node) if node is not None else {})


def parse_directory(text: str, source: str = "") -> DirectoryDoc:
    data, lines = load_yaml(text, source)
    return validate(DirectoryDoc, data, lines, source)


def parse_ruleset(text: str, source: str = ""):
    from services.routing.domain.rules import Ruleset

    data, lines = load_yaml(text, source)
    return validate(Ruleset, data, lines, source)


def snapshot(doc: DirectoryDoc, ids: dict[str, Any] | None = None):
    """People and the on-call schedule from a document (the simulator's directory; ids made up)."""
    from uuid import NAMESPACE_URL, uuid5

    from services.routing.domain.directory import Person
    from services.routing.domain.oncall import Layer, Override, Schedule

    ids = ids or {}

    def id_for(email: str):
        return ids.get(email.lower()) or uuid5(NAMESPACE_URL, f"mailto:{email.lower()}")

    people = []
    for c in doc.coordinators:
        tz = c.timezone or doc.timezone
        people.append(
            Person(
                id=id_for(c.email),
                name=c.name,
                email=c.email.lower(),
                role=c.role,
                specialties=tuple(c.specialties),
                programs=tuple(c.programs),
                languages=tuple(c.languages),
                regions=tuple(c.regions),
                timezone=tz,
                working_hours=c.working_hours(),
                holidays=tuple(c.holidays),
                out_of_office=tuple(window_bounds(w, tz) for w in c.out_of_office),
                max_open_leads=c.capacity.open,
                max_new_per_day=c.capacity.per_day,
                weight=c.weight,
                active=c.active,
                on_call_flag=c.on_call,
                supervisor_id=id_for(c.supervisor) if c.supervisor else None,
                backup_id=id_for(c.backup) if c.backup else None,
            )
        )
    layers = []
    for position, layer in enumerate(doc.on_call.layers):
        begin, _, end = (layer.between or "").partition("-")
        layers.append(
            Layer(
                name=layer.name,
                rotation_start=layer.start,
                shift_hours=layer.shift_hours,
                members=tuple(id_for(m) for m in layer.members),
                position=position,
                timezone=layer.timezone,
                restrict_days=tuple(layer.days),
                restrict_start=begin or None,
                restrict_end=end or None,
            )
        )
    overrides = tuple(Override(id_for(o.who), o.start, o.end) for o in doc.on_call.overrides)
    return people, Schedule(tuple(layers), overrides)
