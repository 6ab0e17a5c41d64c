"""The reviewed letter between the letter form's POST and the send page's GET (issue 14).

The letter form answers with a redirect to ``/c/<slug>/send/<key>``, so that Back from the
thanks page reloads a GET page instead of asking to post the form again. What that page shows
travels in the encrypted session cookie (see sessions.py): never in the database, readable
only by this server, gone when the browser closes. The subject and letter are compressed, and a
letter too long for a cookie is answered directly instead, as before (the supporter then sees
the browser's "resubmit" question on Back, and nothing else changes).
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import asdict, dataclass

from flask import current_app, session

from ..constants import ContactMethod

KEY = "send"
# Browsers drop cookies over 4,096 bytes: keep the whole session cookie well below that.
COOKIE_MAX = 3_800


@dataclass(frozen=True)
class SendDraft:
    """What the send page needs, as the letter form's POST resolved and composed it."""

    slug: str
    key: str  # the official's key
    postcode: str
    template_id: int | None
    token: str  # the letter form's idempotency token
    name: str  # the supporter's name, for a letter the app sends by email for them
    subject: str
    body: str  # signed
    untouched: bool
    method: str
    proof: str

    @property
    def contact_method(self) -> ContactMethod:
        return ContactMethod(self.method)


def _pack(draft: SendDraft) -> dict:
    data = asdict(draft)
    text = json.dumps([data.pop("subject"), data.pop("body")], ensure_ascii=False)
    data["text"] = base64.b64encode(zlib.compress(text.encode(), 9)).decode("ascii")
    return data


def keep(draft: SendDraft) -> bool:
    """Store the draft for the send page; False (nothing stored) when it would not fit."""
    session[KEY] = _pack(draft)
    serializer = current_app.session_interface.get_signing_serializer(current_app)
    if serializer is not None and len(serializer.dumps(dict(session))) > COOKIE_MAX:
        session.pop(KEY, None)
        return False
    return True


def load(slug: str, key: str) -> SendDraft | None:
    """The draft for this campaign and official, if this browser reviewed one."""
    data = session.get(KEY)
    if not isinstance(data, dict) or data.get("slug") != slug or data.get("key") != key:
        return None
    try:
        subject, body = json.loads(zlib.decompress(base64.b64decode(data["text"])))
        fields = {k: v for k, v in data.items() if k != "text"}
        draft = SendDraft(subject=str(subject), body=str(body), **fields)
        draft.contact_method  # noqa: B018 - a stored method must be a known one
    except (KeyError, TypeError, ValueError, zlib.error):
        return None
    return draft
