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
    "scores.changed": {"en": "Scores changed", "zh-CN": "成绩已变更"},
    "plan.due": {"en": "Improvement plan due today", "zh-CN": "改进计划今日到期"},
    "plan.overdue": {"en": "Improvement plan overdue", "zh-CN": "改进计划已逾期"},
    "projector.stalled": {"en": "Read side stalled", "zh-CN": "读取端已停滞"},
    "store.unreachable": {
        "en": "Event store was unreachable",
        "zh-CN": "事件存储曾无法访问",
    },
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
    "scores.changed": {
        "en": "Re-scoring under {rulebook} changed {count} agent-month totals.",
        "zh-CN": "按 {rulebook} 重新计分后，{count} 个客服月度总分有变化。",  # noqa: RUF001
    },
    "plan.due": {
        "en": "{supervisor}'s improvement plan for {agent} ({month}) is due "
        "today, {due_on}.",
        "zh-CN": "{supervisor} 须于今天（{due_on}）提交 {agent}（{month}）的改进计划。",  # noqa: RUF001
    },
    "plan.overdue": {
        "en": "{supervisor}'s improvement plan for {agent} ({month}) was due on "
        "{due_on} and has not been submitted.",
        "zh-CN": "{agent}（{month}）的改进计划应由 {supervisor} 于 {due_on} "  # noqa: RUF001
        "提交，至今未提交。",  # noqa: RUF001
    },
    "projector.stalled": {
        "en": "The projector {projector} is stalled at position {position} "
        "({topic}) since {since}: {error}. Reads answer as the read models "
        "stand; later events wait.",
        "zh-CN": "投影进程 {projector} 自 {since} 起停在位置 {position}"
        "（{topic}）：{error}。读取仍按现有数据应答，之后的事件暂未处理。",  # noqa: RUF001
    },
    "store.unreachable": {
        "en": "The webhook dispatcher could not reach the event store from "
        "{since} to {until} ({seconds} s): {error}",
        "zh-CN": "{since} 至 {until}（{seconds} 秒）期间，Webhook 投递进程"  # noqa: RUF001
        "无法访问事件存储：{error}",  # noqa: RUF001
    },
}
# What a moment says beyond its event (``projections.moment_details``)
CHANGE = {
    "en": "{agent}: total {total_before} → {total_after}, "
    "rank {rank_before} → {rank_after}",
    "zh-CN": "{agent}：总分 {total_before} → {total_after}，"  # noqa: RUF001
    "排名 {rank_before} → {rank_after}",
}
MOVES = {
    "top_of_month": {
        "enters": {"en": "enters the month's top places", "zh-CN": "进入月度前列"},
        "leaves": {"en": "leaves the month's top places", "zh-CN": "跌出月度前列"},
    },
    "rewarded": {
        "enters": {"en": "enters the quarter's rewarded places",
                   "zh-CN": "进入季度奖励名次"},
        "leaves": {"en": "leaves the quarter's rewarded places",
                   "zh-CN": "失去季度奖励名次"},
    },
    "bottom": {
        "enters": {"en": "enters the bottom group", "zh-CN": "进入末位组"},
        "leaves": {"en": "leaves the bottom group", "zh-CN": "离开末位组"},
    },
}  # fmt: skip
NO_CHANGE = {"en": "No total or rank changed.", "zh-CN": "总分与排名均无变化。"}
GROUPS = {
    "top": {"en": "Top places: {agents}.", "zh-CN": "前列：{agents}。"},  # noqa: RUF001
    "bottom": {"en": "Bottom group: {agents}.", "zh-CN": "末位组：{agents}。"},  # noqa: RUF001
}
NOBODY = {"en": "nobody", "zh-CN": "无"}
TOTAL = {
    "en": "{agent} {month}: {total_before} → {total_after}",
    "zh-CN": "{agent} {month}：{total_before} → {total_after}",  # noqa: RUF001
}
MORE = {"en": "… and {n} more", "zh-CN": "……另有 {n} 项"}
MAX_LINES = 20
"""Lines of totals a message lists; the data has them all."""
UNRANKED = "-"
SEPARATOR = {"en": ", ", "zh-CN": "、"}
CLAUSES = {"en": "; ", "zh-CN": "；"}  # noqa: RUF001
LINK_NAMES = {
    "scorecard": {"en": "Scorecard", "zh-CN": "成绩单"},
    "dispute": {"en": "Dispute", "zh-CN": "申诉"},
    "period": {"en": "Period", "zh-CN": "考核月"},
    "rankings": {"en": "Rankings", "zh-CN": "排名"},
    "rebuild": {"en": "Rebuild", "zh-CN": "重新计分"},
    "plan": {"en": "Improvement plan", "zh-CN": "改进计划"},
    "health": {"en": "Health", "zh-CN": "运行状态"},
}


OPERATOR_KINDS = ("projector.stalled", "store.unreachable")


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
    if queued["kind"] in OPERATOR_KINDS:
        found["health"] = "/health"
    if "duty_id" in moment:
        found["plan"] = f"/improvement-plans/{moment['duty_id']}"
    if "rebuild_id" in moment:
        found["rebuild"] = f"/rebuilds/{moment['rebuild_id']}"
    return {name: base_url.rstrip("/") + path for name, path in found.items()}


def _named(agent_id: str | None, name: str | None) -> str:
    return f"{name} ({agent_id})" if name else agent_id or ""


def sentence(queued: dict[str, Any], language: str) -> str:
    """The moment in one sentence."""
    moment = queued["moment"]
    agent = _named(queued["agent_id"], moment.get("agent_name"))
    outcome = OUTCOMES.get(moment.get("outcome", ""), {}).get(language, "")
    values = {**moment, "agent": agent, "month": queued["month"], "outcome": outcome,
              "count": len(moment.get("changes", ()))}  # fmt: skip
    return SENTENCES[queued["kind"]][language].format_map(_Blank(values))


def detail_lines(queued: dict[str, Any], language: str) -> list[str]:
    """What the moment's details say, a line each: every change a resolved
    dispute made, or a published month's top places and bottom group."""
    moment = queued["moment"]
    if "cascade" in moment:
        if not moment["cascade"]:
            return [NO_CHANGE[language]]
        return [_change_line(c, language) for c in moment["cascade"]]
    if "top" in moment:
        return [
            GROUPS[group][language].format(agents=_agents(moment[group], language))
            for group in ("top", "bottom")
        ]
    if "changes" in moment:
        totals = moment["changes"]
        lines = [
            TOTAL[language].format_map(
                c | {"agent": _named(c["agent_id"], c["agent_name"]),
                     "total_before": c["total_before"] or UNRANKED,
                     "total_after": c["total_after"] or UNRANKED}
            )
            for c in totals[:MAX_LINES]
        ]  # fmt: skip
        more = len(totals) - MAX_LINES
        return lines + ([MORE[language].format(n=more)] if more > 0 else [])
    return []


def _change_line(change: dict[str, Any], language: str) -> str:
    values = change | {
        "agent": _named(change["agent_id"], change["agent_name"]),
        "rank_before": change["rank_before"] or UNRANKED,
        "rank_after": change["rank_after"] or UNRANKED,
    }
    line = CHANGE[language].format_map(values)
    moves = [
        MOVES[what][change[what]][language]
        for what in MOVES
        if change.get(what) is not None
    ]
    return CLAUSES[language].join([line, *moves])


def _agents(group: list[dict[str, Any]], language: str) -> str:
    if not group:
        return NOBODY[language]
    return SEPARATOR[language].join(
        f"{_named(a['agent_id'], a['agent_name'])} {a['total']}" for a in group
    )


def summary(queued: dict[str, Any], language: str) -> str:
    """The moment's sentence and what its details say."""
    return " ".join([sentence(queued, language), *detail_lines(queued, language)])


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def _of_team(queued: dict[str, Any], webhook: dict[str, Any]) -> dict[str, Any]:
    """A subscription to one team is told its agents' changed totals only."""
    moment = queued["moment"]
    if webhook["team"] is None or "changes" not in moment:
        return queued
    kept = [c for c in moment["changes"] if c.get("team") == webhook["team"]]
    return queued | {"moment": moment | {"changes": kept}}


def body(queued: dict[str, Any], webhook: dict[str, Any], base_url: str = "") -> bytes:
    """The bytes a delivery posts, in the subscription's format and language."""
    queued = _of_team(queued, webhook)
    language = webhook["language"]
    found = links(queued, base_url)
    if webhook["format"] == "json":
        document: dict[str, Any] = {
            "delivery_id": queued["delivery_id"],
            "webhook_id": queued["webhook_id"],
            "kind": queued["kind"],
            "position": queued["position"] or None,  # 0: not an event of the log
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
    lines = [f"### {title}", "", sentence(queued, language), ""]
    details = detail_lines(queued, language)
    lines += [f"- {line}" for line in details] + ([""] if details else [])
    lines += [
        f"> {LINK_NAMES[n][language]}: [{url}]({url})" for n, url in found.items()
    ]
    text = "\n".join(lines).rstrip()
    if webhook["format"] == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": text}}
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
