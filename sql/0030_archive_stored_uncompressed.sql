-- The archived file is stored out of line without compression: pglz spent 0.1 s of a
-- big week's import (6 MB) compressing text that is read only to replay a week. A
-- usual week is tens of kilobytes, so the disk given up is small; rows archived before
-- keep their compression. SET STORAGE changes only the catalog.

ALTER TABLE analyzed_content_weeks ALTER COLUMN raw_content SET STORAGE EXTERNAL;
