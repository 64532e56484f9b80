"""The labels read as "missing": the core's cleaning and the rules' SQL use the same list.

Compared after trimming spaces and lower-casing. pandas' CSV reader already turns most of these
into NaN; they are listed again for tables read by other tools (and for the SQL).
"""

NULL_MARKERS: tuple[str, ...] = (
    "", "na", "n/a", "nan", "null", "none", "-", "--", "?", "#n/a", "missing", "<na>",
)
