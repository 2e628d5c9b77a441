"""Flask extensions, created here and bound to the app in create_app."""

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager

babel = Babel()
#: Limits are set per route; the storage comes from RATELIMIT_STORAGE_URI (memory or Redis).
limiter = Limiter(key_func=get_remote_address)
#: Configured in engagement.auth.views.init_app.
login_manager = LoginManager()


def _reading_rate_limit() -> str:
    return str(current_app.config["READING_RATE_LIMIT"])


#: One budget per client for the public pages that cost the most to draw (the comment list at
#: any position, a comment's page, the public tallies): a person reading never meets it; a
#: script walking every page or every filter to tire the site does, and gets the 429 page.
reading_limit = limiter.shared_limit(_reading_rate_limit, scope="reading")
