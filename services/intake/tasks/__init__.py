"""Intake's tasks: the canary lead the scheduler sends through the pipeline (app/canary.py)."""

from services.intake.tasks.canary import send_canary

__all__ = ["send_canary"]
