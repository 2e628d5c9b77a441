"""Flask extensions, created here and bound to the app in create_app."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager

babel = Babel()
#: Limits are set per route; the storage comes from RATELIMIT_STORAGE_URI (memory or Redis).
limiter = Limiter(key_func=get_remote_address)
#: Configured in engagement.auth.views.init_app.
login_manager = LoginManager()
