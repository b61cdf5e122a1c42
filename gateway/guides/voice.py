"""The Community Guides on the voice line: each guide by its title, then its chapters read out
one by one (a chapter's recorded title and text, in the caller's language)."""

from __future__ import annotations

from gateway.guides.content import guides
from gateway.voice.engine import CallContext
from gateway.voice.registry import Item, source


@source("guides")
def guide_items(ctx: CallContext) -> list[Item]:
    return [Item(guide.id, (guide.title,)) for guide in guides().values()]


@source("guide_chapters")
def chapter_items(ctx: CallContext) -> list[Item]:
    guide = guides().get(str(ctx.data.get("guide")))
    if guide is None:
        return []
    return [Item(chapter.id, (chapter.title, chapter.text)) for chapter in guide.chapters]
