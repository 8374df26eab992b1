"""What the dashboard's Chart.js configurations share: axes, palettes and the formats that
static/js/dashboard.js applies (a JSON configuration cannot carry a formatting function, so a
chart names one under the top-level key "format" and the script installs it).

"format": {"x"|"y"|"y1": "money"|"count"|"percent"|"days", "tooltip": same} — money is CNY.
"""

# An axis that counts things (customers, checks, applications): whole numbers from zero.
COUNT_AXIS = {"beginAtZero": True, "ticks": {"precision": 0}}
MONEY_AXIS = {"beginAtZero": True}

# HANDBOOK §8: one colour per ageing bucket (8), from not due (green) to over 730 days (dark red),
# in the order of receivables.collection.ageing.BUCKETS.
AGEING_COLOURS = (
    "#2e7d32",  # not due
    "#9ccc65",  # 1–30
    "#fdd835",  # 31–60
    "#ffa000",  # 61–90
    "#f4511e",  # 91–180
    "#d32f2f",  # 181–365
    "#8e24aa",  # 366–730
    "#4a148c",  # over 730
)
RED, AMBER, GREEN, BLUE, GREY = "#c62828", "#f9a825", "#2e7d32", "#1565c0", "#9e9e9e"


def with_format(chart: dict, **axes: str) -> dict:
    """The chart with its axes' and tooltip's formats (see the module's docstring)."""
    chart["format"] = axes
    return chart
