"""Imports every area's models, so SQLAlchemy's mappers and Alembic see the whole schema.

The models themselves live with their areas (``gateway/<area>/models.py``).
"""

from gateway.api.models import ApiToken
from gateway.broadcasts.models import Broadcast
from gateway.commitments.models import (
    Commitment,
    DutyBearer,
    Escalation,
    FollowUpAnswer,
    FollowUpRound,
)
from gateway.consultations.models import (
    Clause,
    Coding,
    Comment,
    CommentTheme,
    Consultation,
    Position,
    Theme,
)
from gateway.contacts.models import ConsentEvent, Contact, ContactImport, ContactTag
from gateway.guides.models import GuideSubscription, TextOverride
from gateway.inbox.models import Conversation, InboxNote, SavedReply
from gateway.meetings.models import Meeting, Rsvp
from gateway.platforms.models import (
    Announcement,
    Attendance,
    MeetingCode,
    Membership,
    MiningSite,
    Platform,
)
from gateway.polls.models import Poll, PollOption, Vote
from gateway.radio.models import RadioMessage, RadioShow
from gateway.radio.questions import VoiceQuestion
from gateway.reports.cases import ReportEvent
from gateway.reports.models import Report
from gateway.sms.models import DeliveryReport, InboundReceipt, Message
from gateway.surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse
from gateway.users.models import AuditEvent, User
from gateway.ussd.models import UssdSessionEnd
from gateway.voice.models import AudioClip, CallBack, VoiceCall, VoicePrompt, VoiceRecording

__all__ = [
    "Commitment",
    "DutyBearer",
    "Escalation",
    "FollowUpAnswer",
    "FollowUpRound",
    "Clause",
    "Coding",
    "Comment",
    "CommentTheme",
    "Consultation",
    "Position",
    "Theme",
    "Announcement",
    "Attendance",
    "MeetingCode",
    "Membership",
    "MiningSite",
    "Platform",
    "ApiToken",
    "AudioClip",
    "CallBack",
    "AuditEvent",
    "Broadcast",
    "ConsentEvent",
    "Contact",
    "ContactImport",
    "ContactTag",
    "Conversation",
    "InboxNote",
    "SavedReply",
    "DeliveryReport",
    "GuideSubscription",
    "InboundReceipt",
    "Meeting",
    "Message",
    "Poll",
    "PollOption",
    "Report",
    "ReportEvent",
    "RadioMessage",
    "RadioShow",
    "Rsvp",
    "Survey",
    "SurveyAnswer",
    "SurveyQuestion",
    "SurveyResponse",
    "TextOverride",
    "User",
    "UssdSessionEnd",
    "VoiceCall",
    "VoicePrompt",
    "VoiceQuestion",
    "VoiceRecording",
    "Vote",
]
