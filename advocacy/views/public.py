"""The supporter's path: campaign -> postal code -> officials -> letter -> send -> thanks.

Views parse the request, call one service function and render; civic errors are mapped to
pages in views/errors.py.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime, timedelta

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
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, TimestampSigner, URLSafeSerializer

from .. import actions, campaigns, civic, letters, mail
from ..civic.postcodes import prefix
from ..db import database
from ..extensions import client_key, limiter
from ..models import Campaign, LetterTemplate
from .forms import ConfirmSentForm, LetterForm, PostcodeForm

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


# -- helpers ------------------------------------------------------------------------------------


def _campaign(slug: str) -> Campaign:
    """The campaign, if supporters may use it; organizers may also preview drafts."""
    campaign = campaigns.visible_campaign(database(), slug, current_user.is_authenticated)
    if campaign is None:
        closed = campaigns.campaign_by_slug(database(), slug)
        if closed is not None and closed.status == "closed":
            abort(410, description=_("This campaign has ended. Thank you to everyone who wrote."))
        abort(404, description=_("There is no open campaign at this address."))
    return campaign


def _provider(campaign: Campaign) -> civic.Provider:
    return current_app.extensions["advocacy_providers"][campaign.provider]


def _lookup(campaign: Campaign, postcode: str, address: str | None = None) -> civic.LookupResult:
    provider = _provider(campaign)
    config = current_app.config
    fetch = None
    if getattr(provider, "needs_address", False):
        # Never cached by address: geocoded once from the address, then listed again from the
        # districts kept in the session (public identifiers, never the address).
        if address:
            fetch = lambda: provider.lookup(postcode, address=address)  # noqa: E731
        else:
            districts = _saved_districts(campaign, postcode)
            fetch = lambda: provider.lookup(postcode, districts=districts)  # noqa: E731
    try:
        return campaigns.lookup_officials(
            database(),
            provider,
            campaign,
            postcode,
            config["LOOKUP_TTL"],
            config["LOOKUP_STALE_MAX"],
            fetch=fetch,
        )
    except civic.AddressNotFound:
        if address:
            raise
        flash(_("Please enter your ZIP code and street address again."))
        abort(redirect(url_for(".campaign", slug=campaign.slug)))


def _postcode_message(campaign: Campaign) -> str:
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


def _address_message(exc: civic.AddressNotFound, address: str | None) -> str:
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


def _session_postcode(campaign: Campaign) -> str | None:
    """The postal code this browser looked up for this campaign, if any."""
    saved = session.get("postcode")
    if isinstance(saved, dict) and saved.get("campaign") == campaign.slug:
        return saved.get("code")
    return None


def _saved_districts(campaign: Campaign, postcode: str) -> dict | None:
    """The districts found for this campaign and postal code's address, if this browser
    looked one up (providers that need an address)."""
    saved = session.get("postcode")
    if isinstance(saved, dict) and (saved.get("campaign"), saved.get("code")) == (
        campaign.slug,
        postcode,
    ):
        return saved.get("districts")
    return None


def _official_or_404(campaign: Campaign, result: civic.LookupResult, key: str) -> civic.Official:
    official = result.find(key)
    if official is None or not campaigns.is_targeted(campaign, official):
        abort(
            404,
            description=_("This official is not one this campaign writes to for your postal code."),
        )
    return official


def _written(campaign: Campaign) -> list[str]:
    return list(session.get("written", {}).get(campaign.slug, []))


def _contact_method(official: civic.Official) -> str:
    if official.email:
        return "mailto"
    return "web_form" if official.web_url else "phone"


def _today() -> str:
    return format_date(date.today(), format="long")


def _photo_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="official-photo")


@bp.app_context_processor
def _template_helpers():
    return {
        "photo_token": lambda url: _photo_signer().dumps(url),
        "needs_address": lambda campaign: getattr(
            current_app.extensions["advocacy_providers"].get(campaign.provider),
            "needs_address",
            False,
        ),
    }


# -- pages --------------------------------------------------------------------------------------


@bp.get("/")
def index():
    live = campaigns.live_campaigns(database())
    if len(live) == 1:
        return render_template("public/campaign.html", campaign=live[0], form=PostcodeForm())
    return render_template("public/index.html", campaigns=live)


@bp.get("/c/<slug>/")
def campaign(slug: str):
    return render_template("public/campaign.html", campaign=_campaign(slug), form=PostcodeForm())


def _limit(name: str):
    return lambda: current_app.config[name]


@bp.post("/c/<slug>/lookup")
@limiter.limit(_limit("LOOKUP_RATE_LIMIT"))
def lookup(slug: str):
    campaign = _campaign(slug)
    form = PostcodeForm()
    if not form.validate():
        return render_template("public/campaign.html", campaign=campaign, form=form), 422
    needs_address = getattr(_provider(campaign), "needs_address", False)
    address = (form.address.data or "").strip() if needs_address else None
    try:
        postcode = _provider(campaign).normalize(form.postcode.data)
        if address == "":
            raise civic.AddressNotFound(postcode)
        result = _lookup(campaign, postcode, address)
    except civic.InvalidPostcode:
        form.postcode.errors.append(_postcode_message(campaign))
        return render_template("public/campaign.html", campaign=campaign, form=form), 422
    except civic.PostcodeNotFound as exc:
        form.postcode.errors.append(not_found_message(exc))
        return render_template("public/campaign.html", campaign=campaign, form=form), 404
    except civic.AddressNotFound as exc:
        form.address.errors.append(_address_message(exc, address))
        return render_template("public/campaign.html", campaign=campaign, form=form), 422
    saved = {"campaign": campaign.slug, "code": postcode}
    if result.extra.get("districts"):
        saved["districts"] = result.extra["districts"]  # public identifiers, not the address
    session["postcode"] = saved
    return redirect(url_for(".officials", slug=campaign.slug), code=303)


@bp.get("/c/<slug>/officials")
def officials(slug: str):
    campaign = _campaign(slug)
    postcode = _session_postcode(campaign)
    if postcode is None:
        flash(_("Please enter your postal code first."))
        return redirect(url_for(".campaign", slug=campaign.slug))
    result = _lookup(campaign, postcode)
    return render_template(
        "public/officials.html",
        campaign=campaign,
        result=result,
        groups=campaigns.choices(campaign, result),
        written=_written(campaign),
    )


@bp.get("/c/<slug>/write/<key>")
def write(slug: str, key: str):
    campaign = _campaign(slug)
    postcode = _session_postcode(campaign)
    if postcode is None:
        flash(_("Please enter your postal code first."))
        return redirect(url_for(".campaign", slug=campaign.slug))
    result = _lookup(campaign, postcode)
    official = _official_or_404(campaign, result, key)
    template = campaigns.current_template(database(), campaign, _locale(), official)
    if template is None:
        abort(404, description=_("This campaign has no letter for this official yet."))
    letter = _letter_parts(campaign, official, template)
    locked = letter if template.letter.editing == "blocks" else None
    form = LetterForm(
        data={
            "subject": letter.subject,
            "body": letter.body,
            "blocks": [part.text for part in letter.blocks] if locked else [],
            "postcode": postcode,
            "token": actions.new_token(),
            "template_id": template.id,
            "started": _stamp(),
        }
    )
    return render_template(
        "public/letter.html",
        campaign=campaign,
        official=official,
        result=result,
        form=form,
        locked=locked,
    )


def _letter_parts(
    campaign: Campaign,
    official: civic.Official,
    template: LetterTemplate,
    supporter: dict[str, str] | None = None,
) -> letters.LetterParts:
    """The campaign's letter for this official, in locked and editable parts. Templates are
    checked when saved; one that still fails here (too long once filled in) is logged."""
    config = current_app.config
    try:
        return letters.render_parts(
            template.subject,
            template.body,
            official,
            campaign.title,
            _today(),
            supporter,
            body_max=config["LETTER_BODY_MAX"],
            subject_max=config["LETTER_SUBJECT_MAX"],
        )
    except letters.LetterError as exc:
        current_app.logger.error("letter template %s cannot be rendered: %s", template.id, exc)
        abort(
            503, description=_("This letter cannot be prepared right now. Please try again later.")
        )


def _lock(
    campaign: Campaign, official: civic.Official, template: LetterTemplate | None, form: LetterForm
) -> letters.LetterParts | None:
    """For a "blocks" letter: the subject and locked text rendered again by the server from
    the template version, with the supporter's text only in the editable blocks (whatever
    else the form says is ignored). None for a "free" letter."""
    if template is None or template.letter.editing != "blocks":
        return None
    limit = current_app.config["SUPPORTER_FIELD_MAX"]
    supporter = {"name": (form.name.data or "")[:limit], "city": (form.city.data or "")[:limit]}
    locked = _letter_parts(campaign, official, template, supporter)
    defaults = locked.blocks
    while len(form.blocks) > len(defaults):
        form.blocks.pop_entry()
    while len(form.blocks) < len(defaults):  # a form without them: the default text
        form.blocks.append_entry(defaults[len(form.blocks)].text)
    form.subject.data = locked.subject
    form.body.data = letters.assemble(locked, [entry.data or "" for entry in form.blocks])
    return locked


# -- telling people from robots, and letters in the supporter's own words ----------------------


def _stamp_signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="letter-form-shown")


def _stamp() -> str:
    """When the letter form was shown, signed."""
    return _stamp_signer().sign(b"shown").decode()


def _seconds_since(stamp: str | None) -> float | None:
    """Seconds since a stamp from _stamp(), or None when missing or forged."""
    try:
        _, when = _stamp_signer().unsign(stamp or "", return_timestamp=True)
    except BadSignature:
        return None
    return (datetime.now(UTC) - when).total_seconds()


def _too_fast(stamp: str | None) -> bool:
    elapsed = _seconds_since(stamp)
    return elapsed is None or elapsed < current_app.config["MIN_FILL_SECONDS"]


def _proof_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="letter-proof")


def _untouched(campaign, official, template, form: LetterForm) -> bool:
    """Whether the supporter sent the campaign's text without changing a word (whitespace
    aside): such letters are counted as such for organizers."""
    if template is None:
        return False
    default = _letter_parts(campaign, official, template)
    if template.letter.editing == "blocks":
        texts = [" ".join((entry.data or "").split()) for entry in form.blocks]
        return texts == [" ".join(part.text.split()) for part in default.blocks]
    return " ".join((form.body.data or "").split()) == " ".join(default.body.split())


def _fingerprint(official: civic.Official, digest: str) -> str:
    """The same letter to the same official from the same client, as a keyed hash (the client
    key is itself a daily-salted hash: no address is kept)."""
    key = current_app.config["SECRET_KEY"].encode()
    material = f"{client_key()}|{official.key}|{digest}".encode()
    return hmac.new(key, material, hashlib.sha256).hexdigest()


@bp.post("/c/<slug>/write/<key>")
def review(slug: str, key: str):
    campaign = _campaign(slug)
    form = LetterForm()
    postcode = _provider(campaign).normalize(form.postcode.data or "")
    result = _lookup(campaign, postcode)
    official = _official_or_404(campaign, result, key)
    template = campaigns.template_for(
        database(), campaign, form.template_id.data, _locale(), official
    )
    locked = _lock(campaign, official, template, form)
    valid = form.validate()
    if valid and (form.website.data or _too_fast(form.started.data)):
        # A robot (or someone pressing very fast): nothing is lost, the form comes back.
        flash(_("Please read your letter over once more, then press “Continue to send”."))
        form.started.data = _stamp()
        valid = False
    if not valid:
        return render_template(
            "public/letter.html",
            campaign=campaign,
            official=official,
            result=result,
            form=form,
            locked=locked,
        ), 422
    untouched = _untouched(campaign, official, template, form)
    shown = postcode if form.show_postcode.data != "prefix" else prefix(postcode)
    body = letters.sign(form.body.data, form.name.data or "", form.city.data or "", shown)
    subject = " ".join(form.subject.data.split())
    digest = hashlib.sha256(f"{subject}\n{body}".encode()).hexdigest()
    link = short_link = ""
    if official.email:
        link = mail.mailto_link(official.email, subject, body)
        if not mail.fits_mailto(link, current_app.config["MAILTO_MAX"]):
            # Too long for mail clients: the supporter copies the letter into an email that
            # this shorter link opens with the address and subject filled in.
            link, short_link = "", mail.mailto_link(official.email, subject)
    confirm = ConfirmSentForm(
        data={
            "postcode": postcode,
            "token": form.token.data,
            "template_id": template.id if template else form.template_id.data,
            "proof": _proof_signer().dumps(
                {"started": form.started.data, "digest": digest, "untouched": untouched}
            ),
        }
    )
    from .deliver import delivery_form

    return render_template(
        "public/send.html",
        untouched=untouched,
        delivery_form=delivery_form(
            campaign,
            official,
            subject,
            body,
            form.name.data or "",
            postcode,
            form.token.data,
            template.id if template else None,
        ),
        campaign=campaign,
        official=official,
        subject=subject,
        body=body,
        mailto=link,
        mailto_subject_only=short_link,
        form=confirm,
        method=_contact_method(official),
    )


def letter_after_expired_form(slug: str, key: str):
    """The letter form again, with everything the supporter wrote and a fresh CSRF token,
    when its token was refused (usually a browser restarted while the page was open)."""
    campaign = _campaign(slug)
    form = LetterForm()  # the submitted fields, and a new token in hidden_tag()
    postcode = _provider(campaign).normalize(form.postcode.data or "")
    official = _official_or_404(campaign, _lookup(campaign, postcode), key)
    template = campaigns.template_for(
        database(), campaign, form.template_id.data, _locale(), official
    )
    locked = _lock(campaign, official, template, form)
    flash(
        _(
            "Your page had expired, so we could not accept it. Nothing you wrote is lost: "
            "check your letter below and press “Continue to send” again."
        )
    )
    return render_template(
        "public/letter.html", campaign=campaign, official=official, form=form, locked=locked
    ), 400


@bp.post("/c/<slug>/sent/<key>")
@limiter.limit(_limit("SEND_RATE_LIMIT"))
def sent(slug: str, key: str):
    campaign = _campaign(slug)
    form = ConfirmSentForm()
    if not form.validate():
        abort(
            400,
            description=_(
                "This confirmation is incomplete. Please go back to your "
                "letter and press the button again."
            ),
        )
    postcode = _provider(campaign).normalize(form.postcode.data)
    official = _official_or_404(campaign, _lookup(campaign, postcode), key)
    template = campaigns.template_for(
        database(), campaign, form.template_id.data, _locale(), official
    )
    try:
        proof = _proof_signer().loads(form.proof.data or "")
    except BadSignature:
        proof = None
    if proof is None or form.website.data or _too_fast(proof.get("started")):
        abort(
            400,
            description=_(
                "This confirmation is not valid. Please write your letter "
                "again from the list of your officials."
            ),
        )
    try:
        actions.record_contact(
            database(),
            campaign,
            template,
            official,
            postcode,
            _contact_method(official),
            form.token.data,
            source=g.source,
            personalized=not proof.get("untouched", False),
            fingerprint=_fingerprint(official, str(proof.get("digest", ""))),
            repeat_window=timedelta(seconds=current_app.config["DUPLICATE_LETTER_WINDOW"]),
        )
    except actions.InvalidToken:
        abort(
            400,
            description=_(
                "This confirmation is not valid. Please write your letter "
                "again from the list of your officials."
            ),
        )
    written = session.get("written", {})
    written[campaign.slug] = sorted({*written.get(campaign.slug, []), official.key})
    session["written"] = written
    districts = _saved_districts(campaign, postcode)
    session["postcode"] = {"campaign": campaign.slug, "code": postcode} | (
        {"districts": districts} if districts else {}
    )
    return redirect(url_for(".thanks", slug=campaign.slug), code=303)


@bp.get("/c/<slug>/thanks")
def thanks(slug: str):
    campaign = _campaign(slug)
    total = actions.campaign_total(database(), campaign.id)
    remaining: list[civic.Official] = []
    postcode = _session_postcode(campaign)
    if postcode is not None:
        try:
            result = _lookup(campaign, postcode)
        except civic.CivicError:
            result = None
        if result is not None:
            done = set(_written(campaign))
            remaining = [o for o in campaigns.targeted(campaign, result) if o.key not in done]
    return render_template(
        "public/thanks.html",
        campaign=campaign,
        total=total,
        remaining=remaining,
        wrote_any=bool(_written(campaign)),
    )


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "en")


@bp.get("/photo/<token>")
def photo(token: str):
    """An official's photo, fetched by the server (only URLs this server put in a page)."""
    try:
        url = _photo_signer().loads(token)
    except BadSignature:
        abort(404)
    try:
        image = current_app.extensions["advocacy_photos"].get(url)
    except civic.UpstreamUnavailable:
        abort(404)
    response = Response(image.data, mimetype=image.content_type)
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
