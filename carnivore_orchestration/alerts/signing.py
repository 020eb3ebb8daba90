"""Standard Webhooks signatures (https://www.standardwebhooks.com), with the spec's own
reference library: `webhook-signature` is `v1,` + base64(HMAC-SHA256(id.timestamp.body))
under the `whsec_` secret."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook


class SecretError(ValueError):
    pass


def check_secret(secret: str) -> None:
    if not secret.startswith("whsec_"):
        raise SecretError("CARNIVORE_WEBHOOK_SECRET must be in the whsec_<base64> form")
    try:
        if not base64.b64decode(secret.removeprefix("whsec_"), validate=True):
            raise SecretError("CARNIVORE_WEBHOOK_SECRET is empty after whsec_")
    except binascii.Error:
        raise SecretError("CARNIVORE_WEBHOOK_SECRET is not valid base64 after whsec_") from None


def signed_headers(secret: str, message_id: str, body: str, now: datetime | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers for one delivery attempt. The id stays the
    same on every retry (receivers deduplicate on it); the timestamp and the signature
    are fresh each time."""
    check_secret(secret)
    # The library reads the datetime's clock fields as UTC, so give it UTC.
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body),
        "content-type": "application/json",
    }
