"""What a receiver is sent: a moment as plain JSON, or as a WeCom or DingTalk
group-bot message, in the subscription's language.

A body is worked out from the queued moment and the subscription alone (no
clock), so every attempt of a delivery sends the same bytes; only the
timestamp header, and the signature over it, change.
"""

from __future__ import annotations

import json
from typing import Any

TITLES = {
    "dispute.filed": {"en": "Deduction disputed", "zh-CN": "扣分申诉"},
    "dispute.resolved": {"en": "Dispute resolved", "zh-CN": "申诉已裁决"},
    "period.closed": {"en": "Period closed", "zh-CN": "考核月已关账"},
    "period.published": {"en": "Period published", "zh-CN": "考核结果已发布"},
}
OUTCOMES = {
    "upheld": {"en": "upheld", "zh-CN": "维持"},
    "overturned": {"en": "overturned", "zh-CN": "撤销"},
    "adjusted": {"en": "adjusted", "zh-CN": "调整"},
}
SENTENCES = {
    "dispute.filed": {
        "en": "{disputed_by} disputed deduction {deduction_id} of {agent} "
        "({month}): {reason}",
        "zh-CN": "{disputed_by} 对 {agent}（{month}）的扣分 {deduction_id} "  # noqa: RUF001
        "提出申诉：{reason}",  # noqa: RUF001
    },
    "dispute.resolved": {
        "en": "{resolved_by} resolved the dispute of deduction {deduction_id} of "
        "{agent} ({month}): {outcome}",
        "zh-CN": "{resolved_by} 裁决了 {agent}（{month}）扣分 {deduction_id} "  # noqa: RUF001
        "的申诉：{outcome}",  # noqa: RUF001
    },
    "period.closed": {
        "en": "{by} closed the {month} period: facts are no longer accepted.",
        "zh-CN": "{by} 已关闭 {month} 考核月，不再接受新的记录。",  # noqa: RUF001
    },
    "period.published": {
        "en": "{by} published the {month} report on {published_on}.",
        "zh-CN": "{by} 已于 {published_on} 发布 {month} 考核结果。",
    },
}
LINK_NAMES = {
    "scorecard": {"en": "Scorecard", "zh-CN": "成绩单"},
    "dispute": {"en": "Dispute", "zh-CN": "申诉"},
    "period": {"en": "Period", "zh-CN": "考核月"},
    "rankings": {"en": "Rankings", "zh-CN": "排名"},
}


def links(queued: dict[str, Any], base_url: str = "") -> dict[str, str]:
    """Where a receiver reads more: API paths, absolute under ``base_url``."""
    moment, month = queued["moment"], queued["month"]
    found: dict[str, str] = {}
    if queued["agent_id"]:
        found["scorecard"] = f"/agents/{queued['agent_id']}/scorecards/{month}"
    if "deduction_id" in moment:
        found["dispute"] = (
            f"/deductions/{moment['deduction_id']}/disputes/{moment['number']}"
        )
    if queued["kind"].startswith("period."):
        found["period"] = f"/periods/{month}"
        found["rankings"] = f"/rankings/{month}"
    return {name: base_url.rstrip("/") + path for name, path in found.items()}


def summary(queued: dict[str, Any], language: str) -> str:
    moment = queued["moment"]
    agent = queued["agent_id"] or ""
    if moment.get("agent_name"):
        agent = f"{moment['agent_name']} ({agent})"
    outcome = OUTCOMES.get(moment.get("outcome", ""), {}).get(language, "")
    values = {**moment, "agent": agent, "month": queued["month"], "outcome": outcome}
    return SENTENCES[queued["kind"]][language].format_map(_Blank(values))


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def body(queued: dict[str, Any], webhook: dict[str, Any], base_url: str = "") -> bytes:
    """The bytes a delivery posts, in the subscription's format and language."""
    language = webhook["language"]
    found = links(queued, base_url)
    if webhook["format"] == "json":
        document: dict[str, Any] = {
            "delivery_id": queued["delivery_id"],
            "webhook_id": queued["webhook_id"],
            "kind": queued["kind"],
            "position": queued["position"],
            "occurred_at": queued["at"],
            "agent_id": queued["agent_id"],
            "team": queued["team"],
            "month": queued["month"],
            "language": language,
            "title": TITLES[queued["kind"]][language],
            "summary": summary(queued, language),
            "data": queued["moment"],
            "links": found,
        }
    else:
        document = _bot_message(queued, webhook, found)
    return json.dumps(document, ensure_ascii=False).encode()


def _bot_message(
    queued: dict[str, Any], webhook: dict[str, Any], found: dict[str, str]
) -> dict[str, Any]:
    """A group-bot markdown message: WeCom ``content``, DingTalk ``title`` and
    ``text``."""
    language = webhook["language"]
    title = TITLES[queued["kind"]][language]
    lines = [f"### {title}", "", summary(queued, language), ""]
    lines += [
        f"> {LINK_NAMES[n][language]}: [{url}]({url})" for n, url in found.items()
    ]
    text = "\n".join(lines).rstrip()
    if webhook["format"] == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": text}}
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
