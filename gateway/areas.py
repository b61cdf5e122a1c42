"""Counties and wards where HMK's community platforms are (``flows/areas.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from flask import current_app


@dataclass(frozen=True)
class County:
    name: str
    wards: tuple[str, ...] = ()


def load_areas(path: Path) -> dict[str, County]:
    """The counties in the file's order, by name."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    counties = [
        County(str(c["name"]), tuple(str(w) for w in c.get("wards") or ())) for c in raw["counties"]
    ]
    return {county.name: county for county in counties}


def areas() -> dict[str, County]:
    found: dict[str, County] = current_app.extensions["areas"]
    return found
