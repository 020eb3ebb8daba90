from datetime import date
from pathlib import Path

import dagster as dg
from pydantic import Field

from carnivore_orchestration.content import archive
from carnivore_orchestration.content.loading import ContentError, load_week, parse_week
from carnivore_orchestration.content.store import ImportedWeek, write_week
from carnivore_orchestration.defs.partitions import weekly_partitions
from carnivore_orchestration.homepage.checks import week_matches_file
from carnivore_orchestration.resources import AlertsResource, ContentSource, PostgresResource


class WeeklyContentConfig(dg.Config):
    source_path: str | None = Field(
        default=None,
        description="Import this file instead of the content source's <week>.json (used by `carnivore import`).",
    )
    archived_sha256: str | None = Field(
        default=None,
        description="Import this version of the week's file from the archive, byte for byte, instead of a file"
                    " (used by `carnivore replay`).",
    )


@dg.multi_asset(
    name="weekly_content",
    partitions_def=weekly_partitions,
    group_name="weekly_import",
    specs=[
        dg.AssetSpec("analyzed_content", description="The week's analyzed_content.json, validated and archived raw."),
        dg.AssetSpec("trending_topics", deps=["analyzed_content"],
                     description="Topics by slug, with each week's score and mentions in trending_topic_weeks."),
        dg.AssetSpec("top_videos", deps=["analyzed_content"],
                     description="Videos by video id, with each week's views and score in top_video_weeks."),
        dg.AssetSpec("creators", deps=["analyzed_content"],
                     description="Creators by name, with each week's mentions and videos in creator_weeks."),
    ],
    check_specs=[
        # Blocking: a week stored differently from its file must not reach the homepage.
        dg.AssetCheckSpec("matches_source_file", asset="trending_topics", blocking=True,
                          description="The week's stored topics and videos are exactly the file's."),
    ],
)
def weekly_content(context: dg.AssetExecutionContext, config: WeeklyContentConfig, postgres: PostgresResource,
                   content: ContentSource, alerts: AlertsResource):
    """Validate the week's file completely, then write the archive, creators, topics,
    videos and their history in one transaction: a week is written whole or not at all."""
    week = date.fromisoformat(context.partition_key)
    path = Path(config.source_path) if config.source_path else content.path_for(week)
    try:
        if config.archived_sha256:
            with postgres.connect() as conn:
                raw, source_file = archive.read(conn, week, config.archived_sha256)
            path = Path(source_file)
            document = parse_week(raw, path, week, content.limits())
        else:
            document = load_week(path, week, content.limits())
    except ContentError as exc:
        # Bad input will not get better by retrying: fail once, clearly, with nothing written.
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    with postgres.step_connection(context.retry_number, autocommit=True) as conn:
        written = write_week(conn, week, document, alerts.settings().destinations_for("editors"))
        outcome = week_matches_file(conn, week, document)
    imported = ImportedWeek(
        week=week.isoformat(), source_file=str(path), sha256=document.sha256, status=written.status,
        document_shape=document.shape, topics=len(document.topics), videos=len(document.videos),
        creators=len(document.creators), alerts_queued=written.alerts,
    )
    yield dg.MaterializeResult(asset_key="analyzed_content", metadata=imported.as_metadata())
    source = {key: getattr(imported, key) for key in ("source_file", "sha256", "week", "status")}
    for key, changes in (("trending_topics", written.topics), ("top_videos", written.videos),
                         ("creators", written.creators)):
        yield dg.MaterializeResult(asset_key=key, metadata={**source, **changes.as_metadata()})
    yield dg.AssetCheckResult(
        asset_key="trending_topics", check_name="matches_source_file", passed=outcome.passed,
        description=outcome.description, metadata=outcome.metadata,
    )
