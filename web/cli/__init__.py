"""The ``appraisal`` command (``web.cli:main``).

``base`` holds the group, the command class and what every command shares;
each other module adds the commands of one concern to the group as it is
imported.
"""

from __future__ import annotations

from web.cli import audit, cycle, imports, rules, serve, tokens, webhooks
from web.cli.base import main

__all__ = ["audit", "cycle", "imports", "main", "rules", "serve", "tokens", "webhooks"]
