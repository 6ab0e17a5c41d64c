"""The supporter's pages: campaign -> postal code -> officials -> letter -> send -> thanks.

Views parse the request, call the supporter's path (advocacy/supporting.py) and render; its
errors and the civic ones become pages in views/errors.py.
"""

from __future__ import annotations

import secrets
from datetime import date
from functools import lru_cache

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from .. import actions, campaign_contact, civic, letters, locales, memo, reports, tallies
from ..constants import EditingMode
from ..db import database
from ..extensions import html_lang, limiter, photos, providers, supporter_path
from ..models import Campaign
from ..supporting import Composed, ConfirmationInvalid, Looked, Resolved
from . import send_draft
from .forms import ConfirmSentForm, DeliverForm, LetterForm, PostcodeForm

bp = Blueprint("public", __name__)


# -- source attribution ----------------------------------------------------------------------
# A link like /c/<slug>/?source=newsletter-may is counted per source. The code travels in the
# URLs of the following pages and forms (url_defaults below), never in a cookie.

SOURCE_ENDPOINTS = {
    "public.campaign",
    "public.lookup",
    "public.officials",
    "public.write",
    "public.review",
    "public.send",  # issue 14: the send page, reached by a redirect after the letter form
    "public.sent",
    "public.thanks",
}


@bp.before_request
def _read_source() -> None:
    g.source = actions.clean_source(request.args.get("source", ""))


@bp.url_defaults
def _keep_source(endpoint: str, values: dict) -> None:
    source = g.get("source")
    if source and endpoint in SOURCE_ENDPOINTS and "source" not in values:
        values["source"] = source


# -- what the request says ------------------------------------------------------------------------


def campaign_or_error(slug: str) -> Campaign:
    """The campaign at ``slug`` for this visitor (organizers also see drafts), or the error
    the error pages turn into 404 or 410. Shared by every supporter view."""
    # Only a session with an organizer's id can be an organizer's (login sets no "remember
    # me" cookie and no request loader exists): supporters' pages skip Flask-Login's loading.
    organizer = "_user_id" in session and current_user.is_authenticated
    return supporter_path().campaign(slug, organizer=organizer)


def looked_up(campaign: Campaign) -> Looked | None:
    """What this browser looked up for this campaign, from its (encrypted) session."""
    return Looked.from_session(session.get("postcode"), campaign)


def language() -> str:
    """The page's language as letters store it (``zh-Hant``, not Babel's ``zh_Hant``): it
    picks the letter's language where one exists."""
    return html_lang()


def today() -> str:
    return format_date(date.today(), format="long")


def letter_today(resolved: Resolved) -> str:
    """Today's date as the letter's own language writes it (an English letter sent from a
    Chinese page says "November 26, 2026")."""
    language = locales.configured(resolved.version.language) if resolved.version else None
    if language is None:  # no letter, or a language Babel does not know
        return today()
    with force_locale(language.identifier):
        return today()


def browser_id() -> str:
    """This browser's own random id, kept in its session: the same letter from the same
    browser counts once (never keyed on the network address)."""
    if not isinstance(session.get("browser"), str):
        session["browser"] = secrets.token_urlsafe(16)
    return session["browser"]


def resolve_letter_form(campaign: Campaign, key: str, form) -> Resolved:
    """The letter a posted form is about: its postal code (one this browser looked up),
    the official at ``key`` and the version it was rendered with."""
    looked = looked_up(campaign)
    postcode = supporter_path().normalize(campaign, form.postcode.data or "")
    districts = looked.districts if looked and looked.postcode == postcode else None
    return supporter_path().resolve(
        campaign, postcode, key, form.template_id.data, language(), districts
    )


def written(campaign: Campaign) -> list[str]:
    saved = session.get("written", {})
    return list(saved.get(campaign.slug, [])) if isinstance(saved, dict) else []


def _photo_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="official-photo")


@lru_cache(maxsize=4096)
def _photo_token(secret_key: str, url: str) -> str:
    # Issue 13: the same few photos on every officials page; signing each anew (a new
    # serializer, an HMAC) was a sixth of the page's time under load. The token is the same
    # for the same key and URL, so it is kept.
    return URLSafeSerializer(secret_key, salt="official-photo").dumps(url)


@bp.app_context_processor
def _template_helpers():
    return {
        "photo_token": lambda url: _photo_token(current_app.config["SECRET_KEY"], url),
        "needs_address": lambda campaign: (
            campaign.provider in providers() and providers()[campaign.provider].needs_address
        ),
    }


# -- pages --------------------------------------------------------------------------------------


@bp.get("/")
def index():
    live = supporter_path().live_campaigns()
    if len(live) == 1:
        return render_template("public/campaign.html", campaign=live[0], form=PostcodeForm())
    return render_template("public/index.html", campaigns=live)


@bp.get("/c/<slug>/")
def campaign(slug: str):
    return render_template(
        "public/campaign.html", campaign=campaign_or_error(slug), form=PostcodeForm()
    )


def _limit(name: str):
    return lambda: current_app.config[name]


def _postcode_page(campaign: Campaign, form: PostcodeForm, status: int):
    return render_template("public/campaign.html", campaign=campaign, form=form), status


@bp.post("/c/<slug>/lookup")
@limiter.limit(_limit("LOOKUP_RATE_LIMIT"))
def lookup(slug: str):
    campaign = campaign_or_error(slug)
    form = PostcodeForm()
    if not form.validate():
        return _postcode_page(campaign, form, 422)
    address = (form.address.data or "").strip()
    try:
        looked, result = supporter_path().look_up(campaign, form.postcode.data, address)
    except civic.InvalidPostcode:
        form.postcode.errors.append(postcode_message(campaign))
        return _postcode_page(campaign, form, 422)
    except civic.PostcodeNotFound as exc:
        form.postcode.errors.append(not_found_message(exc))
        return _postcode_page(campaign, form, 404)
    except civic.AddressNotFound as exc:
        form.address.errors.append(address_message(exc, address))
        return _postcode_page(campaign, form, 422)
    session["postcode"] = looked.to_session()
    if result.extra.get("matched_address"):
        # Issue 11: the address as the geocoder understood it, shown once on the next page
        # (the encrypted cookie carries it that far), stored and logged nowhere.
        flash(_("We found your address as: %(address)s", address=result.extra["matched_address"]))
    return redirect(url_for(".officials", slug=campaign.slug), code=303)


# Pages that no rate limit counts (every limit is on a form's POST): Flask-Limiter's check of
# each request is skipped for them (extensions.skip_limit_checks, called by create_app).
UNLIMITED_PAGES = frozenset({"public.index", "public.campaign", "public.officials"})


@bp.record_once
def _set_up(state) -> None:
    state.app.extensions["advocacy_pages"] = memo.Rendered()


def _extra_key(extra: dict) -> tuple:
    return tuple(sorted((name, repr(value)) for name, value in extra.items()))


@bp.get("/c/<slug>/officials")
def officials(slug: str):
    campaign = campaign_or_error(slug)
    result = supporter_path().officials(campaign, looked_up(campaign))
    done = written(campaign)
    form = exact_form(campaign, result)

    def render() -> str:
        return render_template(
            "public/officials.html",
            campaign=campaign,
            result=result,
            groups=supporter_path().choices(campaign, result),
            written=done,
            exact_form=form,
        )

    if form is not None or "_flashes" in session or len(request.query_string) > 256:
        return render()  # a form with this browser's CSRF token, or a message shown once
    # Issue 13: the same page for the same inputs, rendered once (memo.Rendered). The key
    # names all the page shows: the campaign as the memo keeps it (an organizer's save or
    # the memo's TTL makes a new object), the lookup answer's content (a fresh one is kept
    # in memory while fresh, then read again, stale or gone), who runs the campaign, this
    # browser's letters, the language, its URL prefix and the query (the source code, the
    # language switch's links).
    key = (
        "officials",
        campaign,
        result.postcode,
        result.officials,
        result.stale,
        result.source,
        _extra_key(result.extra),
        tuple(done),
        campaign_contact.kept(supporter_path().memo, database(), campaign.id),
        str(get_locale()),
        request.script_root,
        request.query_string,
    )
    return current_app.extensions["advocacy_pages"].get(key, render)


def _letter_page(
    resolved: Resolved, form: LetterForm, locked, status: int = 200, languages=None, alongside=None
):
    return render_template(
        "public/letter.html",
        campaign=resolved.campaign,
        official=resolved.official,
        result=resolved.result,
        form=form,
        locked=locked,
        letter_language=resolved.version.language if resolved.version else language(),
        languages=languages,
        alongside=alongside,
    ), status


@bp.get("/c/<slug>/write/<key>")
def write(slug: str, key: str):
    campaign = campaign_or_error(slug)
    looked = looked_up(campaign)
    if looked is None:
        flash(_("Please enter your postal code first."))
        return redirect(url_for(".campaign", slug=campaign.slug))
    resolved = supporter_path().resolve(
        campaign, looked.postcode, key, None, language(), looked.districts
    )
    # The letter's language (?letter=fr), apart from the page's; the page's version alongside.
    offer = supporter_path().letter_offer(
        resolved, language(), request.args.get("letter"), current_app.config["LANGUAGE_LIST"]
    )
    if resolved.version is None or resolved.version.language != offer.chosen:
        resolved = supporter_path().in_language(resolved, offer.chosen)
    alongside = None
    if offer.chosen != language() and language() in offer.languages:
        in_page_language = supporter_path().in_language(resolved, language())
        alongside = supporter_path().letter(in_page_language, today())
    letter = supporter_path().letter(resolved, letter_today(resolved))
    blocks = resolved.version is not None and resolved.version.letter.editing == EditingMode.BLOCKS
    browser_id()
    form = LetterForm(
        data={
            "subject": letter.subject,
            "body": letter.body,
            "blocks": [part.text for part in letter.blocks] if blocks else [],
            "postcode": resolved.postcode,
            "token": actions.new_token(),
            "template_id": resolved.version.id if resolved.version else None,
            "started": supporter_path().stamp(),
        }
    )
    return _letter_page(resolved, form, letter if blocks else None, 200, offer, alongside)


def _lock(resolved: Resolved, form: LetterForm) -> letters.LetterParts | None:
    """For a "blocks" letter: the subject and locked text rendered again by the server from
    the version, with the supporter's text only in the editable blocks (whatever else the
    form says is ignored). None for a "free" letter."""
    locked = supporter_path().locked(
        resolved, letter_today(resolved), form.name.data or "", form.city.data or ""
    )
    if locked is None:
        return None
    defaults = locked.blocks
    while len(form.blocks) > len(defaults):
        form.blocks.pop_entry()
    while len(form.blocks) < len(defaults):  # a form without them: the default text
        form.blocks.append_entry(defaults[len(form.blocks)].text)
    form.subject.data = locked.subject
    form.body.data = letters.assemble(locked, [entry.data or "" for entry in form.blocks])
    return locked


def _send_page(resolved: Resolved, token: str, name: str, composed: Composed):
    confirm = ConfirmSentForm(
        formdata=None,  # what the server resolved, never what the letter form said
        data={
            "postcode": resolved.postcode,
            "token": token,
            "template_id": resolved.version.id if resolved.version else None,
            "proof": composed.proof,
        },
    )
    deliver = None
    if supporter_path().offers_delivery(resolved):
        deliver = DeliverForm(
            formdata=None,
            data={
                "letter": supporter_path().seal_for_delivery(
                    resolved, composed, name, token, g.source
                ),
                "postcode": resolved.postcode,
                "token": token,
                "template_id": resolved.version.id if resolved.version else None,
            },
        )
    return render_template(
        "public/send.html",
        campaign=resolved.campaign,
        official=resolved.official,
        letter_language=resolved.version.language if resolved.version else language(),
        **composed.page(),
        form=confirm,
        delivery_form=deliver,
    )


@bp.post("/c/<slug>/write/<key>")
def review(slug: str, key: str):
    campaign = campaign_or_error(slug)
    form = LetterForm()
    resolved = resolve_letter_form(campaign, key, form)
    locked = _lock(resolved, form)
    valid = form.validate()
    if valid and (form.website.data or supporter_path().too_fast(form.started.data)):
        # A robot (or someone pressing very fast): nothing is lost, the form comes back.
        flash(_("Please read your letter over once more, then press “Continue to send”."))
        form.started.data = supporter_path().stamp()
        valid = False
    if not valid:
        return _letter_page(resolved, form, locked, 422)
    composed = supporter_path().compose(
        resolved,
        letter_today(resolved),
        subject=form.subject.data,
        body=form.body.data,
        blocks=[entry.data or "" for entry in form.blocks] if locked else None,
        name=form.name.data or "",
        city=form.city.data or "",
        show_postcode=form.show_postcode.data,
        token=form.token.data,
        started=form.started.data or "",
    )
    if form.quotable.data and not composed.untouched:  # issue 10: for the office's report
        # A "blocks" letter: only the supporter's own words, not the campaign's locked text.
        words = "\n\n".join(e.data or "" for e in form.blocks) if locked else form.body.data
        reports.hold_excerpt(database(), campaign, resolved.official, form.token.data, words or "")
    # Issue 14: POST-redirect-GET, so that Back from the thanks page does not re-post.
    draft = send_draft.SendDraft(
        slug=campaign.slug,
        key=resolved.official.key,
        postcode=resolved.postcode,
        template_id=resolved.version.id if resolved.version else None,
        token=form.token.data,
        name=form.name.data or "",
        subject=composed.subject,
        body=composed.body,
        untouched=composed.untouched,
        method=composed.method,
        proof=composed.proof,
    )
    if send_draft.keep(draft):
        return redirect(url_for(".send", slug=campaign.slug, key=resolved.official.key), 303)
    return _send_page(resolved, draft.token, draft.name, composed)


@bp.get("/c/<slug>/send/<key>")
def send(slug: str, key: str):
    """The send page of the letter this browser reviewed last (kept in its session)."""
    campaign = campaign_or_error(slug)
    draft = send_draft.load(campaign.slug, key)
    if draft is None:
        return redirect(url_for(".write", slug=campaign.slug, key=key))
    looked = looked_up(campaign)
    districts = looked.districts if looked and looked.postcode == draft.postcode else None
    resolved = supporter_path().resolve(
        campaign, draft.postcode, key, draft.template_id, language(), districts
    )
    mailto, mailto_subject_only = supporter_path().links(
        resolved.official, draft.subject, draft.body
    )
    composed = Composed(
        draft.subject,
        draft.body,
        draft.untouched,
        draft.contact_method,
        mailto,
        mailto_subject_only,
        draft.proof,
    )
    return _send_page(resolved, draft.token, draft.name, composed)


def letter_after_expired_form(slug: str, key: str):
    """The letter form again, with everything the supporter wrote and a fresh CSRF token,
    when its token was refused (usually a browser restarted while the page was open). Raises
    the supporter path's errors like the other views when the letter cannot be resolved."""
    campaign = campaign_or_error(slug)
    form = LetterForm()  # the submitted fields, and a new token in hidden_tag()
    resolved = resolve_letter_form(campaign, key, form)
    locked = _lock(resolved, form)
    flash(
        _(
            "Your page had expired, so we could not accept it. Nothing you wrote is lost: "
            "check your letter below and press “Continue to send” again."
        )
    )
    return _letter_page(resolved, form, locked, 400)


# The confirmation form as the `sent` view reads it (issue 13): CSRFProtect checked its token
# before the view (the form's own check would sign a new token for every confirmation), and
# WTForms' messages are never shown (an incomplete confirmation gets the 400 page below), so
# their catalogue is not loaded from disk for every confirmation.
_CONFIRM_READ = {"csrf": False, "get_translations": lambda _form: None}


@bp.post("/c/<slug>/sent/<key>")
@limiter.limit(_limit("SEND_RATE_LIMIT"))
def sent(slug: str, key: str):
    campaign = campaign_or_error(slug)
    form = ConfirmSentForm(meta=_CONFIRM_READ)
    if not form.validate():
        abort(
            400,
            description=_(
                "This confirmation is incomplete. Please go back to your "
                "letter and press the button again."
            ),
        )
    resolved = resolve_letter_form(campaign, key, form)
    proof = supporter_path().check_proof(
        resolved, form.proof.data, form.token.data, form.template_id.data
    )
    if form.website.data:
        raise ConfirmationInvalid("honeypot filled in")
    token = form.token.data
    try:
        supporter_path().record(
            resolved,
            proof,
            browser_id(),
            g.source,
            # Issue 10: the letter's quotable words, if any, released in the same transaction.
            also=lambda connection: reports.excerpt_sent(connection, token),
        )
    except actions.InvalidToken:
        raise ConfirmationInvalid("malformed token") from None
    saved = session.get("written", {})
    saved = saved if isinstance(saved, dict) else {}
    done = sorted({*saved.get(campaign.slug, []), resolved.official.key})
    if saved.get(campaign.slug) != done:  # a cookie anew only when something changed
        saved[campaign.slug] = done
        session["written"] = saved
    return redirect(url_for(".thanks", slug=campaign.slug), code=303)


@bp.get("/c/<slug>/thanks")
def thanks(slug: str):
    campaign = campaign_or_error(slug)
    return render_template(
        "public/thanks.html",
        campaign=campaign,
        total=tallies.total(database(), campaign.id),
        remaining=supporter_path().remaining(campaign, looked_up(campaign), written(campaign)),
        wrote_any=bool(written(campaign)),
    )


@bp.get("/photo/<token>")
def photo(token: str):
    """An official's photo, fetched by the server (only URLs this server put in a page)."""
    try:
        url = _photo_signer().loads(token)
    except BadSignature:
        abort(404)
    try:
        image = photos().get(url)
    except civic.UpstreamUnavailable:
        abort(404)
    response = Response(image.data, mimetype=image.content_type)
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# -- messages -------------------------------------------------------------------------------------


def postcode_message(campaign: Campaign) -> str:
    """How a postal code of the campaign's country is written."""
    if campaign.country == "CA":
        return _(
            "A Canadian postal code has six characters, letter-digit-letter "
            "digit-letter-digit, like K1A 0B1."
        )
    if campaign.country == "GB":
        return _(
            "A UK postcode has two parts, like SW1A 1AA or M1 1AE. The first part alone, "
            "like SW1A, also works: we then list the MP of every constituency it covers."
        )
    if campaign.country == "US":
        return _("A ZIP code has five digits, like 20500, or nine, like 20500-0003.")
    return _("Please check your postal code.")


def not_found_message(exc: civic.PostcodeNotFound) -> str:
    """Why a well-formed postal code found nobody: withdrawn (and when, if known), or unknown."""
    if isinstance(exc, civic.PostcodeTerminated):
        if exc.year and exc.month:
            when = format_date(date(exc.year, exc.month, 1), format="MMMM y")
        else:
            when = str(exc.year or "")
        if when:
            return _(
                "The postcode %(code)s was withdrawn in %(when)s and is no longer in use. "
                "Please enter the postcode you use now.",
                code=exc.postcode,
                when=when,
            )
        return _(
            "The postcode %(code)s has been withdrawn and is no longer in use. "
            "Please enter the postcode you use now.",
            code=exc.postcode,
        )
    return _(
        "We could not find the postal code %(code)s. Please check it: it may be new "
        "or no longer in use.",
        code=exc.postcode,
    )


def address_message(exc: civic.AddressNotFound, address: str | None) -> str:
    if not address:
        return _("Please enter your street address: your ZIP code alone may be in two districts.")
    if exc.ambiguous:
        return _(
            "This address matches places in different districts. Please add your city and "
            "state, like 1600 Pennsylvania Ave NW, Washington, DC."
        )
    return _(
        "We could not find this address. Please check the house number and street, and add "
        "your city and state."
    )


# -- issue 11: "enter your street address to find your exact district" ----------------------------


from .exact import ExactAddressForm, retry_after  # noqa: E402 - this section's own form


def exact_form(campaign: Campaign, result: civic.LookupResult) -> ExactAddressForm | None:
    """The street-address form, where it can settle which district (else None)."""
    if not supporter_path().offers_exact(campaign, result):
        return None
    return ExactAddressForm(started=supporter_path().stamp())


@bp.post("/c/<slug>/exact")
@limiter.limit(_limit("LOOKUP_RATE_LIMIT"))
def exact(slug: str):
    campaign = campaign_or_error(slug)
    looked = looked_up(campaign)
    form = ExactAddressForm()
    valid = form.validate()
    if valid and (form.website.data or supporter_path().too_fast(form.started.data)):
        flash(_("Please check your street address, then press the button again."))
        valid = False
    status, headers = 422, {}
    if valid:
        try:
            looked, _result = supporter_path().look_up_exact(campaign, looked, form.address.data)
        except civic.AddressNotFound:
            form.address.errors.append(
                _("We could not find this street address. Please check the number and street.")
            )
        except civic.UpstreamUnavailable as exc:
            # The geocoder (or the officials' service) is down, busy or paced: the candidates
            # stay on the page, with the form to try again. The reason names no address.
            current_app.logger.warning("exact district unavailable: %s", exc.reason)
            form.address.errors.append(
                _(
                    "We cannot look up street addresses right now. Nothing you entered was "
                    "recorded. Please try again in a minute, or choose from the list."
                )
            )
            status, headers = 503, {"Retry-After": retry_after(exc.retry_after)}
        else:
            session["postcode"] = looked.to_session()
            flash(_("These are the officials for your street address."))
            return redirect(url_for(".officials", slug=campaign.slug), code=303)
    result = supporter_path().officials(campaign, looked)
    form.started.data = supporter_path().stamp()
    return (
        render_template(
            "public/officials.html",
            campaign=campaign,
            result=result,
            groups=supporter_path().choices(campaign, result),
            written=written(campaign),
            exact_form=form,
        ),
        status,
        headers,
    )
