"""The compositional risk model: who x what x when x how certain, read per clause, combined by the
policy's urgency levels (TRIAGE_POLICY.md). See docs/triage.md "Risk model"."""

from .model import RiskModel, RiskOpinion

__all__ = ["RiskModel", "RiskOpinion"]
