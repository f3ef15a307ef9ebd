"""Structured fields raise (never lower) urgency; evidence and version are recorded."""

import io
import json

from services.triage import CLASSIFIER_VERSION, TriageInput, classify, classify_jsonl, screen_text_for_risk


def run(text, channel="referral", **structured):
    return classify(TriageInput(text=text, channel=channel, structured={"message_date": "2026-11-15", **structured}))


def test_phq9_item9_raises_to_urgent():
    result = run("Referral: MDD (F33.2).", phq9_item9=1)
    assert result.urgency == "urgent"
    assert any(e.get("field") == "phq9_item9" and e["source"] == "structured" for e in result.evidence)


def test_cssrs_plan_raises_to_crisis():
    assert run("Referral: MDD.", cssrs={"plan": True}).urgency == "crisis"


def test_negative_screener_never_lowers_text_urgency():
    result = run("Pt reports SI with plan to overdose. MDD.", "phone", phq9_item9=0, cssrs={"positive": False})
    assert result.urgency == "crisis"


def test_provider_routine_does_not_lower():
    assert run("Referral: MDD. PHQ-9 item 9 = 2.", provider_urgency="routine").urgency == "urgent"


def test_provider_expedited_raises():
    assert run("Referral for Spravato: MDD.", provider_urgency="expedited").urgency == "urgent"


def test_icd_codes_give_conditions_flags_and_referral_primary():
    result = run("Please evaluate for ketamine.", icd10_codes=["F43.10", "F33.2", "I67.1"])
    assert result.conditions == ["depression", "ptsd"]
    assert result.primary_condition == "ptsd"
    assert "cardiovascular_risk" in result.flags


def test_referral_primary_is_first_listed_diagnosis():
    result = run("Reason: PTSD nightmares. Diagnoses: 1. MDD recurrent (F33.1) 2. PTSD (F43.10).")
    assert result.primary_condition == "depression"


def test_date_of_birth_sets_minor_at_message_date():
    assert "minor" in run("Referral: MDD.", date_of_birth="2010-01-01").flags
    assert "minor" not in run("Referral: MDD.", date_of_birth="2000-01-01").flags


def test_preferred_language_sets_spanish():
    assert "spanish_language" in run("Referral: MDD.", preferred_language="es").flags


def test_evidence_offsets_point_at_the_span():
    text = "Hello. I have been so depressed and I hope I don't wake up tomorrow."
    result = run(text, "web")
    assert result.evidence
    for ev in result.evidence:
        assert "label" in ev and "source" in ev
        if ev["source"] == "text" and "start" in ev:
            assert text[ev["start"]:ev["end"]] == ev["text"]
    dep = next(e for e in result.evidence if e["label"] == "condition:depression")
    assert dep["text"] == "depressed" and dep["rule"] == "depression.named"
    urgent = next(e for e in result.evidence if e["label"] == "urgency:urgent")
    assert "wake up" in urgent["text"]


def test_negated_evidence_lists_the_context_modifier():
    result = run("Pt denies SI. MDD.", "phone")
    ev = next(e for e in result.evidence if e["label"] == "risk_discounted")
    assert ev["text"] == "SI"
    assert any(m.startswith("NEGATED_EXISTENCE:") for m in ev["modifiers"])


def test_version_is_recorded_and_hashes_the_rules():
    result = run("Referral: MDD.")
    assert result.version == CLASSIFIER_VERSION
    assert CLASSIFIER_VERSION.startswith("triage-") and "+" in CLASSIFIER_VERSION


def test_version_changes_when_a_rule_file_changes(tmp_path):
    from services.triage.rules import RULES_DIR, load_rules

    for path in RULES_DIR.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    before = load_rules(tmp_path).version
    assert before == load_rules(RULES_DIR).version
    with open(tmp_path / "conditions.yaml", "a", encoding="utf-8") as fh:
        fh.write("\n# clinician note\n")
    assert load_rules(tmp_path).version != before


def test_to_dict_is_the_jsonl_shape():
    d = run("Referral: MDD.").to_dict()
    assert set(d) == {"conditions", "primary_condition", "urgency", "veteran", "flags", "possible_crisis", "evidence"}
    json.dumps(d)


def test_classify_jsonl_writes_results_and_errors_without_text():
    lines = [
        json.dumps({"id": "a", "text": "I want to end my life and I know which bridge.", "channel": "web"}),
        json.dumps({"id": "b", "text": "Referral: MDD.", "channel": "referral", "structured": {"phq9_item9": 1}}),
        json.dumps({"id": "c", "text": "Referral: MDD.", "phq9_item9": 2}),
        json.dumps({"id": "d", "text": 42}),
        "{not json SECRET-TEXT",
        "",
    ]
    out = io.StringIO()
    assert classify_jsonl(lines, out) == 5
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "c", "d", None]
    assert rows[0]["urgency"] == "crisis"
    assert rows[1]["urgency"] == "urgent" and rows[2]["urgency"] == "urgent"
    assert set(rows[0]) == {"id", "conditions", "primary_condition", "urgency", "veteran", "flags", "possible_crisis", "evidence",
                            "classifier_version"}
    assert all(r["classifier_version"] == CLASSIFIER_VERSION for r in rows)
    assert "error" in rows[3] and "error" in rows[4]
    assert "SECRET" not in out.getvalue()


def test_screen_text_for_risk_is_high_recall():
    for text in ["denies SI", "my brother died by suicide", "I want to die", "quiero morir",
                 "thinking of hurting myself", "HI toward coworker", "I overdosed last month",
                 "no quiero vivir", "cutting again"]:
        assert screen_text_for_risk(text), text
    for text in ["Need to reschedule Thursday", "Si, me interesa la ketamina", "Do you take Aetna?", ""]:
        assert not screen_text_for_risk(text), text


def test_classifier_never_logs_text(caplog, capsys):
    import logging

    caplog.set_level(logging.DEBUG)
    run("Zebra-Quokka-9931 wants to end my life, I know which bridge.", "web")
    captured = capsys.readouterr()
    assert "Zebra-Quokka" not in caplog.text
    assert "Zebra-Quokka" not in captured.out + captured.err
