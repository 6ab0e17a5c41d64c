"""Errors as pages, in one place: never a bare 500 for anything a supporter can cause."""

from __future__ import annotations

import math

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from .. import civic, supporting
from ..civic.budget import UpstreamBusy
from . import public


def _path_pages() -> dict[type, tuple[int, str, str]]:
    """Status, title and message for each error of the supporter's path."""
    return {
        supporting.CampaignNotFound: (
            404,
            _("Page not found"),
            _("There is no open campaign at this address."),
        ),
        supporting.CampaignEnded: (
            410,
            _("This campaign has ended"),
            _("This campaign has ended. Thank you to everyone who wrote."),
        ),
        supporting.OfficialNotFound: (
            404,
            _("Page not found"),
            _("This official is not one this campaign writes to for your postal code."),
        ),
        supporting.NoLetter: (
            404,
            _("Page not found"),
            _("This campaign has no letter for this official yet."),
        ),
        supporting.LetterUnavailable: (
            503,
            _("This letter cannot be prepared right now"),
            _("This letter cannot be prepared right now. Please try again later."),
        ),
        supporting.ConfirmationInvalid: (
            400,
            _("Something is wrong with this request"),
            _(
                "This confirmation is not valid. Please write your letter "
                "again from the list of your officials."
            ),
        ),
        supporting.DeliveryLetterInvalid: (
            400,
            _("Something is wrong with this request"),
            _("This letter could not be read. Please go back to your letter and continue again."),
        ),
    }


def _page(status: int, title: str, message: str, headers: dict[str, str] | None = None):
    return (
        render_template("error.html", status=status, title=title, message=message),
        status,
        headers or {},
    )


def try_again(wait: float | None) -> str:
    """When to try again, in words: seconds, minutes, or "in a minute" when unknown."""
    if not wait:
        return _("Please try again in a minute.")
    wait = max(1, math.ceil(wait))
    if wait < 120:
        return _("Please try again in %(seconds)s seconds.", seconds=wait)
    return _("Please try again in %(minutes)s minutes.", minutes=math.ceil(wait / 60))


def register(app: Flask) -> None:
    @app.errorhandler(civic.UpstreamUnavailable)
    def upstream_unavailable(exc: civic.UpstreamUnavailable):
        app.logger.warning("upstream unavailable: %s", exc.reason)
        headers = {}
        if exc.retry_after:
            headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
        if isinstance(exc, UpstreamBusy):
            title = _("Many people are writing right now")
            message = _(
                "To stay within what the service that lists officials allows, we pace our "
                "requests to it, and this minute's share is used up. Nothing you entered was "
                "recorded."
            )
        else:
            title = _("We cannot look up officials right now")
            message = _(
                "The service that tells us who represents each postal code is not "
                "answering. Nothing you entered was recorded."
            )
        return _page(503, title, message + " " + try_again(exc.retry_after), headers)

    @app.errorhandler(OperationalError)
    def database_busy(exc: OperationalError):
        # SQLite waited SQLITE_BUSY_TIMEOUT for another writer's lock (retrying all the
        # while) and gave up: the transaction was rolled back, so the supporter may safely
        # submit the same form again (its token keeps it counted once). Anything else is a
        # real fault, for the 500 page.
        if "database is locked" not in str(exc.orig):
            raise exc
        app.logger.warning("database locked for %s %s", request.method, request.path)
        return _page(
            503,
            _("We are very busy right now"),
            _(
                "Too many people are writing at this moment and we could not save your "
                "action. Nothing was recorded. Please try again in a few seconds: press the "
                "button again."
            ),
            {"Retry-After": "5"},
        )

    # -- issue 11: district maps and members of another Congress ---------------------------
    @app.errorhandler(civic.CongressMismatch)
    def congress_mismatch(_exc: civic.CongressMismatch):
        # The provider logged the two Congress numbers; the page names nobody rather than
        # the member of a district on the wrong map.
        return _page(
            503,
            _("We cannot name your member of Congress right now"),
            _(
                "The district map we were given and the members of Congress we know of are not "
                "of the same Congress. This happens around an election, until the new Congress "
                "is sworn in and our list of members is brought up to date. Rather than name "
                "the wrong person, we name nobody. Nothing you entered was recorded. Please "
                "try again in a few days."
            ),
        )

    @app.errorhandler(civic.InvalidPostcode)
    def invalid_postcode(_exc: civic.InvalidPostcode):
        return _page(
            400,
            _("That postal code is not valid"),
            _("Please go back and enter your postal code again."),
        )

    @app.errorhandler(civic.PostcodeNotFound)
    def postcode_not_found(exc: civic.PostcodeNotFound):
        if isinstance(exc, civic.PostcodeTerminated):
            message = public.not_found_message(exc)
        else:
            message = _("We could not find the postal code %(code)s.", code=exc.postcode)
        return _page(404, _("Postal code not found"), message)

    @app.errorhandler(supporting.PathError)
    def path_error(exc: supporting.PathError):
        if isinstance(exc, supporting.PostcodeNeeded):
            if exc.address:
                flash(_("Please enter your ZIP code and street address again."))
            else:
                flash(_("Please enter your postal code first."))
            return redirect(url_for("public.campaign", slug=exc.slug))
        if isinstance(exc, supporting.LetterUnavailable):
            app.logger.error("letter cannot be rendered: %s", exc)
        else:  # the messages name the rule, never what the supporter typed
            app.logger.info("%s: %s", type(exc).__name__, exc)
        status, title, message = _path_pages().get(
            type(exc), (400, _("Something is wrong with this request"), "")
        )
        return _page(status, title, message)

    @app.errorhandler(CSRFError)
    def csrf_error(_exc: CSRFError):
        if request.endpoint == "public.review" and request.view_args:
            try:
                return public.letter_after_expired_form(**request.view_args)
            except (supporting.PathError, civic.CivicError, HTTPException):
                pass  # nothing to give back: the plain "expired" page below
        return _page(
            400,
            _("This form has expired"),
            _(
                "For your safety we could not accept this form, usually because the "
                "browser was closed or cookies are blocked. Please go back, reload the "
                "page and try again; copy your letter first if you have edited it."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        titles = {
            400: _("Something is wrong with this request"),
            404: _("Page not found"),
            405: _("This page cannot be used that way"),
            410: _("This campaign has ended"),
            413: _("That is too much text"),
        }
        if exc.code == 413:
            message = _("What you sent is too long. Please shorten your letter and try again.")
        elif exc.code == 404 and exc.description == exc.__class__.description:
            message = _("There is nothing at this address.")
        else:
            message = exc.description or ""
        return _page(exc.code or 500, titles.get(exc.code, exc.name), message)

    @app.errorhandler(500)
    def server_error(_exc):
        try:
            return _page(
                500,
                _("Something went wrong on our side"),
                _("Nothing you entered was recorded. Please try again in a moment."),
            )
        except Exception:  # the page itself failed: answer without templates
            app.logger.exception("error page failed")
            return "<!doctype html><title>Error</title><h1>Something went wrong</h1>", 500

    @app.after_request
    def no_store_for_personal_pages(response):
        # Pages showing a supporter's officials or letter must not sit in shared caches.
        if (
            request.endpoint
            and request.endpoint.startswith("public.")
            and request.endpoint not in {"public.index", "public.campaign"}
        ):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
