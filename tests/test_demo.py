"""The demo content `make run` loads."""

from sqlalchemy import func, select

from gateway.extensions import db
from gateway.meetings.models import Meeting
from gateway.polls.models import Poll


def test_demo_content_loads_once_and_gives_every_menu_something(runner, app, phone):
    """Does `flask demo load` add contacts, inbox messages, meetings and a poll, and change
    nothing the second time; and does the USSD menu then list them."""
    first = runner.invoke(args=["demo", "load"])
    again = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0 and "rows added" in first.output
    assert again.output.strip() == "demo content: already loaded"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Meeting)) == 2
        assert db.session.scalar(select(func.count()).select_from(Poll)) == 1
    phone.dial()
    phone.choose("English")
    assert "National dialogue on mining" in phone.choose("Meetings")
    phone.press("00")
    assert "Should the county publish" in phone.choose("Polls")
