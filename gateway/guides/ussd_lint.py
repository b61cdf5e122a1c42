"""How ``flask messages lint`` draws the Learn screens: once for every chapter of every guide."""

from __future__ import annotations

from gateway.guides.content import guides
from gateway.ussd.flow import Node


def chapter_variants(node: Node) -> list[dict[str, str]] | None:
    """The session values of every chapter, for a Learn screen; None for any other screen."""
    if node.source == "chapters" or node.content == "excerpt" or node.view == "guide":
        return [
            {"guide": guide.id, "chapter": chapter.id}
            for guide in guides().values()
            for chapter in guide.chapters
        ]
    return None
