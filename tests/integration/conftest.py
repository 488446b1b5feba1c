"""Fixtures of the tests of what a serving process keeps between requests
(``test_notices``: PostgreSQL, ``test_file_changes``: SQLite); each module
says which store with its own ``config``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from projections.config import StoreConfig
from projections.runtime import Runtime


@pytest.fixture
def serving(config: StoreConfig) -> Iterator[Runtime]:
    """A web worker's runtime: it follows what may have changed."""
    opened = Runtime(config)
    opened.follow_notices()
    yield opened
    opened.close()


@pytest.fixture
def other(config: StoreConfig) -> Iterator[Runtime]:
    """Another process: the projector, the command line, or another worker."""
    opened = Runtime(config)
    yield opened
    opened.close()
