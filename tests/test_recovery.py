"""Work is never lost: a Redis outage, a missing job or a killed send is recovered from."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from rq import SimpleWorker
from sqlalchemy import select

from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.recovery import LOCK, recover_stranded
from gateway.sms.inbound import handle_inbound_sms
from gateway.sms.models import Message
from gateway.sms.outbound import _claim, send_messages

NUMBER = "+254712345678"


def contact(app) -> Contact | None:
    with app.app_context():
        found = db.session.scalar(select(Contact).where(Contact.phone == NUMBER))
        if found is not None:
            db.session.expunge(found)
        return found


def messages(app, direction: str) -> list[Message]:
    with app.app_context():
        rows = db.session.scalars(
            select(Message).where(Message.direction == direction).order_by(Message.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def sweep(workers, redis) -> None:
    """Run the periodic recovery job through a real worker, as the cron scheduler would."""
    redis.delete(LOCK)
    workers.queue("default").enqueue(recover_stranded)
    workers.drain()


def test_a_stop_sent_while_redis_was_away_is_honoured_on_the_retry(
    make_app, app, at, workers, emulator
):
    """If Redis is down when a STOP arrives, the callback still gets its 200 and nothing is
    lost: Africa's Talking's retry of the same id gets the STOP handled."""
    down = make_app(redis_url="redis://127.0.0.1:1/0")
    from conftest import AfricasTalking

    first = AfricasTalking(down.test_client()).sms(NUMBER, "STOP", message_id="ATXid_stop")
    assert first.status_code == 200 and first.get_data(as_text=True) == "received"
    assert contact(app) is None  # stored, but not yet acted on
    retry = at.sms(NUMBER, "STOP", message_id="ATXid_stop")
    assert retry.get_data(as_text=True).startswith("duplicate")
    workers.drain()
    stopped = contact(app)
    assert stopped is not None and stopped.opted_out_at is not None
    assert [m["text"] for m in emulator.messages()] == [
        app.extensions["catalogs"].text("sms.stop", "en")
    ]


def test_the_sweep_enqueues_work_whose_job_went_missing(make_app, app, workers, redis, emulator):
    """A JOIN stored while Redis was away is handled by the next recovery sweep, and its
    welcome SMS sent, once."""
    down = make_app(redis_url="redis://127.0.0.1:1/0")
    from conftest import AfricasTalking

    AfricasTalking(down.test_client()).sms(NUMBER, "JOIN")
    sweep(workers, redis)
    assert contact(app) is None  # younger than a minute: its job may still be on the way
    with time_machine.travel(utcnow() + timedelta(minutes=2)):
        sweep(workers, redis)
        sweep(workers, redis)
    joined = contact(app)
    assert joined is not None and joined.has_consent
    assert len(emulator.messages()) == 1


def test_a_send_killed_midway_is_marked_unknown_and_never_resent(app, at, workers, redis, emulator):
    """A message whose worker died inside the send call may have reached Africa's Talking: it
    is marked 'unknown' for the secretariat to see, and never sent again by itself."""
    at.sms(NUMBER, "HELP")
    with app.app_context():
        SimpleWorker([workers.queue("inbound")], connection=redis).work(burst=True)
    workers.queue("outbound").empty()  # the HELP answer's send job is lost ...
    [answer] = messages(app, "out")
    with app.app_context():
        assert [m.id for m in _claim([answer.id])] == [answer.id]  # ... mid-send
    with time_machine.travel(utcnow() + timedelta(minutes=11)):
        sweep(workers, redis)
        sweep(workers, redis)
    [answer] = messages(app, "out")
    assert (answer.status, answer.error) == ("unknown", "UnknownFate")
    assert emulator.messages() == []


def test_jobs_run_twice_do_their_work_once(app, at, workers, redis, emulator):
    """Running the same inbound and send jobs a second time sends nothing twice."""
    at.sms(NUMBER, "JOIN")
    workers.drain()
    [inbound] = messages(app, "in")
    [welcome] = messages(app, "out")
    workers.queue("inbound").enqueue(handle_inbound_sms, inbound.id)
    workers.queue("outbound").enqueue(send_messages, [welcome.id])
    workers.drain()
    assert len(emulator.requests()) == 1
    assert len(messages(app, "out")) == 1


def test_a_send_job_taken_by_a_worker_that_died_is_enqueued_again(
    app, at, workers, redis, emulator
):
    """A send job that a worker took from its queue and died with before starting it (RQ still
    calls it queued, in no queue) does not hold its message forever: the sweep enqueues it
    again, and the answer is sent once."""
    at.sms(NUMBER, "HELP")
    with app.app_context():
        SimpleWorker([workers.queue("inbound")], connection=redis).work(burst=True)
    outbound = workers.queue("outbound")
    assert redis.lpop(outbound.key) is not None  # a worker's BLPOP; then the worker is killed
    with time_machine.travel(utcnow() + timedelta(minutes=2)):
        sweep(workers, redis)
        sweep(workers, redis)
    [answer] = messages(app, "out")
    assert answer.status == "sent"
    assert len(emulator.messages()) == 1
