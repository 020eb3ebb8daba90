"""URL slugs for topic names, stable for any Unicode name."""

import hashlib

from slugify import slugify

MAX_LENGTH = 200
# Apostrophes join words ("Berry's" -> "berrys") instead of splitting them.
_REPLACEMENTS = [["'", ""], ["\u2019", ""]]


def topic_slug(name: str) -> str:
    """`"Ça va? French Butter Debates"` -> `ca-va-french-butter-debates`.

    Transliterates to ASCII (python-slugify with text-unidecode), so the same name
    always gives the same slug. A name with nothing to transliterate (emoji only, say)
    gets a slug from its hash, which is just as stable.
    """
    # The backend named, not "auto": auto prefers Unidecode whenever it happens to be
    # installed (slugs would change with the environment) and looks for it, failing, on
    # every call (a third of a big week's validation time).
    slug = slugify(name, max_length=MAX_LENGTH, word_boundary=True, replacements=_REPLACEMENTS,
                   backend="text-unidecode")
    if slug:
        return slug
    return "topic-" + hashlib.sha256(name.strip().encode("utf-8")).hexdigest()[:12]
