"""Flask extensions, created unbound and bound to the app in create_app."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
# Client addresses are used only as in-memory (or Redis) counter keys, never stored with data.
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=False)
