"""The Community Guides, readable online and printable: a contents page, then one chapter a
page, in the page's language (the catalogs' fallback where a text is missing), marked as sample
content while it is."""

from __future__ import annotations

from flask import abort, g, render_template

from gateway.guides.content import Chapter, Guide, guides
from gateway.i18n import catalogs
from gateway.public import route
from gateway.public.cache import cached


def guide_text(key: str) -> str:
    return catalogs().text(key, g.lang)


def _chapter(guide_id: str, chapter_id: str) -> tuple[Guide, Chapter, int]:
    guide = guides().get(guide_id)
    if guide is None:
        abort(404)
    for number, chapter in enumerate(guide.chapters, 1):
        if chapter.id == chapter_id:
            return guide, chapter, number
    abort(404)


@route("/guides/")
@cached()
def guides_index() -> str:
    return render_template("public/guides.html", guides=list(guides().values()), text=guide_text)


@route("/guides/<guide_id>/<chapter_id>")
@cached()
def chapter(guide_id: str, chapter_id: str) -> str:
    guide, found, number = _chapter(guide_id, chapter_id)
    before = guide.chapters[number - 2] if number > 1 else None
    after = guide.chapters[number] if number < len(guide.chapters) else None
    return render_template(
        "public/chapter.html",
        guide=guide,
        chapter=found,
        number=number,
        before=before,
        after=after,
        text=guide_text,
    )
