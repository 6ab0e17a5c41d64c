"""/embed/<slug>: the supporter's path in a compact page made for a partner's iframe.

Inside a cross-site iframe the browser does not send the app's session cookie (SameSite=Lax),
so nothing here uses the session, and no cookie is set: each form carries what the next step
needs, signed (advocacy/handoffs.py): the lookup (postal code, districts, a random id for the
browser) and, in place of the session-bound CSRF token, a form token saying the form was served
here not long ago. The rules that tell people from robots are the pages' own: the same rate
limits, honeypot, minimum fill time and signed proof (supporting.py). ``frame-ancestors`` lists
the campaign's partner origins (none: nobody may frame it). No script, no third-party request.
"""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from .. import actions, civic, handoffs, letters, partners, supporting, tallies
from ..constants import EditingMode
from ..db import database
from ..extensions import csrf, html_lang, limiter, supporter_path
from ..models import Campaign
from ..supporting import ConfirmationInvalid, Resolved
from .errors import try_again
from .forms import ConfirmSentForm, LetterForm, PostcodeForm
from .public import address_message, not_found_message, postcode_message
from .security import content_security_policy

bp = Blueprint("embed", __name__, url_prefix="/embed")
csrf.exempt(bp)  # the session-bound CSRF token cannot work here: see the form token

NO_CSRF = {"csrf": False}
SOURCE_ENDPOINTS = {
    "embed.campaign",
    "embed.lookup",
    "embed.write",
    "embed.review",
    "embed.sent",
    "embed.thanks",
}


# The pages' rate limits, with their counters: Flask-Limiter keeps a page's limit under its
# endpoint's name, and a limit shared under that name counts both (tests/test_embed.py).
PAGE_LOOKUP = "public.lookup"
PAGE_SEND = "public.sent"


class FormExpired(Exception):
    """A form without a valid form token (forged, from elsewhere, or older than a day)."""


@bp.before_request
def _read_source() -> None:
    g.source = actions.clean_source(request.args.get("source", ""))
    g.embed_ancestors = "'none'"


@bp.url_defaults
def _keep_source(endpoint: str, values: dict) -> None:
    source = g.get("source")
    if source and endpoint in SOURCE_ENDPOINTS and "source" not in values:
        values["source"] = source


@bp.after_request
def _frame_ancestors(response):
    # Set before the app's security headers (which only fill in what is missing).
    response.headers["Content-Security-Policy"] = content_security_policy(
        g.get("embed_ancestors", "'none'")
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _campaign(slug: str) -> Campaign:
    campaign = supporter_path().campaign(slug)
    g.embed_ancestors = partners.frame_ancestors(partners.origins(database(), campaign.id))
    return campaign


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _today() -> str:
    return format_date(date.today(), format="long")


def _check_form(campaign: Campaign) -> None:
    if not handoffs.form_token_valid(_secret(), request.form.get("form_token"), campaign.slug):
        raise FormExpired()


def _lookup(campaign: Campaign) -> handoffs.LookupHandoff:
    try:
        return handoffs.read_lookup(_secret(), request.form.get("lookup"), campaign.slug)
    except handoffs.HandoffInvalid:
        raise supporting.PostcodeNeeded(campaign.slug) from None


def _render(template: str, campaign: Campaign, status: int = 200, **context):
    return render_template(
        template,
        campaign=campaign,
        form_token=handoffs.form_token(_secret(), campaign.slug),
        **context,
    ), status


# -- pages ------------------------------------------------------------------------------------


@bp.get("/<slug>", strict_slashes=False)
def campaign(slug: str):
    found = _campaign(slug)
    return _render("embed/campaign.html", found, form=PostcodeForm(meta=NO_CSRF))


def _limit(name: str):
    return lambda: current_app.config[name]


@bp.post("/<slug>/lookup")
@limiter.shared_limit(_limit("LOOKUP_RATE_LIMIT"), scope=PAGE_LOOKUP)
def lookup(slug: str):
    found = _campaign(slug)
    _check_form(found)
    form = PostcodeForm(meta=NO_CSRF)
    if not form.validate():
        return _render("embed/campaign.html", found, 422, form=form)
    address = (form.address.data or "").strip()
    try:
        looked, result = supporter_path().look_up(found, form.postcode.data, address)
    except civic.InvalidPostcode:
        form.postcode.errors.append(postcode_message(found))
        return _render("embed/campaign.html", found, 422, form=form)
    except civic.PostcodeNotFound as exc:
        form.postcode.errors.append(not_found_message(exc))
        return _render("embed/campaign.html", found, 404, form=form)
    except civic.AddressNotFound as exc:
        form.address.errors.append(address_message(exc, address))
        return _render("embed/campaign.html", found, 422, form=form)
    return _render(
        "embed/officials.html",
        found,
        result=result,
        groups=supporter_path().choices(found, result),
        lookup=handoffs.lookup_token(_secret(), looked),
    )


def _resolve(campaign: Campaign, key: str, handoff: handoffs.LookupHandoff, version_id=None):
    return supporter_path().resolve(
        campaign,
        handoff.looked.postcode,
        key,
        version_id,
        html_lang(),
        handoff.looked.districts,
    )


def _letter_page(
    resolved: Resolved, form: LetterForm, locked, lookup: str, status: int = 200, notice=None
):
    return _render(
        "embed/letter.html",
        resolved.campaign,
        status,
        official=resolved.official,
        form=form,
        locked=locked,
        lookup=lookup,
        notice=notice,
    )


@bp.post("/<slug>/write/<key>")
def write(slug: str, key: str):
    found = _campaign(slug)
    _check_form(found)
    handoff = _lookup(found)
    resolved = _resolve(found, key, handoff)
    letter = supporter_path().letter(resolved, _today())
    blocks = resolved.version is not None and resolved.version.letter.editing == EditingMode.BLOCKS
    form = LetterForm(
        formdata=None,
        meta=NO_CSRF,
        data={
            "subject": letter.subject,
            "body": letter.body,
            "blocks": [part.text for part in letter.blocks] if blocks else [],
            "postcode": resolved.postcode,
            "token": actions.new_token(),
            "template_id": resolved.version.id if resolved.version else None,
            "started": supporter_path().stamp(),
        },
    )
    return _letter_page(resolved, form, letter if blocks else None, request.form["lookup"])


def _lock(resolved: Resolved, form: LetterForm):
    """As on the pages: a "blocks" letter's subject and locked text come from the server."""
    locked = supporter_path().locked(resolved, _today(), form.name.data or "", form.city.data or "")
    if locked is None:
        return None
    defaults = locked.blocks
    while len(form.blocks) > len(defaults):
        form.blocks.pop_entry()
    while len(form.blocks) < len(defaults):
        form.blocks.append_entry(defaults[len(form.blocks)].text)
    form.subject.data = locked.subject
    form.body.data = letters.assemble(locked, [entry.data or "" for entry in form.blocks])
    return locked


@bp.post("/<slug>/review/<key>")
def review(slug: str, key: str):
    found = _campaign(slug)
    _check_form(found)
    handoff = _lookup(found)
    form = LetterForm(meta=NO_CSRF)
    resolved = _resolve(found, key, handoff, form.template_id.data)
    form.postcode.data = resolved.postcode
    locked = _lock(resolved, form)
    lookup = request.form["lookup"]
    valid = form.validate()
    notice = None
    if valid and (form.website.data or supporter_path().too_fast(form.started.data)):
        notice = _("Please read your letter over once more, then press “Continue to send”.")
        form.started.data = supporter_path().stamp()
        valid = False
    if not valid:
        return _letter_page(resolved, form, locked, lookup, 422, notice)
    composed = supporter_path().compose(
        resolved,
        _today(),
        subject=form.subject.data,
        body=form.body.data,
        blocks=[entry.data or "" for entry in form.blocks] if locked else None,
        name=form.name.data or "",
        city=form.city.data or "",
        show_postcode=form.show_postcode.data,
        token=form.token.data,
        started=form.started.data or "",
    )
    confirm = ConfirmSentForm(
        formdata=None,
        meta=NO_CSRF,
        data={
            "postcode": resolved.postcode,
            "token": form.token.data,
            "template_id": resolved.version.id if resolved.version else None,
            "proof": composed.proof,
        },
    )
    return _render(
        "embed/send.html",
        found,
        official=resolved.official,
        **composed.page(),
        form=confirm,
        lookup=lookup,
    )


@bp.post("/<slug>/sent/<key>")
@limiter.shared_limit(_limit("SEND_RATE_LIMIT"), scope=PAGE_SEND)
def sent(slug: str, key: str):
    found = _campaign(slug)
    _check_form(found)
    handoff = _lookup(found)
    form = ConfirmSentForm(meta=NO_CSRF)
    if not form.validate():
        raise ConfirmationInvalid("incomplete confirmation")
    resolved = _resolve(found, key, handoff, form.template_id.data)
    proof = supporter_path().check_proof(
        resolved, form.proof.data, form.token.data, form.template_id.data
    )
    if form.website.data:
        raise ConfirmationInvalid("honeypot filled in")
    try:
        supporter_path().record(resolved, proof, handoff.browser, g.source)
    except actions.InvalidToken:
        raise ConfirmationInvalid("malformed token") from None
    return redirect(url_for(".thanks", slug=found.slug), code=303)


@bp.get("/<slug>/thanks")
def thanks(slug: str):
    found = _campaign(slug)
    return _render("embed/thanks.html", found, total=tallies.total(database(), found.id))


# -- errors, as compact pages the iframe may show ---------------------------------------------


def _error(status: int, title: str, message: str, slug: str | None = None):
    page = render_template(
        "embed/error.html", status=status, title=title, message=message, slug=slug
    )
    return page, status


@bp.errorhandler(FormExpired)
def _expired(_exc: FormExpired):
    slug = (request.view_args or {}).get("slug")
    return _error(
        400,
        _("This form has expired"),
        _("Please start again: enter your postal code once more."),
        slug,
    )


@bp.errorhandler(supporting.PathError)
def _path_error(exc: supporting.PathError):
    slug = (request.view_args or {}).get("slug")
    if isinstance(exc, supporting.PostcodeNeeded):
        return _error(400, _("Please enter your postal code first"), "", slug)
    if isinstance(exc, supporting.CampaignEnded):
        return _error(410, _("This campaign has ended"), _("Thank you to everyone who wrote."))
    if isinstance(exc, supporting.CampaignNotFound):
        return _error(404, _("Page not found"), _("There is no open campaign at this address."))
    if isinstance(exc, supporting.ConfirmationInvalid):
        return _error(
            400,
            _("Something is wrong with this request"),
            _("This confirmation is not valid. Please write your letter again."),
            slug,
        )
    current_app.logger.info("%s: %s", type(exc).__name__, exc)
    return _error(404, _("Page not found"), _("This letter is not available."), slug)


@bp.errorhandler(civic.CivicError)
def _civic_error(exc: civic.CivicError):
    slug = (request.view_args or {}).get("slug")
    if isinstance(exc, civic.UpstreamUnavailable):
        return _error(
            503,
            _("We cannot look up officials right now"),
            try_again(exc.retry_after),
            slug,
        )
    return _error(400, _("Please check your postal code"), "", slug)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    if exc.code == 429:
        return _error(429, _("Too many requests"), _("Please try again in a minute."))
    if exc.code == 404:
        return _error(404, _("Page not found"), _("There is nothing at this address."))
    return _error(exc.code or 400, exc.name, "")
