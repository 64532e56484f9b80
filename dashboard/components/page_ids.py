"""Element ids used inside the pages beyond the stable public ones in dashboard.ids.

Ids that vary (one per column, per order-log field, per share link) are built by the functions at
the bottom, so a page and its callbacks always agree on their shape.
"""

# home: the settings form
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
TAB_CONTENT = "tab-content"
PAIR_DEFAULTS = "pair-defaults"
SHARE_EXPIRY = "share-expiry"
SHARE_MESSAGE = "share-message"

ROLE_SELECT = "role-select"
SHARE_ROW = "share-row"
SHARE_REVOKE = "share-revoke"


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
