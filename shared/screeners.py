"""Screener answers and scores as referrals send them: one definition for intake's validation and
for the triage input built from stored leads."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt


class CssrsAnswers(BaseModel):
    """Columbia Suicide Severity Rating Scale screener: yes/no per item, when answered."""

    model_config = ConfigDict(extra="forbid")

    wish_dead: StrictBool | None = None
    active_thoughts: StrictBool | None = None
    method: StrictBool | None = None
    intent: StrictBool | None = None
    plan: StrictBool | None = None
    behavior_3_months: StrictBool | None = None
    positive: StrictBool | None = None


class ScreenerScores(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phq9_total: Annotated[StrictInt, Field(ge=0, le=27)] | None = None
    phq9_item9: Annotated[StrictInt, Field(ge=0, le=3)] | None = None
    gad7_total: Annotated[StrictInt, Field(ge=0, le=21)] | None = None
    pcl5_total: Annotated[StrictInt, Field(ge=0, le=80)] | None = None
    ybocs_total: Annotated[StrictInt, Field(ge=0, le=40)] | None = None
    cssrs: CssrsAnswers | None = None
