"""How apps plug into the shared pages without the foundation knowing them.

Each app registers, from its AppConfig.ready(): navigation entries, "my work" queues, dossier
tabs and demo-data seeders. Every entry names the authority action that decides who sees it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NavItem:
    label: Any
    url_name: str
    action: str
    order: int = 100


@dataclass
class QueueItem:
    label: str
    url: str
    due: Any = None  # a datetime or date, shown with the item
    overdue: bool = False
    detail: str = ""


@dataclass
class QueueSection:
    title: Any
    items: list[QueueItem] = field(default_factory=list)
    total: int | None = None  # the full count when `items` is only the first few
    url: str = ""

    @classmethod
    def of(cls, title, qs, make, *, shown: int = 20, url: str = "") -> "QueueSection":
        """The queue `qs` as a section: its first `shown` rows, each made an item by `make`, and
        its total, counted only when those rows fill the section (a short queue is its rows)."""
        rows = list(qs[:shown])
        total = len(rows) if len(rows) < shown else qs.count()
        return cls(title=title, items=[make(row) for row in rows], total=total, url=url)

    @property
    def count(self) -> int:
        return self.total if self.total is not None else len(self.items)

    @property
    def overdue_count(self) -> int:
        return sum(1 for item in self.items if item.overdue)


@dataclass(frozen=True)
class DossierTab:
    key: str
    label: Any
    url_name: str  # reversed with the customer's pk
    action: str  # checked against the customer
    order: int = 100


NAV: list[NavItem] = []
WORK_QUEUES: list[Callable[[Any], list[QueueSection]]] = []
DOSSIER_TABS: list[DossierTab] = []
DEMO_SEEDERS: list[tuple[int, Callable[..., None]]] = []
# func(user, customer) -> list of {"label": ..., "tone": "ok"|"warn"|"danger"|"level-N", "url": ...}
DOSSIER_BADGES: list[Callable[[Any, Any], list[dict]]] = []


def register_nav(item: NavItem) -> None:
    if item not in NAV:
        NAV.append(item)
        NAV.sort(key=lambda i: i.order)


def register_work_queue(func: Callable[[Any], list[QueueSection]]) -> None:
    if func not in WORK_QUEUES:
        WORK_QUEUES.append(func)


def register_dossier_tab(tab: DossierTab) -> None:
    if tab not in DOSSIER_TABS:
        DOSSIER_TABS.append(tab)
        DOSSIER_TABS.sort(key=lambda t: t.order)


def register_dossier_badge(func: Callable[[Any, Any], list[dict]]) -> None:
    """Badges in the header of every page about one customer (credit status, warning level …)."""
    if func not in DOSSIER_BADGES:
        DOSSIER_BADGES.append(func)


def register_demo_seeder(order: int, func: Callable[..., None]) -> None:
    """`func(stdout)` fills demo data for its app; seeders run by ascending order."""
    if all(f is not func for _o, f in DEMO_SEEDERS):
        DEMO_SEEDERS.append((order, func))
        DEMO_SEEDERS.sort(key=lambda pair: pair[0])


@dataclass
class DashboardPanel:
    """One panel of the "my work" dashboard: a Chart.js chart and/or a few key figures.

    `chart` is a Chart.js configuration ({"type": "bar", "data": {"labels": [...], "datasets":
    [{"label": ..., "data": [...]}]}, "options": {...}}); labels must be plain (translated) strings.
    `figures` is a list of (label, value) shown as numbers. `tone` colours the figures.
    """

    key: str
    title: Any
    chart: dict | None = None
    figures: list[tuple[Any, Any]] = field(default_factory=list)
    url: str = ""
    order: int = 100


# func(user) -> DashboardPanel | list[DashboardPanel] | None (None: nothing for this user)
DASHBOARD_PANELS: list[Callable[[Any], Any]] = []


def register_dashboard_panel(func: Callable[[Any], Any]) -> None:
    """A panel on the landing page; the function decides per user (role) what it shows."""
    if func not in DASHBOARD_PANELS:
        DASHBOARD_PANELS.append(func)


def dashboard_panels(user) -> list[DashboardPanel]:
    panels: list[DashboardPanel] = []
    for func in DASHBOARD_PANELS:
        result = func(user)
        if result is None:
            continue
        panels.extend(result if isinstance(result, list | tuple) else [result])
    return sorted(panels, key=lambda p: p.order)


def panel_link(user, action: str, url_name: str, *args) -> str:
    """The page behind a panel, only when this user may open it ('' otherwise: no dead link)."""
    from django.urls import reverse

    from .authority import may

    return reverse(url_name, args=args) if may(user, action) else ""
