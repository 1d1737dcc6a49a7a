"""The canonical column names of an event log (XES names) and its time dtype.

The bottom of the package: every layer reads them from here (``procmine.log`` re-exports
them), so that low modules need not import the log class to name a column.
"""

CASE = "case:concept:name"
ACTIVITY = "concept:name"
TIMESTAMP = "time:timestamp"
START = "start_timestamp"
RESOURCE = "org:resource"
GROUP = "org:group"
LIFECYCLE = "lifecycle:transition"

#: role name (as used in ``read_log`` arguments) -> canonical column
ROLE_COLUMNS: dict[str, str] = {
    "case": CASE,
    "activity": ACTIVITY,
    "timestamp": TIMESTAMP,
    "start_timestamp": START,
    "resource": RESOURCE,
    "org": GROUP,
    "lifecycle": LIFECYCLE,
}

TS_DTYPE = "datetime64[us, UTC]"
