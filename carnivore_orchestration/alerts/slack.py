"""Alerts as Slack messages: what an incoming webhook takes, in Block Kit, with the
plain-text line as the fallback that notifications and screen readers show.

The outbox keeps one payload per event (the Standard Webhooks JSON); an endpoint in the
Slack format gets it rendered here at each attempt, so the two formats never disagree.
"""

from __future__ import annotations

from urllib.parse import quote

# Slack's limits on a message (api.slack.com/reference/block-kit/blocks): longer text is
# refused with invalid_payload, so every piece is cut to fit here.
HEADER_MAX = 150
SECTION_MAX = 3000
FIELD_MAX = 2000
BUTTON_MAX = 75
TEXT_MAX = 3000
MENTIONS_SHOWN = 10


def message(payload: dict, ui_url: str) -> dict:
    """The incoming-webhook body for one outbox event."""
    build = _BUILDERS.get(payload.get("event"), _plain)
    return {"text": _cut(payload.get("text") or "Carnivore Weekly alert", TEXT_MAX),
            "blocks": build(payload, ui_url.rstrip("/")), "unfurl_links": False, "unfurl_media": False}


def escape(text: str) -> str:
    """Slack's mrkdwn reads &, < and > as markup (links, mentions)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": _cut(text, HEADER_MAX), "emoji": True}}


def _section(mrkdwn: str, fields: list[str] | None = None) -> dict:
    block = {"type": "section", "text": {"type": "mrkdwn", "text": _cut(mrkdwn, SECTION_MAX)}}
    if fields:
        block["fields"] = [{"type": "mrkdwn", "text": _cut(field, FIELD_MAX)} for field in fields[:10]]
    return block


def _button(label: str, url: str) -> dict:
    return {"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": _cut(label, BUTTON_MAX)}, "url": url}]}


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(text, SECTION_MAX)}]}


def _mentions(creators: list[str]) -> str:
    # Ten names of up to 150 characters, and the count of the rest, fit a field.
    shown = ", ".join(escape(_cut(name, 150)) for name in creators[:MENTIONS_SHOWN])
    more = len(creators) - MENTIONS_SHOWN
    return shown + (f" and {more} more" if more > 0 else "") if creators else "nobody named"


def _asset_url(ui_url: str, asset: str, partition: str | None) -> str:
    where = f"?view=partitions&partition={quote(partition)}" if partition else ""
    return f"{ui_url}/assets/{asset}{where}"


def _spike(payload: dict, ui_url: str) -> list[dict]:
    score, previous = payload["engagement_score"], payload.get("previous_score")
    if payload.get("kind") == "new_topic":
        title, move = "🆕 New trending topic", f"New this week with a score of *{score}*"
    else:
        change = payload.get("change_percent")
        jump = f"+{change:g} %" if change is not None else "from zero"
        title, move = "📈 Trending topic jumped", f"Score *{previous} → {score}* ({jump})"
    creators = payload.get("creators") or []
    return [
        _header(f"{title}: {payload['topic_name']}"),
        _section(f"*{escape(payload['topic_name'])}*\n{move}",
                 [f"*Week of*\n{payload['week']}",
                  f"*Mentioned by {payload.get('mention_count', len(creators))}*\n{_mentions(creators)}"]),
        _button("Open in Dagster", _asset_url(ui_url, "trending_topics", payload.get("week"))),
        _context(f"Carnivore Weekly · trend spike · `{escape(payload.get('topic_slug', ''))}`"),
    ]


def _run_failure(payload: dict, ui_url: str) -> list[dict]:
    where = f" ({payload['partition']})" if payload.get("partition") else ""
    retry = payload.get("what_next") or ""
    error = escape(payload.get("error") or "the run failed").replace("```", "'''")
    return [
        _header(f"🚨 {payload['job']}{where} failed"),
        _section(f"```{_cut(error, SECTION_MAX - 6)}```"),
        *([_section(escape(retry))] if retry else []),
        _button("Open the run", payload.get("url") or ui_url),
        _context(f"Carnivore Weekly · run `{payload['run_id']}`"),
    ]


def _digest(payload: dict, ui_url: str) -> list[dict]:
    parts = [_section(f"*{escape(part['title'])}*\n" + "\n".join(f"• {escape(line)}" for line in part["lines"]))
             for part in payload.get("sections", [])]
    return [
        _header(f"🗞 Carnivore Weekly digest: {payload['headline']}"),
        _section(f"*Hero:* {escape(payload.get('hero_line', ''))}"),
        *parts[:45],
        _button("Open the digest in Dagster", _asset_url(ui_url, "weekly_digest", payload.get("week"))),
    ]


def _plain(payload: dict, ui_url: str) -> list[dict]:
    return [_section(escape(payload.get("text") or "Carnivore Weekly alert"))]


_BUILDERS = {"trending_topic_spike_detected": _spike, "pipeline_run_failed": _run_failure,
             "weekly_digest": _digest}
