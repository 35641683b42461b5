"""Local development / `make demo`: embedded SQLite under ./var, DEBUG off unless asked."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("BAOMI_DEBUG", True)
