"""USSD: the menu engine, the flows it walks, and end-of-session records."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from flask import Flask, current_app

from gateway.ussd.engine import Engine


def build_engine(flows_dir: Path, counties: Sequence[str]) -> Engine:
    """The engine for ``flows/main.yaml`` with every named handler it may call."""
    from gateway.ussd import actions
    from gateway.ussd.flow import load_flow

    return Engine(
        load_flow(flows_dir / "main.yaml"),
        conditions=actions.CONDITIONS,
        sources={"languages": actions.languages, "counties": actions.counties_source(counties)},
        actions=actions.ACTIONS,
    )


def init_app(app: Flask) -> None:
    from gateway.ussd.flow import load_counties

    flows_dir = Path(app.config["FLOWS_DIR"])
    counties = load_counties(flows_dir / "areas.yaml")
    app.extensions["counties"] = counties
    app.extensions["ussd_engine"] = build_engine(flows_dir, counties)


def engine() -> Engine:
    found: Engine = current_app.extensions["ussd_engine"]
    return found
