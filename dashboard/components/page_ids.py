"""Element ids used inside the pages beyond the stable public ones in dashboard.ids.

Ids that vary (one per column, per order-log field, per share link) are built by the functions at
the bottom, so a page and its callbacks always agree on their shape.
"""

# home: the upload being read, then the settings form
UPLOAD_BLOCK = "upload-block"
UPLOAD_READING = "upload-reading"
UPLOAD_WAITING = "upload-waiting"
UPLOAD_POLL = "upload-poll"
UPLOAD_REF = "upload-ref"
UPLOAD_ACCEPT = "upload-accept"
FEATURES = "settings-features"
ID_COLUMN = "settings-id-column"
ORDERS_MODE = "settings-orders"
ORDERS_PANEL = "settings-orders-panel"
TABLE_PANEL = "settings-table-panel"
ORDER_AS_OF = "settings-order-as-of"
METHOD = "settings-method"
K = "settings-k"
DEPTH = "settings-depth"
SEED = "settings-seed"
RUN_MESSAGE = "run-message"
ORDER_FIELDS = ("customer", "date", "amount", "quantity", "category", "order")

# run and share pages
VIEW_REF = "view-ref"
VIEW_LOCATION = "view-location"
RUN_BODY = "run-body"
RUN_RETRY = "run-retry"
RUN_ELAPSED = "run-elapsed"
RUN_DELETE = "run-delete"
RUN_DELETE_CONFIRM = "run-delete-confirm"
RUN_DELETE_MESSAGE = "run-delete-message"
TAB_CONTENT = "tab-content"
PAIR_DEFAULTS = "pair-defaults"
SHARE_EXPIRY = "share-expiry"
SHARE_MESSAGE = "share-message"
SHARE_COPY = "share-copy"
SHARE_COPY_STATUS = "share-copy-status"
SQL_COPY = "rules-sql-copy"
SQL_COPY_STATUS = "rules-sql-copy-status"
RULES_SQL_TEXT = "rules-sql-text"
SEGMENT_SIZE_GRAPH = "segment-size-graph"
STRUCTURE_VERDICT = "structure-verdict"
DEPTH_COSTS = "depth-costs"
K_SWITCHER = "k-switcher"
K_OPTION = "k-option"
K_OPTIONS = "k-options"
VISIBILITY_WARNING = "run-visibility-warning"
SEGMENT_NAME = "segment-name"
RENAME_INPUT = "rename-input"
RENAME_SAVE = "rename-save"
RENAME_MESSAGE = "rename-message"

ROLE_SELECT = "role-select"
SHARE_ROW = "share-row"
SHARE_REVOKE = "share-revoke"


def k_option(k: int) -> dict:
    """The block of one candidate k's segments under the k switcher."""
    return {"type": K_OPTION, "index": int(k)}


def tab_button(key: str) -> str:
    """The button of one tab of a run's report ("run-tab-rules")."""
    return f"run-tab-{key}"


def segment_name(segment_id: int) -> dict:
    """The heading holding a segment's name on its card."""
    return {"type": SEGMENT_NAME, "index": int(segment_id)}


def rename_input(segment_id: int) -> dict:
    """The owner's text field for a segment's new name."""
    return {"type": RENAME_INPUT, "index": int(segment_id)}


def rename_save(segment_id: int) -> dict:
    """The button that saves a segment's new name."""
    return {"type": RENAME_SAVE, "index": int(segment_id)}


def rename_message(segment_id: int) -> dict:
    """What the rename of a segment answered (saved, or what to change)."""
    return {"type": RENAME_MESSAGE, "index": int(segment_id)}


def order_field(name: str) -> str:
    """The column dropdown of one order-log field ("customer", "date", "amount", ...)."""
    return f"settings-order-{name}"


def role_select(index: int) -> dict:
    """The role dropdown of the preview's column number `index`."""
    return {"type": ROLE_SELECT, "index": index}


def share_row(share_id: str) -> dict:
    """The list item of one share link."""
    return {"type": SHARE_ROW, "index": share_id}


def share_revoke(share_id: str) -> dict:
    """The revoke button of one share link."""
    return {"type": SHARE_REVOKE, "index": share_id}
