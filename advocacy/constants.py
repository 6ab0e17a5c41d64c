"""Every choice the app stores or compares, named once (str enums: they compare equal to, and
are stored as, their plain string values, so the database holds the same text as before)."""

from __future__ import annotations

from enum import StrEnum


class CampaignStatus(StrEnum):
    DRAFT = "draft"  # organizers only
    LIVE = "live"
    CLOSED = "closed"  # supporters see that it has ended


class TargetMode(StrEnum):
    """Whom supporters see: the provider's officials, the campaign's custom targets, or both."""

    PROVIDER = "provider"
    DIRECTORY = "directory"
    BOTH = "both"


class EditingMode(StrEnum):
    """What supporters may change in a letter: anything, or only its editable blocks."""

    FREE = "free"
    BLOCKS = "blocks"


class ContactMethod(StrEnum):
    """How a supporter contacted an office."""

    MAILTO = "mailto"  # from their own email program
    WEB_FORM = "web_form"
    PHONE = "phone"
    EMAIL = "email"  # sent by the app, after they confirmed their address


class DeliveryStatus(StrEnum):
    """Where a letter the app sends by email stands."""

    UNCONFIRMED = "unconfirmed"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"
    HELD = "held"  # over the per-official cap: an organizer releases or declines it


class PostcodeShown(StrEnum):
    """How much of their postal code a supporter signs with."""

    FULL = "full"
    PREFIX = "prefix"


# -- the statement (issue 10) ---------------------------------------------------------------------


class SignatureDisplay(StrEnum):
    """How a signer appears in the public list, if they chose to be listed."""

    NAME = "name"
    INITIALS = "initials"  # initials and city: "J. D., Toronto"
    ANONYMOUS = "anonymous"  # only where the organizer allows it; never listed


class Position(StrEnum):
    """An official's position on a campaign's ask, as reported or recorded."""

    SUPPORTS = "supports"
    OPPOSES = "opposes"
    NON_COMMITTAL = "non_committal"
    NO_REPLY = "no_reply"  # no answer after some weeks


class ExcerptStatus(StrEnum):
    """Where a reply's excerpt stands: nothing is public before an organizer approves it."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
