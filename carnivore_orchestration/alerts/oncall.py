"""What on-call receives when a run fails."""

from __future__ import annotations


def run_failure_payload(job: str, run_id: str, partition: str | None, errors: list[str], run_url: str) -> dict:
    error = "; ".join(errors) or "the run failed"
    where = f" ({partition})" if partition else ""
    return {
        "event": "pipeline_run_failed",
        "job": job,
        "run_id": run_id,
        "partition": partition,
        "error": error,
        "url": run_url,
        "text": f"{job}{where} failed: {error[:300]}",
    }
