"""In a real browser on a phone's screen (390 px): a coder ticks themes for a comment on the
comments page and saves them, comes back to the same comment with the ticks kept, and reads
the agreement with a second coder; the consultation's own pages fit the screen too."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select
from test_admin_consultations import _with_comments

from gateway.consultations.coding import code_comment
from gateway.consultations.models import Comment, Theme
from gateway.extensions import db

from .conftest import Live, login, shot

PHONE = {"width": 390, "height": 844}


def _fits(page: Any, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} scrolls sideways: {width} px wide"


def test_a_coder_codes_a_comment_on_a_phone_and_reads_the_agreement(
    live: Live, browser: Any, make_user: Any
) -> None:
    made = _with_comments(live.app)
    cid = made["id"]
    mui, kyuso, kwale = made["comments"][:3]
    other = make_user("admin", email="otieno@hmk.example", name="Otieno")
    make_user("admin", email="amina@hmk.example", name="Amina")
    with live.app.app_context():
        water = Theme(consultation_id=cid, name="water", description="Rivers and wells")
        money = Theme(consultation_id=cid, name="compensation")
        db.session.add_all([water, money])
        db.session.flush()
        water_id, money_id = water.id, money.id
        # The second coder has coded already: water on mui and kwale, compensation on kwale.
        for comment, themes in ((mui, [water_id]), (kyuso, []), (kwale, [water_id, money_id])):
            code_comment(db.session.get(Comment, comment), other, themes)
        db.session.commit()

    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        login(page, live, "amina@hmk.example")
        for path in (f"/admin/consultations/{cid}", f"/admin/consultations/{cid}/edit"):
            page.goto(live.url + path)
            _fits(page, path)
        page.goto(f"{live.url}/admin/consultations/{cid}/comments")
        _fits(page, "the comments page")
        assert page.locator(f"#comment-{mui} .phone").text_content() == "+2547••••••01"
        for comment, theme in ((mui, water_id), (kyuso, water_id), (kwale, money_id)):
            card = page.locator(f"#comment-{comment}")
            card.locator(f"input[name=theme][value='{theme}']").check()
            card.locator("button:text('Save the themes')").click()
            page.wait_for_url(f"**/comments#comment-{comment}")
            assert page.locator(f"#comment-{comment} .badge:text('coded')").is_visible()
            kept = page.locator(f"#comment-{comment} input[name=theme][value='{theme}']")
            assert kept.is_checked()
        _fits(page, "the comments page, coded")
        shot(page, "390-consultation-coding")

        page.goto(f"{live.url}/admin/consultations/{cid}/agreement")
        page.select_option("select[name=a]", label="Amina (amina@hmk.example)")
        page.select_option("select[name=b]", label="Otieno (otieno@hmk.example)")
        page.click("#choose-coders button")
        expect(page.locator("#both-coded")).to_have_text("3 comments coded by both.")
        # Water over (mui, kyuso, kwale): (Y,Y), (Y,N), (N,Y): kappa -0.5 (worked by hand in
        # test_admin_consultations); compensation: (N,N), (N,N), (Y,Y): 1.
        assert page.locator(f"#kappa-{water_id} .kappa").text_content() == "-0.50"
        assert page.locator(f"#kappa-{money_id} .kappa").text_content() == "1.00"
        _fits(page, "the agreement page")
        shot(page, "390-consultation-agreement")
        assert errors == []
    finally:
        context.close()
    with live.app.app_context():
        coded = db.session.scalars(select(Theme.name).order_by(Theme.name)).all()
        db.session.remove()
    assert coded == ["compensation", "water"]
