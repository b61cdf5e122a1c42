"""Where the gateway's areas plug in: the one module that imports every area.

The lower layers (``users``, ``contacts``, ``sms``, ``ussd``, ``voice``, ``api``) offer
registries and know no area; each section here fills one of them. Adding an area is its folder
plus lines here. ``tests/test_layers.py`` checks the direction of every import;
``docs/architecture.md`` draws the layers.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from gateway import messages_lint, spend
from gateway.admin import init_app as init_admin
from gateway.api import ApiBlueprint
from gateway.api import init_app as init_api
from gateway.commitments.followup import open_due_rounds
from gateway.consultations import lint as consultation_lint
from gateway.contacts import export as contact_export
from gateway.contacts import retention
from gateway.contacts.retention import remove_expired_text_job
from gateway.guides import content as guide_content
from gateway.guides.series import send_due_series
from gateway.meetings.announce import recover_meeting_jobs
from gateway.polls.notices import send_due_results
from gateway.public import init_app as init_public
from gateway.queues import DEFAULT
from gateway.radio import init_app as init_radio
from gateway.recovery import recover_stranded
from gateway.sms.router import Route
from gateway.sms.router import init_app as init_inbound
from gateway.users import init_app as init_users
from gateway.ussd import init_app as init_ussd
from gateway.ussd import lint as ussd_lint
from gateway.voice import init_app as init_voice
from gateway.voice.callbacks import recover_voice_work
from gateway.webhooks import init_app as init_webhooks


def init_app(app: Flask) -> None:
    """Assemble the areas into ``app`` (:func:`gateway.create_app` calls it once per app; the
    registries below are the process's, and filling them again changes nothing)."""
    personal_data()  # first: the API's export schema names every part when it is imported
    audiences()
    contact_import_columns()
    guide_content.init_app(app)
    ussd(app)
    init_inbound(app, inbound_routes())
    voice(app)
    init_webhooks(app)
    init_api(app, api_blueprints())
    init_radio(app)
    init_users(app)
    init_admin(app, ADMIN_PAGES)
    init_public(app)  # the public site: aggregates only, no session
    messages_lint.register_cli(
        app, checks=(ussd_lint.lint_app_flow, consultation_lint.lint_consultations)
    )


# --- Inbound SMS: who may take an incoming SMS, in order ------------------------------------


def inbound_routes() -> list[Route]:
    """Who may take an incoming SMS, top to bottom: the first that takes it has it, and what
    none takes goes to the inbox (:mod:`gateway.sms.inbound`)."""
    from gateway import privacy
    from gateway.commitments import sms as commitments
    from gateway.consultations import sms as consultations
    from gateway.guides import series
    from gateway.leaders import sms as leader_sms
    from gateway.meetings import rsvp_sms
    from gateway.platforms import sms as platforms
    from gateway.polls import sms as polls
    from gateway.polls.votes import register_vote_thanker
    from gateway.radio import call_in
    from gateway.sms import inbound
    from gateway.surveys import sms as surveys

    register_vote_thanker(call_in.thank_show_vote)  # a show's voters: thanked once an episode
    return [
        platforms.JOIN_PLATFORM,  # JOIN MUI: a platform's code after JOIN (JOIN alone: next)
        inbound.SYSTEM_KEYWORDS,  # STOP, JOIN, HELP: first, so they always work
        privacy.DELETION_REQUEST,  # FUTA/DELETE: a person's own data, before anything else
        leader_sms.LEADER_COMMANDS,  # TANGAZA, HUDHURIA, THIBITISHA, KATAA: leaders (else inbox)
        leader_sms.MEETING_CODE,  # MUI12: attendance; before a waiting survey takes it as answer
        polls.VOTE,  # MADINI 2, MADINI alone: a vote, even during a show or a survey
        call_in.CALL_IN,  # a show on air: its keyword ("MADINI the dust...") or short code
        consultations.KEYWORD,  # MAONI, MAONI 3, MAONI 3 NDIO, MAONI 3 <comment>, MAONI NUKUU
        surveys.KEYWORD,  # a survey's keyword: starts it, or resumes it with a question waiting
        surveys.ANSWER,  # the answer to the survey question asked last
        commitments.ANSWER,  # 1/2/3, YES/PARTLY/NO: the commitment follow-up asked last
        polls.KEYWORD,  # a poll's keyword with no option after it: told the options
        polls.BARE_NUMBER,  # a bare number: a vote in the poll whose question came last
        consultations.BARE,  # words after a consultation's clause (or list): about that clause
        rsvp_sms.RSVP,  # YES, NO: the meeting announced (two or more: which one?)
        series.NEXT,  # NEXT: the next excerpt of a guide series
    ]


# --- Voice: the voice flow's handlers, recorded prompts, and what calls cost ---------------


def voice(app: Flask) -> None:
    """Each area's ``voice`` module registers its handlers with :mod:`gateway.voice.registry`
    when imported; the engine is built from the registry afterwards. SMS and calls each add
    what they cost to the month's spend (:mod:`gateway.spend`)."""
    from gateway.broadcasts.estimate import committed
    from gateway.commitments import voice as _commitments  # noqa: F401
    from gateway.consultations import voice as _consultations  # noqa: F401
    from gateway.guides import voice as _guides  # noqa: F401
    from gateway.meetings import voice as _meetings  # noqa: F401
    from gateway.polls import voice as _polls  # noqa: F401
    from gateway.polls.beeps import beep_vote
    from gateway.radio import voice as _radio  # noqa: F401
    from gateway.reports import voice as _reports  # noqa: F401
    from gateway.sms.costs import sms_spent_since
    from gateway.sms.estimate import add_commitment
    from gateway.voice import handlers as _common  # noqa: F401
    from gateway.voice import staff as _staff  # noqa: F401  (answers staff: flows/voice_staff.yaml)
    from gateway.voice.beeps import register_beep_handler
    from gateway.voice.calls import voice_spent_since
    from gateway.voice.prompts import init_app as init_prompts

    register_beep_handler(beep_vote)  # a missed call to a poll option's number: a vote
    spend.add_source(app, "sms", sms_spent_since)
    spend.add_source(app, "voice", voice_spent_since)
    add_commitment(app, "broadcasts", committed)  # scheduled broadcasts: not yet spent
    init_prompts(app)  # the speaker of recorded prompts, before the engine that uses it
    init_voice(app)


# --- USSD: the areas' named conditions, sources, views and actions -------------------------


def ussd(app: Flask) -> None:
    """Each area's ``ussd`` module registers its handlers with :mod:`gateway.ussd.registry`
    when imported; the engine is built from the registry afterwards."""
    from gateway.commitments import ussd as _commitments  # noqa: F401
    from gateway.consultations import ussd as _consultations  # noqa: F401
    from gateway.guides import ussd as _guides  # noqa: F401
    from gateway.guides.ussd_lint import chapter_variants
    from gateway.leaders import ussd as _leaders  # noqa: F401  (the leader menu)
    from gateway.meetings import ussd as _meetings  # noqa: F401
    from gateway.platforms import ussd_join as _platforms_join  # noqa: F401
    from gateway.polls import ussd as _polls  # noqa: F401
    from gateway.reports import ussd as _reports  # noqa: F401
    from gateway.surveys import ussd as _surveys  # noqa: F401

    ussd_lint.add_variants(chapter_variants)
    init_ussd(app)


# --- Audiences: criteria areas add to a broadcast's audience ---------------------------------


def audiences() -> None:
    from gateway.broadcasts.audience import register_criterion
    from gateway.leaders.announce import PLATFORMS, members_condition

    register_criterion(PLATFORMS, members_condition)  # a platform's members (its leaders' news)


# --- API: the blueprints under /api/v1, in the order the OpenAPI document lists them --------


def api_blueprints() -> list[ApiBlueprint]:
    from gateway.api import contacts, messages, tokens, users
    from gateway.api.fields import register_keyword_owner
    from gateway.broadcasts import api as broadcasts
    from gateway.commitments import api as commitments
    from gateway.consultations.models import Consultation
    from gateway.guides import api as guides
    from gateway.meetings import api as meetings
    from gateway.platforms import api as platforms
    from gateway.polls import api as polls
    from gateway.polls.models import Poll
    from gateway.radio import api as radio
    from gateway.radio.hosts import hosts_of_poll
    from gateway.reports import api as reports
    from gateway.surveys import api as surveys
    from gateway.surveys.models import Survey

    # A keyword belongs to one poll or survey at most (searched in this order).
    register_keyword_owner("poll", Poll.id, Poll.keyword)
    register_keyword_owner("survey", Survey.id, Survey.keyword)
    register_keyword_owner("consultation", Consultation.id, Consultation.keyword)
    polls.register_poll_hosts(hosts_of_poll)  # a radio host reads the polls of their shows
    return [
        contacts.blp,
        messages.blp,
        broadcasts.blp,
        meetings.blp,
        platforms.blp,
        guides.blp,
        radio.blp,
        polls.blp,
        surveys.blp,
        reports.blp,
        commitments.cases_blp,
        commitments.bearers_blp,
        users.blp,
        users.audit_blp,
        tokens.blp,
    ]


# --- Admin: the page modules of gateway/admin/ (each adds its views when imported) ----------

ADMIN_PAGES = (
    "auth",
    "dashboard",
    "contacts",
    "contact_edit",
    "contact_add",
    "contact_imports",
    "broadcasts",
    "meetings",
    "meeting_people",
    "polls",
    "poll_edit",
    "surveys",
    "radio",
    "radio_studio",
    "reports",
    "report_cases",
    "commitments",
    "scorecard",
    "duty_bearers",
    "guides",
    "voice_questions",
    "inbox",
    "inbox_send",
    "saved_replies",
    "voice_prompts",
    "simulator",
    "users",
    "user_voice",
    "tokens",
    "audit",
    "account",
    "consultations",
    "consultation_invite",
    "consultation_comments",
    "consultation_codebook",
    "platform_announcements",
    "attendance",
    "consultation_memo",  # a consultation's memorandum, CSV export and "you said, we did"
    "platforms",
)


# --- Personal data: each area's part in a contact's export, deletion and retention ----------


def personal_data() -> None:
    """The export lists the parts in this order, and deletion erases them in it: the reports'
    part finds a person's anonymous reports by their USSD sessions, so it comes before the
    USSD part, which forgets those sessions' number."""
    from gateway import privacy
    from gateway.commitments import personal as commitments
    from gateway.consultations import personal as consultations
    from gateway.guides import personal as guides
    from gateway.inbox import personal as inbox
    from gateway.leaders import personal as platform_leaders
    from gateway.meetings import personal as meetings
    from gateway.platforms import personal as platforms
    from gateway.polls import personal as polls
    from gateway.radio import personal as radio
    from gateway.reports import personal as reports
    from gateway.sms import personal as sms
    from gateway.surveys import personal as surveys
    from gateway.ussd import personal as ussd
    from gateway.voice import personal as voice

    part = contact_export.register_export_part
    part("consent_events", contact_export.consent_events, None)
    part(contact_export.MESSAGES, sms.messages, sms.erase_messages)
    part("votes", polls.votes, None)
    part("survey_answers", surveys.answers, surveys.erase_own_words)
    part("rsvps", meetings.rsvps, None)
    part("consultation_positions", consultations.positions, None)
    part("consultation_comments", consultations.comments, consultations.erase_comments)

    part("meeting_attendance", platform_leaders.attendance, None)
    part(
        "platform_announcements",
        platform_leaders.announcements,
        platform_leaders.erase_announcements,
    )
    part("reports", reports.reports, reports.erase_words)
    part("commitment_answers", commitments.answers, None)  # counts, as votes: kept on deletion
    part("radio_messages", radio.radio_messages, None)
    part("voice_questions", radio.voice_questions, radio.erase_voice_questions)
    part("guide_subscriptions", guides.subscriptions, None)
    part("tags", contact_export.tags, None)
    part("ussd_sessions", ussd.session_ends, ussd.erase_sessions)
    part("voice_calls", voice.calls, voice.erase_voice)
    part("voice_callbacks", voice.callbacks, None)
    part("inbox", inbox.inbox, inbox.erase_inbox)
    part("platform_memberships", platforms.memberships, platforms.erase_memberships)

    retention.register_daily_sweep(privacy.sweep_deleted)
    retention.register_expiring_text("inbound_sms", sms.expire_inbound_texts)
    retention.register_expiring_text("delivery_reports", sms.expire_delivery_reports)
    retention.register_expiring_text("ussd_inputs", ussd.expire_inputs)
    retention.register_expiring_text("survey_texts", surveys.expire_texts)


# --- Contacts import: the areas' optional columns ------------------------------------------


def contact_import_columns() -> None:
    from gateway.contacts.import_rows import ImportColumn, register_import_column
    from gateway.platforms.service import join_by_code, platform_codes

    # ``platform``: a community platform's code (MUI); the contact joins it.
    register_import_column("platform", ImportColumn(platform_codes, "platform", join_by_code))


# --- Periodic jobs: (job, queue, every so many seconds) --------------------------------------
# ``worker.py`` has RQ's cron scheduler enqueue them on every worker machine; each takes its lock
# (gateway.queues.periodic), so each runs once however many machines enqueue it.

PERIODIC: tuple[tuple[Callable[[], dict[str, int]], str, int], ...] = (
    (recover_stranded, DEFAULT, 60),
    (send_due_series, DEFAULT, 300),
    (recover_meeting_jobs, DEFAULT, 60),
    (send_due_results, DEFAULT, 60),
    (remove_expired_text_job, DEFAULT, 24 * 3600),  # GATEWAY_RETENTION_DAYS
    (recover_voice_work, DEFAULT, 60),
    (open_due_rounds, DEFAULT, 300),  # commitment follow-ups: a round on each due date
)
