"""Weekly documents the importer must refuse or accept, shared by the loading tests and
the contract test (which shows the published schema decides them the same way)."""

import json

# Names and text that break naive code: quoting, escapes, format strings, control and
# invisible characters, scripts and emoji.
HOSTILE = [
    "Robert'); DROP TABLE trending_topics;--",
    'Quotes "double" and \'single\' and `back`',
    "Backslash \\ and \\\\ and \\x00 spelled out",
    "100% carnivore, 0% plants; %s %(name)s {} {0}",
    "Tab\tnewline\ncarriage\rreturn",
    "Zero\u200bwidth, RTL \u202eoverride, BOM \ufeff, SOH \u0001",
    "Emoji 🥩🧈 and CJK 肉食 and Ça",
]


def topic(name="Lion Diet (Beef, Salt, Water)", score=80, **extra):
    return {"topic": name, "engagement_score": score, "mentioned_by": ["Dr. Ken Berry"], **extra}


def video(video_id="abc123", views=91500, **extra):
    return {"video_id": video_id, "title": "If I Started Carnivore in 2026...", "creator": "Anthony Chaffee MD",
            "views": views, "tags": ["beginners"], **extra}


def nested(topics=None, videos=None, **extra):
    sections = {"trending_topics": topics if topics is not None else [topic()],
                "top_videos": videos if videos is not None else [video()]}
    return {"analysis_date": "2026-11-16T10:05:00Z", "analysis": sections, **extra}


def _deep(levels: int):
    value = "bottom"
    for _ in range(levels):
        value = [value]
    return value


# (document, the JSON path the error names, words of the rule, the value as shown)
BAD_FIELDS = [
    (nested(topics=[topic(), topic("B"), topic("C"), topic("D", score=150)]),
     "analysis.trending_topics[3].engagement_score", "less than or equal to 100", "150"),
    (nested(topics=[topic(score="95")]), "analysis.trending_topics[0].engagement_score", "valid integer", '"95"'),
    (nested(topics=[topic(score=95.5)]), "analysis.trending_topics[0].engagement_score", "valid integer", "95.5"),
    (nested(topics=[topic(score=True)]), "analysis.trending_topics[0].engagement_score", "valid integer", "true"),
    (nested(topics=[topic(name="   ")]), "analysis.trending_topics[0].topic", "not whitespace", '"   "'),
    (nested(topics=[topic(name="\u3000\u2003\n")]), "analysis.trending_topics[0].topic", "not whitespace",
     '"\u3000\u2003\\n"'),
    (nested(topics=[topic(name="Butter" * 100)]), "analysis.trending_topics[0].topic", "at most 500 characters",
     '"ButterButter'),
    (nested(topics=[topic(mentioned_by="Dr. Ken Berry")]), "analysis.trending_topics[0].mentioned_by",
     "valid list", '"Dr. Ken Berry"'),
    (nested(topics=[{"engagement_score": 5}]), "analysis.trending_topics[0].topic", "Field required", "(missing)"),
    (nested(videos=[{"title": "T", "views": 1}]), "analysis.top_videos[0].video_id", "Field required", "(missing)"),
    (nested(videos=[video(views=-3)]), "analysis.top_videos[0].views", "greater than or equal to 0", "-3"),
    (nested(videos=[video(views=2**63)]), "analysis.top_videos[0].views", "less than or equal to 9223372036854775807",
     str(2**63)),
    (nested(videos=[video(comment_sentiment={"positive_percent": 120})]),
     "analysis.top_videos[0].comment_sentiment.positive_percent", "less than or equal to 100", "120"),
    (nested(videos=[video(comment_sentiment={"positive_percent": "60"})]),
     "analysis.top_videos[0].comment_sentiment.positive_percent", "valid number", '"60"'),
    ({"analysis": {"trending_topics": {"topic": "x"}}}, "analysis.trending_topics", "valid list", '{"topic": "x"}'),
    ({"analysis": []}, "analysis", "valid dictionary", "[]"),
    ({"trending_topics": [topic(engagement_score=-1)]}, "trending_topics[0].engagement_score",
     "greater than or equal to 0", "-1"),
    ({**nested(), "analysis_date": "last monday"}, "analysis_date", "ISO 8601", '"last monday"'),
    ({**nested(), "analysis_date": "2027-02-29"}, "analysis_date", "ISO 8601", '"2027-02-29"'),
    ({**nested(), "analysis_date": "2026-11-16T24:00:00Z"}, "analysis_date", "ISO 8601", '"2026-11-16T24:00:00Z"'),
    ({**nested(), "analysis_date": "1999-12-27"}, "analysis_date", "2000-2099", '"1999-12-27"'),
]

# Documents that are JSON but not a week: (document or its text, words of the error)
REFUSED = [
    ([1, 2, 3], "(top level): expected a JSON object, got an array"),
    ({"analysis": {"trending_topics": [], "top_videos": []}}, "no trending topics and no top videos"),
    ({"trending_topics": [topic()], "appendix": _deep(40)}, "appendix" + "[0]" * 32 + ": nested more than 32 levels"),
    (nested(topics=[topic(notes=_deep(30))]), "nested more than 32 levels"),  # one more than ACCEPTED has
    (nested(topics=[topic(name="Nul \u0000 byte")]), "analysis.trending_topics[0].topic: contains a NUL character"),
    (nested(topics=[topic(notes={"k\u0000": 1})]), "contains a NUL character"),
    (nested(topics=[topic(name="Half \ud83e a pair")]), "contains an unpaired surrogate (\\ud83e)"),
    ('{"trending_topics": [{"topic": "A", "engagement_score": 5, "reach": 1e400}]}',
     "the number 1e400 is out of range"),
    ('{"trending_topics": [{"topic": "A", "engagement_score": 5, "reach": [0.5E+1000]}]}',
     "the number 0.5E+1000 is out of range"),
    ('{"trending_topics": [{"topic": "A", "engagement_score": 5, "reach": -' + "9" * 309 + '}]}',
     "the number -" + "9" * 39 + " is out of range"),
]

# Each breaks a rule between items, which the published schema names but cannot state.
CROSS_ITEM = [
    (nested(topics=[topic("Fat & Butter"), topic("Fat Butter")]),
     r"trending_topics\[1\]\.topic: .* same slug 'fat-butter' as trending_topics\[0\]"),
    (nested(videos=[video(), video()]), r"top_videos\[1\]\.video_id: 'abc123' is already top_videos\[0\]"),
]

# Edges the importer accepts: (document or its text, why it is a week)
ACCEPTED = [
    ('{"trending_topics": [{"topic": "A", "engagement_score": 5, "id": "v078e259", "tiny": 1e-400, "big": 1e300,'
     ' "long": ' + "9" * 308 + '}]}', "numbers a double holds, and exponent-like text in strings"),
    (nested(topics=[topic(score=80.0)], videos=[video(views=1e5)]), "JSON has one number type: 80.0 is 80"),
    ({**nested(), "analysis_date": "2026-11-16"}, "a date without a time"),
    ({**nested(), "analysis_date": "2028-02-29T23:59:59.123456789-05:00"}, "a leap day, a fraction and an offset"),
    ({**nested(), "analysis_date": None}, "no analysis_date"),
    (nested(topics=[topic(name="  Padded \u00a0")]), "surrounding whitespace is dropped"),
    (nested(topics=[topic(name="\u001c")]), "U+001C is not Unicode whitespace (Python's isspace says it is)"),
    (nested(topics=[topic(name="Steak \U0001f969", notes=_deep(29))]),
     "an emoji as an escaped pair, and notes as deep as the limit (33 levels with the four above them)"),
    ({"trending_topics": [], "top_videos": [video()], "analysis_note": "flat, videos only"}, "a week of videos"),
    ('{"trending_topics": [{"topic": "A", "engagement_score": 5, "reach": 1e300, "tiny": 1e-400}]}',
     "large and tiny numbers a double holds"),
]


def text_of(document) -> str:
    """The file's text: documents are written as Python's json writes them by default
    (non-ASCII as \\u escapes, so U+0000 and surrogates are escapes, as in a real file)."""
    return document if isinstance(document, str) else json.dumps(document)
