"""Routing tasks: classify a received lead, route a classified one, sweep stuck ones."""

from services.routing.tasks.classify import classify_lead
from services.routing.tasks.route import route_lead
from services.routing.tasks.sweep import sweep_stuck_leads

__all__ = ["classify_lead", "route_lead", "sweep_stuck_leads"]
