"""The Community Guides' structure (``messages/guides.yaml``); their texts are in the catalogs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from flask import Flask, current_app


@dataclass(frozen=True)
class Chapter:
    id: str
    title: str  # text keys
    text: str


@dataclass(frozen=True)
class Guide:
    id: str
    title: str  # a text key
    chapters: tuple[Chapter, ...]


def load_guides(path: Path) -> dict[str, Guide]:
    """The guides in the file's order, by id (none if the file is missing)."""
    if not path.is_file():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    guides = [
        Guide(
            str(g["id"]),
            str(g["title"]),
            tuple(Chapter(str(c["id"]), str(c["title"]), str(c["text"])) for c in g["chapters"]),
        )
        for g in raw.get("guides", [])
    ]
    return {guide.id: guide for guide in guides}


def init_app(app: Flask) -> None:
    app.extensions["guides"] = load_guides(Path(app.config["MESSAGES_DIR"]) / "guides.yaml")


def guides() -> dict[str, Guide]:
    found: dict[str, Guide] = current_app.extensions["guides"]
    return found
