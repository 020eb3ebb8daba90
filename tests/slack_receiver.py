"""A Slack incoming webhook on 127.0.0.1: it checks each message as Slack does and
answers as Slack does ("ok"; 400 invalid_payload, no_text or invalid_blocks; the
errors a test queues: 404 no_service, 429 rate_limited with Retry-After, 500)."""

import json

from webhook_receiver import Receiver

# Block Kit's limits (api.slack.com/reference/block-kit/blocks).
TEXT_TYPES = {"plain_text", "mrkdwn"}
LIMITS = {"header": 150, "section": 3000, "field": 2000, "button": 75, "context": 3000, "url": 3000}


def payload_problem(body: str) -> str | None:
    """The error Slack would answer for this body, or None."""
    try:
        message = json.loads(body)
    except ValueError:
        return "invalid_payload"
    if not isinstance(message, dict):
        return "invalid_payload"
    if not isinstance(message.get("text"), str) or not message["text"].strip():
        return "no_text"
    blocks = message.get("blocks", [])
    if not isinstance(blocks, list) or len(blocks) > 50 or not all(_block_ok(block) for block in blocks):
        return "invalid_blocks"
    return None


def _text_ok(text, limit: int, types=TEXT_TYPES) -> bool:
    return (isinstance(text, dict) and text.get("type") in types and isinstance(text.get("text"), str)
            and 0 < len(text["text"]) <= limit)


def _block_ok(block) -> bool:
    kind = block.get("type") if isinstance(block, dict) else None
    if kind == "header":
        return _text_ok(block.get("text"), LIMITS["header"], {"plain_text"})
    if kind == "section":
        fields = block.get("fields", [])
        return (("text" in block or fields) and ("text" not in block or _text_ok(block["text"], LIMITS["section"]))
                and len(fields) <= 10 and all(_text_ok(field, LIMITS["field"]) for field in fields))
    if kind == "actions":
        elements = block.get("elements", [])
        return 0 < len(elements) <= 25 and all(
            e.get("type") == "button" and _text_ok(e.get("text"), LIMITS["button"], {"plain_text"})
            and str(e.get("url", "")).startswith(("http://", "https://")) and len(e["url"]) <= LIMITS["url"]
            for e in elements)
    if kind == "context":
        elements = block.get("elements", [])
        return 0 < len(elements) <= 10 and all(_text_ok(e, LIMITS["context"]) for e in elements)
    return kind == "divider"


class SlackReceiver(Receiver):
    def __init__(self):
        super().__init__(path="/services/T0CARNIV/B0EDITORS/s3cr3tW3bh00kT0k3n", check=payload_problem, ok_body="ok")

    @property
    def messages(self) -> list[dict]:
        """The messages Slack would have posted, in the order they came."""
        return [json.loads(r["body"]) for r in self.requests if r["status"] == 200]
