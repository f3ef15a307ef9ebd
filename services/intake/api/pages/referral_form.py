"""/refer: the provider's referral form (in progress)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
