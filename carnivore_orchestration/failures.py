"""A failed step's explanation in one line, for the CLI and for on-call.

Dagster's own message for a step that used up its retries is "Exceeded max_retries of
2"; what went wrong is in the error's causes, so the innermost cause is what is told."""

from __future__ import annotations


def step_failure_message(data) -> str:
    """`data` is a step failure's StepFailureData: a `Failure`'s description when the step
    raised one, else the innermost error's message, with the retries it took."""
    if data.user_failure_data is not None and data.user_failure_data.description:
        return data.user_failure_data.description
    error = data.error
    if error is None:
        return "the step failed"
    outer = error.message.strip()
    while error.cause is not None:
        error = error.cause
    message = error.message.strip().splitlines()[0]
    if outer.startswith("Exceeded max_retries"):
        return f"{message} ({outer.lower().replace('exceeded max_retries of', 'still failing after')} retries)"
    return message
