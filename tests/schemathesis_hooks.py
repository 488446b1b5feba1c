"""Checks schemathesis runs beside its own against the served API (loaded with
``SCHEMATHESIS_HOOKS=tests/schemathesis_hooks.py``; see tests/e2e/test_contract.py).

``tests/schemathesis.toml`` lets a schema-valid request be answered 422 (the
domain may refuse well-formed data: an agent nobody registered, an item the
rulebook lacks, a date in the future) and lets any answer be a 503. These
checks make that exact again:

- a 422 to schema-valid data must be the domain's refusal (``invalid_fact``,
  ``unknown_reference``, ``rule_violated``). ``validation_failed`` means the
  OpenAPI document allowed what the API refuses: the schema is not precise.
- a 503 is only ``read_model_behind`` for a request that asked to wait
  (``Min-Position``) for a position the read models have not reached; never
  ``store_unreachable`` or anything else while the store is up.

Deliberately independent of the service's code: these are a client's
expectations, written down from docs/api.md.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis

DOMAIN_CODES = frozenset({"invalid_fact", "unknown_reference", "rule_violated"})


def _problem(response: Any) -> dict[str, Any]:
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _positive(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    return meta is not None and meta.generation.mode.is_positive


@schemathesis.check
def schema_valid_data_is_refused_by_the_domain_only(
    ctx: Any, response: Any, case: Any
) -> bool | None:
    """A 422 to a request the schema allows names a domain refusal."""
    if response.status_code != 422 or not _positive(case):
        return None
    problem = _problem(response)
    if problem.get("code") in DOMAIN_CODES:
        return None
    raise AssertionError(
        f"The API refused a schema-valid request with 422 {problem.get('code')!r} "
        f"(only {', '.join(sorted(DOMAIN_CODES))} may refuse valid data): the "
        f"schema allows what the API refuses.\n"
        f"errors: {json.dumps(problem.get('errors'), ensure_ascii=False)}"
    )


@schemathesis.check
def unavailable_only_while_waiting_for_a_position(
    ctx: Any, response: Any, case: Any
) -> bool | None:
    """A 503 answers a Min-Position the read models had not reached in time."""
    if response.status_code != 503:
        return None
    problem = _problem(response)
    asked = response.request.headers.get("Min-Position")
    if problem.get("code") == "read_model_behind" and asked is not None:
        return None
    raise AssertionError(
        f"503 {problem.get('code')!r} (Min-Position: {asked!r}): only a request "
        f"waiting for a position may be told the read models are behind.\n"
        f"detail: {problem.get('detail')!r}"
    )
