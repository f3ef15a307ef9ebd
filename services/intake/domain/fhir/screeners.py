"""Screener scores from Observations (a value, or a panel's components) and QuestionnaireResponses
(items whose linkId is the LOINC code, or ends in `/<code>`), keyed as the JSON referral's
`screeners` are: phq9_total, phq9_item9, gad7_total, pcl5_total, cssrs{...}.

When a screener is sent twice, the higher value is kept: screeners only ever raise urgency.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.intake.domain.fhir.bundle import Submission
from services.intake.domain.fhir.codes import (
    CSSRS_ITEMS,
    CSSRS_SYSTEM,
    LOINC,
    LOINC_SCORES,
    NO_CODES,
    PHQ_ANSWERS,
    YES_CODES,
)
from services.intake.domain.fhir.outcome import Issue

SKIPPED_STATUSES = {"entered-in-error", "cancelled", "stopped"}


class _Scores:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.cssrs: dict[str, bool] = {}
        self.issues: list[Issue] = []

    def score(self, key: str, value: int) -> None:
        self.values[key] = max(value, self.values.get(key, value))

    def answer(self, item: str, value: bool) -> None:
        self.cssrs[item] = self.cssrs.get(item, False) or value

    def result(self) -> dict:
        out = dict(self.values)
        if self.cssrs:
            out["cssrs"] = dict(self.cssrs)
        return out


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal | float) and value == int(value):
        return int(value)
    return None


def _coded_answer(codings: list, *, phq: bool) -> Any:
    for coding in codings or []:
        code = getattr(coding, "code", None)
        if phq and code in PHQ_ANSWERS:
            return PHQ_ANSWERS[code]
        if code in YES_CODES:
            return True
        if code in NO_CODES:
            return False
    return None


def _value_of(element: Any, *, phq: bool) -> tuple[Any, str]:
    """(the value, its element name) from value[x] of an Observation, component or answer."""
    for name in ("valueInteger", "valueDecimal", "valueBoolean"):
        value = getattr(element, name, None)
        if value is not None:
            return value, name
    quantity = getattr(element, "valueQuantity", None)
    if quantity is not None:
        return quantity.value, "valueQuantity.value"
    concept = getattr(element, "valueCodeableConcept", None)
    if concept is not None:
        return _coded_answer(concept.coding, phq=phq), "valueCodeableConcept"
    coding = getattr(element, "valueCoding", None)
    if coding is not None:
        return _coded_answer([coding], phq=phq), "valueCoding"
    return None, "value[x]"


def _take(scores: _Scores, code: str, element: Any, where: str) -> None:
    if code in LOINC_SCORES:
        key, low, high = LOINC_SCORES[code]
        value, name = _value_of(element, phq=key.startswith("phq9"))
        number = _integer(value)
        if number is None:
            scores.issues.append(Issue("value", f"{where}.{name}", "Must be a whole-number score."))
        elif not low <= number <= high:
            scores.issues.append(
                Issue("value", f"{where}.{name}", f"This screener's score is {low} to {high}.")
            )
        else:
            scores.score(key, number)
    elif code in CSSRS_ITEMS:
        value, name = _value_of(element, phq=False)
        if not isinstance(value, bool):
            scores.issues.append(Issue("value", f"{where}.{name}", "A C-SSRS item is answered yes or no."))
        else:
            scores.answer(code, value)


def _codes(concept: Any) -> list[str]:
    out = []
    for coding in getattr(concept, "coding", None) or []:
        loinc = coding.system == LOINC and coding.code in LOINC_SCORES
        if loinc or (coding.system == CSSRS_SYSTEM and coding.code in CSSRS_ITEMS):
            out.append(coding.code)
    return out


def _observation(scores: _Scores, item) -> None:
    model = item.model
    if model.status in SKIPPED_STATUSES:
        return
    for code in _codes(model.code):
        _take(scores, code, model, item.path)
    for j, component in enumerate(model.component or []):
        for code in _codes(component.code):
            _take(scores, code, component, f"{item.path}.component[{j}]")


def _link_code(link_id: str | None, definition: str | None) -> str | None:
    for candidate in (link_id, definition):
        if not candidate:
            continue
        tail = candidate.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
        if tail in LOINC_SCORES or tail in CSSRS_ITEMS:
            return tail
    return None


def _questionnaire_items(scores: _Scores, items: list, where: str) -> None:
    for i, qitem in enumerate(items or []):
        at = f"{where}.item[{i}]"
        code = _link_code(qitem.linkId, qitem.definition)
        for j, answer in enumerate(qitem.answer or []):
            if code is not None:
                _take(scores, code, answer, f"{at}.answer[{j}]")
            _questionnaire_items(scores, answer.item, f"{at}.answer[{j}]")
        _questionnaire_items(scores, qitem.item, at)


def read_screeners(submission: Submission) -> tuple[dict, list[Issue]]:
    scores = _Scores()
    for item in submission.of_type("Observation"):
        _observation(scores, item)
    for item in submission.of_type("QuestionnaireResponse"):
        if item.model.status not in SKIPPED_STATUSES:
            _questionnaire_items(scores, item.model.item, item.path)
    return scores.result(), scores.issues
