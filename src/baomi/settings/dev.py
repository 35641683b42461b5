"""Local development / `make demo`: embedded SQLite under ./var.

DEBUG is off unless BAOMI_DEBUG=1 (base.py): a demo is reachable from the network like any
server, and Django's debug pages show routes and tracebacks with personal values in them.
"""

from .base import *  # noqa: F403
from .base import BAOMI_OPERATOR, DEMO_OPERATOR

# the demo company unless the environment names the operator (never a mix of the two)
BAOMI_OPERATOR = BAOMI_OPERATOR if any(BAOMI_OPERATOR.values()) else dict(DEMO_OPERATOR)
