"""In a real browser, every page of the admin UI as one product: at a small laptop's size
(1024x640) nothing runs off the side, every field has a label, every table has headers, the
menu marks the page one is on, and the page's policy blocks nothing; in English and Kiswahili."""

from __future__ import annotations

from typing import Any

import pytest
from factories import joined_contact

from .conftest import Live, login

PAGES = (
    "/admin/",
    "/admin/contacts/",
    "/admin/contacts/import",
    "/admin/broadcasts",
    "/admin/broadcasts/new",
    "/admin/meetings",
    "/admin/meetings/new",
    "/admin/polls",
    "/admin/polls/new",
    "/admin/surveys",
    "/admin/surveys/new",
    "/admin/radio",
    "/admin/radio/new",
    "/admin/reports",
    "/admin/guides",
    "/admin/simulator",
    "/admin/users",
    "/admin/audit",
)

# What is wrong with the page, as the browser lays it out.
CHECKS = """() => {
  const problems = [];
  const fields = document.querySelectorAll(
    "input:not([type=hidden]), select, textarea");
  for (const field of fields) {
    if (!field.labels.length && !field.getAttribute("aria-label"))
      problems.push("no label: " + field.outerHTML.slice(0, 80));
  }
  for (const table of document.querySelectorAll("table")) {
    if (!table.querySelector("th")) problems.push("no headers: table#" + table.id);
  }
  if (document.querySelectorAll("h1").length !== 1) problems.push("not one h1");
  if (!document.querySelector("header nav a[aria-current=page]"))
    problems.push("the menu does not mark this page");
  const wide = document.documentElement.scrollWidth - window.innerWidth;
  if (wide > 0) problems.push("runs " + wide + "px off the side");
  return problems;
}"""


@pytest.mark.parametrize("language", ["en", "sw"])
def test_every_page_holds_together_on_a_small_laptop(
    live: Live, page: Any, make_user: Any, language: str
) -> None:
    """Does each page an admin opens fit 1024x640, label every field, head every table, mark
    itself in the menu, and run nothing the Content-Security-Policy refuses?"""
    joined_contact(live.app, "+254712000001", county="Kitui", ward="Mui")
    make_user("admin", email="officer@hmk.example", name="Officer", language=language)
    page.set_viewport_size({"width": 1024, "height": 640})
    page.goto(f"{live.url}/admin/login")
    assert page.evaluate(CHECKS) == ["the menu does not mark this page"]  # (it has none)
    login(page, live, "officer@hmk.example")
    found = {}
    for path in PAGES:
        response = page.goto(f"{live.url}{path}")
        assert response is not None and response.status == 200, path
        problems = page.evaluate(CHECKS)
        if problems:
            found[path] = problems
    assert found == {}
    assert page.console_errors == []
