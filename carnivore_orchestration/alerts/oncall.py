"""What on-call receives when a run fails."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Retry:
    """What Dagster will do next with a failed run (its `dagster/will_retry` tag)."""

    coming: bool
    number: int       # 0: the run as launched; n: Dagster's n-th retry of it
    max_retries: int

    def sentence(self) -> str:
        if self.coming:
            return (f"Dagster retries it (retry {self.number + 1} of {self.max_retries}): follow it in the UI,"
                    " this is the only page for this run.")
        if self.number:
            return f"That was retry {self.number} of {self.max_retries}: no retry is coming."
        return "It is not retried: a failed step does not get better by running again (see the error)."


def run_failure_payload(job: str, run_id: str, root_run_id: str, partition: str | None, errors: list[str],
                        run_url: str, retry: Retry) -> dict:
    error = "; ".join(errors) or "the run failed"
    where = f" ({partition})" if partition else ""
    return {
        "event": "pipeline_run_failed",
        "job": job,
        "run_id": run_id,
        "root_run_id": root_run_id,
        "partition": partition,
        "error": error,
        "retry": {"coming": retry.coming, "number": retry.number, "max_retries": retry.max_retries},
        "what_next": retry.sentence(),
        "url": run_url,
        "text": f"{job}{where} failed: {error[:300]} {retry.sentence()}",
    }
