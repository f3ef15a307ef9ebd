"""The simulator's report as text (`careroute simulate` without --json)."""

from __future__ import annotations

from services.routing.domain.directory import zone
from services.routing.domain.simulate import Report


def format_report(report: Report) -> str:
    tz = zone(report.timezone)
    lines = [
        f"Simulated {len(report.runs)} leads from {report.start.astimezone(tz):%Y-%m-%d %H:%M} "
        f"to {report.end.astimezone(tz):%Y-%m-%d %H:%M} ({report.timezone})",
        "",
        "Load per coordinator",
        f"  {'coordinator':<18}{'assigned':>9}{'peak open':>11}{'escalations':>13}",
    ]
    for p in report.people:
        lines.append(
            f"  {p.name:<18}{report.assigned.get(p.id, 0):>9}{report.peak_open.get(p.id, 0):>11}"
            f"{report.escalations_received.get(p.id, 0):>13}"
        )
    lines += ["", "SLA met (acknowledged by the deadline)"]
    for urgency, row in report.sla().items():
        lines.append(f"  {urgency:<8}{row['met']:>4}/{row['total']:<4}{row['percent']:>6.1f}%")
    lines += ["", "Time to assignment (median / max)"]
    for urgency, row in report.time_to_assignment().items():
        waited = f", {row['waited']} waited for a coordinator" if row["waited"] else ""
        lines.append(
            f"  {urgency:<8}{row['median_minutes']:>7.1f} min / {row['max_minutes']:.1f} min{waited}"
        )
    lines += ["", "Crisis paths"]
    for r in report.runs:
        if r.lead.urgency == "crisis":
            lines.append(f"  {r.lead.id} {r.lead.at.astimezone(tz):%H:%M}: " + "; ".join(_compress(r.path)))
    if report.paused:
        lines += ["", "Paused from routine leads: " + ", ".join(report.paused)]
    unassigned = [r.lead.id for r in report.runs if r.holder is None]
    if unassigned:
        lines += ["", "Never assigned: " + ", ".join(unassigned)]
    return "\n".join(lines) + "\n"


def _compress(path: list[str]) -> list[str]:
    """Repeated crisis pages become one entry: "22:55-23:40 crisis page repeated to X (10 times)"."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) == 1:
            out.append(run[0])
        elif run:
            first, last = run[0].split(" ", 1), run[-1].split(" ", 1)
            out.append(f"{first[0]}-{last[0]} {first[1]} ({len(run)} times)")
        run.clear()

    for step in path:
        if " crisis page repeated to " in step and (
            not run or run[0].split(" ", 1)[1] == step.split(" ", 1)[1]
        ):
            run.append(step)
            continue
        flush()
        if " crisis page repeated to " in step:
            run.append(step)
        else:
            out.append(step)
    flush()
    return out
