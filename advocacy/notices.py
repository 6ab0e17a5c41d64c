"""Emails to supporters. Their texts are templates (advocacy/templates/email/); views and
commands call these functions and never compose mail themselves."""

from __future__ import annotations

from email.message import EmailMessage

from flask import render_template
from flask_babel import gettext as _

from . import mail
from .delivery import Sender


def confirmation(
    sender: Sender, to: str, official_name: str, link: str, hours: int, reply_link: str = ""
) -> EmailMessage:
    """The email asking a supporter to confirm the letter the app is to send for them (with,
    for later, the link to report the official's answer: issue 10)."""
    return mail.build_plain_message(
        to=to,
        subject=_("Confirm your letter to %(name)s", name=official_name),
        body=render_template(
            "email/confirm_letter.txt",
            official_name=official_name,
            link=link,
            hours=hours,
            reply_link=reply_link,
        ),
        from_address=sender.from_address,
        from_name=sender.from_name,
        domain=sender.domain,
    )


# -- the statement (issue 10) ---------------------------------------------------------------------


def signature_confirmation(
    sender: Sender, to: str, campaign_title: str, link: str, hours: int, my_data: str = ""
) -> EmailMessage:
    """The email asking a signer to confirm the address they gave for the campaign's news."""
    return mail.build_plain_message(
        to=to,
        subject=_("Confirm your email address: %(title)s", title=campaign_title),
        body=render_template(
            "email/confirm_signature.txt",
            campaign_title=campaign_title,
            link=link,
            hours=hours,
            my_data=my_data,
        ),
        from_address=sender.from_address,
        from_name=sender.from_name,
        domain=sender.domain,
    )


def office_report(sender: Sender, to: str, report) -> EmailMessage:
    """An office's report (advocacy/reports.py), as an organizer sends it to the office."""
    return mail.build_plain_message(
        to=to,
        subject=_(
            "%(title)s: your constituents in %(district)s",
            title=report.campaign.title,
            district=report.office.district,
        ),
        body=render_template("email/office_report.txt", report=report),
        from_address=sender.from_address,
        from_name=sender.from_name,
        domain=sender.domain,
    )


def my_data_link(sender: Sender, to: str, link: str, hours: int) -> EmailMessage:
    """The link to the page where a supporter sees and deletes what is held with this address."""
    return mail.build_plain_message(
        to=to,
        subject=_("Your data"),
        body=render_template("email/my_data_link.txt", link=link, hours=hours),
        from_address=sender.from_address,
        from_name=sender.from_name,
        domain=sender.domain,
    )
