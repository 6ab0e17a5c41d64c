"""Flask extensions, created unbound and bound to the app in create_app."""

import hashlib
import hmac
from datetime import UTC, datetime

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect


def client_key() -> str:
    """Who a rate limit counts: a keyed hash of the client's address with a salt that changes
    every day (UTC), so that no limiter storage, Redis included, ever holds an IP address."""
    day = datetime.now(UTC).date().isoformat()
    key = f"{current_app.config['SECRET_KEY']}:limits:{day}".encode()
    return hmac.new(key, get_remote_address().encode(), hashlib.sha256).hexdigest()[:24]


babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=client_key, default_limits=[], headers_enabled=False)
