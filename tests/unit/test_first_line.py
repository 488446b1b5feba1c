"""What logs and /health say of an error: one line, never an empty one."""

from __future__ import annotations

import pytest

from projections.retry import first_line


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (OSError("connection refused\n\tIs the server running on that host?"),
         "connection refused"),
        (ValueError("  \n  padded\nrest"), "padded"),
        (TimeoutError(), "TimeoutError"),
        (RuntimeError("   "), "RuntimeError"),
    ],
)  # fmt: skip
def test_an_error_is_said_in_its_first_line_or_by_its_type(error, said):
    assert first_line(error) == said
