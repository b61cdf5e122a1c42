"""Report a problem, for the USSD flow."""

from __future__ import annotations

from gateway.reports.models import CATEGORIES
from gateway.reports.service import save_report
from gateway.ussd.engine import Context, Item
from gateway.ussd.handlers import county_of
from gateway.ussd.registry import action, source, view


@source("report_categories")
def categories(ctx: Context) -> list[Item]:
    return [Item(name, ctx.text(f"report.category.{name}")) for name in CATEGORIES]


@view("report_summary")
def summary(ctx: Context) -> dict[str, object]:
    description = ctx.data.get("description", "")
    return {
        "category": ctx.text(f"report.category.{ctx.data['category']}"),
        # The ward alone, if known: the county is the caller's (or was just chosen).
        "place": ctx.data.get("ward") or county_of(ctx) or "-",
        "description": description if len(description) <= 32 else description[:29] + "...",
        "anonymous": ctx.text("common.yes" if ctx.data.get("anonymous") == "yes" else "common.no"),
    }


@action("save_report")
def save(ctx: Context) -> None:
    """Save the report before the last screen is answered; its reference goes on that screen."""
    report = save_report(
        contact=ctx.contact,
        category=ctx.data["category"],
        county=county_of(ctx),
        ward=ctx.data.get("ward"),
        description=ctx.data["description"],
        anonymous=ctx.data.get("anonymous") == "yes",
        language=ctx.language,
        channel="ussd",
        session_id=ctx.hop.session_id,
    )
    ctx.data["reference"] = report.reference
