"""A bundled list of the ICD-10-CM codes this clinic's referrals name (mood, anxiety, trauma,
obsessive-compulsive, pain and headache, and the symptom codes for suicidal ideation), for the
referral form's diagnosis search. Not the whole classification: a code outside it is still
accepted when it is well formed (schemas.DiagnosisIn), just not suggested."""

from __future__ import annotations

CODES: tuple[tuple[str, str], ...] = (
    ("F31.30", "Bipolar disorder, current episode depressed, mild or moderate severity, unspecified"),
    ("F31.4", "Bipolar disorder, current episode depressed, severe, without psychotic features"),
    ("F31.5", "Bipolar disorder, current episode depressed, severe, with psychotic features"),
    ("F31.81", "Bipolar II disorder"),
    ("F31.9", "Bipolar disorder, unspecified"),
    ("F32.0", "Major depressive disorder, single episode, mild"),
    ("F32.1", "Major depressive disorder, single episode, moderate"),
    ("F32.2", "Major depressive disorder, single episode, severe without psychotic features"),
    ("F32.3", "Major depressive disorder, single episode, severe with psychotic features"),
    ("F32.4", "Major depressive disorder, single episode, in partial remission"),
    ("F32.5", "Major depressive disorder, single episode, in full remission"),
    ("F32.81", "Premenstrual dysphoric disorder"),
    ("F32.9", "Major depressive disorder, single episode, unspecified"),
    ("F32.A", "Depression, unspecified"),
    ("F33.0", "Major depressive disorder, recurrent, mild"),
    ("F33.1", "Major depressive disorder, recurrent, moderate"),
    ("F33.2", "Major depressive disorder, recurrent severe without psychotic features"),
    ("F33.3", "Major depressive disorder, recurrent, severe with psychotic symptoms"),
    ("F33.40", "Major depressive disorder, recurrent, in remission, unspecified"),
    ("F33.41", "Major depressive disorder, recurrent, in partial remission"),
    ("F33.9", "Major depressive disorder, recurrent, unspecified"),
    ("F34.1", "Dysthymic disorder"),
    ("F40.10", "Social phobia, unspecified"),
    ("F41.0", "Panic disorder without agoraphobia"),
    ("F41.1", "Generalized anxiety disorder"),
    ("F41.9", "Anxiety disorder, unspecified"),
    ("F42.2", "Mixed obsessional thoughts and acts"),
    ("F42.9", "Obsessive-compulsive disorder, unspecified"),
    ("F43.10", "Post-traumatic stress disorder, unspecified"),
    ("F43.11", "Post-traumatic stress disorder, acute"),
    ("F43.12", "Post-traumatic stress disorder, chronic"),
    ("F43.20", "Adjustment disorder, unspecified"),
    ("F43.23", "Adjustment disorder with mixed anxiety and depressed mood"),
    ("F10.20", "Alcohol dependence, uncomplicated"),
    ("F11.20", "Opioid dependence, uncomplicated"),
    ("F50.00", "Anorexia nervosa, unspecified"),
    ("F50.2", "Bulimia nervosa"),
    ("F60.3", "Borderline personality disorder"),
    ("G43.709", "Chronic migraine without aura, not intractable, without status migrainosus"),
    ("G43.909", "Migraine, unspecified, not intractable, without status migrainosus"),
    ("G44.209", "Tension-type headache, unspecified, not intractable"),
    ("G89.29", "Other chronic pain"),
    ("G89.4", "Chronic pain syndrome"),
    ("G90.50", "Complex regional pain syndrome I, unspecified"),
    ("G50.0", "Trigeminal neuralgia"),
    ("M54.50", "Low back pain, unspecified"),
    ("M79.7", "Fibromyalgia"),
    ("M79.10", "Myalgia, unspecified site"),
    ("R45.851", "Suicidal ideations"),
    ("R45.88", "Nonsuicidal self-harm"),
    ("R45.86", "Emotional lability"),
    ("R45.0", "Nervousness"),
    ("R45.7", "State of emotional shock and stress, unspecified"),
    ("R41.840", "Attention and concentration deficit"),
    ("R53.83", "Other fatigue"),
    ("R52", "Pain, unspecified"),
    ("Z91.51", "Personal history of suicidal behavior"),
    ("Z91.52", "Personal history of nonsuicidal self-harm"),
)
_BY_CODE = dict(CODES)


def describe(code: str) -> str | None:
    return _BY_CODE.get(code.strip().upper())


def search(query: str, limit: int = 12) -> list[tuple[str, str]]:
    """Codes whose code starts with the query, then those whose description has every word."""
    q = query.strip().lower()
    if not q:
        return []
    by_code = [c for c in CODES if c[0].lower().startswith(q)]
    words = q.split()
    by_words = [c for c in CODES if c not in by_code and all(w in c[1].lower() for w in words)]
    return (by_code + by_words)[:limit]
