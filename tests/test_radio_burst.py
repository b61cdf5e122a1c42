"""A burst of listeners' votes during a show (the radio burst benchmark's traffic, small):
handled by one job while they keep coming, a group to a transaction, with the group's
thank-yous sent by one job."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from factories import joined_contact
from rq import SimpleWorker
from sqlalchemy import select

from gateway.contacts.models import Contact
from gateway.contacts.service import opt_out
from gateway.extensions import db
from gateway.polls.models import Poll, PollOption, Vote
from gateway.radio.models import RadioShow
from gateway.sms.inbound import handle_inbound_sms
from gateway.sms.models import Message
from gateway.sms.outbound import send_messages
from gateway.sms.wake import Lease

EAT = ZoneInfo("Africa/Nairobi")
THURSDAY = datetime(2026, 12, 3, 19, 10, tzinfo=EAT)  # on air: Thursdays 19:00-20:00 EAT
LISTENERS = [f"+2547110001{n:02d}" for n in range(6)]
OPTED_OUT = "+254711000199"


def on_air_poll(app) -> int:
    """A show on air on Thursday evenings with its open poll MADINI (three options)."""
    with app.app_context():
        poll = Poll(
            keyword="MADINI",
            question={"en": "Should the mine publish its EIA report?"},
            opens_at=THURSDAY - timedelta(hours=1),
            closes_at=THURSDAY + timedelta(hours=1),
            options=[PollOption(position=n, label={"en": f"Option {n}"}) for n in (1, 2, 3)],
        )
        db.session.add(poll)
        db.session.flush()
        db.session.add(
            RadioShow(
                station="Kitui Community Radio",
                name="Madini Ni Yetu",
                keywords=["MADINI"],
                schedule=[{"weekday": 3, "start": "19:00", "end": "20:00"}],
                poll_id=poll.id,
            )
        )
        db.session.commit()
        return poll.id


def test_a_burst_of_votes_is_thanked_once_per_listener_by_one_send_job(app, at, workers, emulator):
    """Do listeners who vote twice in a burst have their latest vote counted, one thank-you
    each (none for one who opted out), all sent by one job, which is safe to run again."""
    poll_id = on_air_poll(app)
    for phone in LISTENERS:
        joined_contact(app, phone)
    joined_contact(app, OPTED_OUT)
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.phone == OPTED_OUT))
        assert contact is not None
        opt_out(contact, channel="sms")
        db.session.commit()
    with time_machine.travel(THURSDAY, tick=False):
        for phone in [*LISTENERS, OPTED_OUT]:
            assert at.sms(phone, "MADINI 1").status_code == 200
        for phone in LISTENERS[:3]:
            assert at.sms(phone, "madini 3").status_code == 200
        with app.app_context():
            SimpleWorker([workers.queue("inbound")], connection=workers.redis).work(burst=True)
            sends = workers.queue("outbound").get_jobs()
            thanks = db.session.scalars(
                select(Message.id).where(Message.kind == "poll_thanks").order_by(Message.id)
            ).all()
        assert len(thanks) == len(LISTENERS) + 1  # one each, the opted-out listener's too
        assert [job.args[0] for job in sends] == [list(thanks)]
        workers.drain()
        with app.app_context():
            assert not any(send_messages(list(thanks)).values())  # again: nothing sent twice
            unsent = db.session.scalars(select(Message.phone).where(Message.status == "unsent"))
            assert list(unsent) == [OPTED_OUT]  # dropped when it was to go
    sent = [m["to"] for m in emulator.messages()]
    assert sorted(sent) == sorted(LISTENERS)
    assert votes(app, poll_id) == {
        phone: 3 if phone in LISTENERS[:3] else 1 for phone in LISTENERS
    } | {OPTED_OUT: 1}


def votes(app, poll_id: int) -> dict[str, int]:
    """Each voter's counted option (its position)."""
    with app.app_context():
        return dict(
            db.session.execute(
                select(Contact.phone, PollOption.position)
                .join(Vote, Vote.contact_id == Contact.id)
                .join(PollOption, PollOption.id == Vote.option_id)
                .where(Vote.poll_id == poll_id)
            ).all()
        )


def inbound_kinds(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Message.kind).where(Message.direction == "in").order_by(Message.id)
            )
        )


def test_sms_arriving_while_the_handling_job_works_are_left_to_it(app, at, workers):
    """Do SMS that arrive while a handling job is at work enqueue no job of their own, and does
    that job handle them all, even the ones committed before the SMS it began with (two web
    processes commit ids out of order); once it has ended, does the next SMS enqueue a job."""
    poll_id = on_air_poll(app)
    at_work = Lease("inbound-sms-at-work")
    with time_machine.travel(THURSDAY, tick=False):
        with app.app_context():
            at_work.renew()  # as a job at work does
        for n, phone in enumerate(LISTENERS):
            assert at.sms(phone, f"MADINI {n % 3 + 1}").status_code == 200
        assert workers.queue("inbound").count == 0
        with app.app_context():
            assert not at_work.give_back()  # SMS were noted meanwhile: the job goes on
            newest = max(db.session.scalars(select(Message.id).where(Message.direction == "in")))
        workers.queue("inbound").enqueue(handle_inbound_sms, newest)
        workers.drain()
        assert inbound_kinds(app) == ["poll_vote"] * len(LISTENERS)
        assert votes(app, poll_id) == {p: n % 3 + 1 for n, p in enumerate(LISTENERS)}
        with app.app_context():
            assert at_work.give_back()  # that job took the note; nothing waits now
        assert at.sms(OPTED_OUT, "MADINI 2").status_code == 200
        assert workers.queue("inbound").count == 1
        workers.drain()
    assert inbound_kinds(app)[-1] == "poll_vote"


def test_a_steady_stream_of_sms_is_handled_by_a_few_jobs_not_one_every_few_sms(app, at, workers):
    """While SMS keep arriving (about 40 a second), does one handling job go on taking them a
    group at a time, so a handful of jobs (not one for every SMS or two, each a forked process
    in production) handle them all, each once."""
    poll_id = on_air_poll(app)
    phones = [f"+2547110002{n:02d}" for n in range(80)]
    answers: list[int] = []

    def listeners() -> None:
        for n, phone in enumerate(phones):
            answers.append(at.sms(phone, f"MADINI {n % 3 + 1}").status_code)
            time.sleep(0.025)

    with time_machine.travel(THURSDAY, tick=False):
        calling = threading.Thread(target=listeners)
        calling.start()
        try:
            while calling.is_alive() or workers.queue("inbound").count:
                workers.drain()  # a real SimpleWorker: the job runs while SMS keep coming
                time.sleep(0.005)
        finally:
            calling.join()
        jobs = workers.queue("inbound").finished_job_registry.get_job_ids()  # at frozen time
    assert answers == [200] * len(phones)
    assert votes(app, poll_id) == {p: n % 3 + 1 for n, p in enumerate(phones)}
    assert 1 <= len(jobs) <= 8, f"{len(jobs)} handling jobs for {len(phones)} SMS"
    assert workers.failed() == []


def test_a_job_whose_time_is_up_hands_the_rest_to_a_fresh_one(app, at, workers, monkeypatch):
    """When a handling job's time is up with SMS still waiting, does a fresh job take the rest
    (each SMS handled once), and does the last one, finding none, end without another."""
    from gateway.sms import inbound

    poll_id = on_air_poll(app)
    monkeypatch.setattr(inbound, "DRAIN_S", 0.0)  # time is up after every group
    monkeypatch.setattr(inbound, "DRAIN_GROUP", 2)
    phones = LISTENERS[:5]
    with time_machine.travel(THURSDAY, tick=False):
        for n, phone in enumerate(phones):
            assert at.sms(phone, f"MADINI {n % 3 + 1}").status_code == 200
        assert workers.queue("inbound").count == 1
        workers.drain()
        jobs = workers.queue("inbound").finished_job_registry.get_job_ids()  # at frozen time
    assert inbound_kinds(app) == ["poll_vote"] * len(phones)
    assert votes(app, poll_id) == {p: n % 3 + 1 for n, p in enumerate(phones)}
    assert len(jobs) == 4  # groups of 2, 2 and 1, then a look that finds none
    assert workers.failed() == []
