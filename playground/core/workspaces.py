"""Workspaces: the window's panels in three arrangements, one per task (no Qt: the window lays them out).

With the chapter's labs the window holds some fifteen panels, too many for two tab groups. As Qt
Creator's modes or Blender's workspaces, a bar at the top switches between

- **Train**: set up the data, the network and the recipe on the left, train and evaluate on the
  right, and draw a digit under the curves (in view, not behind a tab);
- **Learn**: the chapter guide and the console on the left, the labs of sections 2.3 and 2.4 on
  the right, in the book's order;
- **Inspect**: the test results, your own digits and the runs on the left, inside the network on
  the right.

Each workspace is data: columns from left to right, each a share of the width and a list of
stacks from top to bottom; a stack is a tab group (a share of its column's height, its tabs, the
tab in front). Panels are named by their dock's title (the window's ``DOCKS``); a name the window
does not have is skipped (``present``), so a panel can be listed here before it exists. A panel
may live in several workspaces (Evaluate is in Train and Inspect); each workspace keeps its own
arrangement once the learner changes it (the window saves one dock state per workspace).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Stack:
    """A tab group: ``tabs`` in order, ``front`` on top (the first tab unless said)."""

    tabs: tuple[str, ...]
    share: float = 1.0  # of the column's height
    front: str | None = None

    @property
    def shown_first(self) -> str:
        return self.front if self.front in self.tabs else self.tabs[0]


@dataclass(frozen=True)
class Column:
    stacks: tuple[Stack, ...]
    share: float = 1.0  # of the window's width


@dataclass(frozen=True)
class Workspace:
    name: str  # the bar's text and the saved key: "Train"
    shortcut: str  # "Ctrl+1"
    tooltip: str
    columns: tuple[Column, ...] = field(default=())

    @property
    def key(self) -> str:
        """The lowercase name objectNames use: ``trainWorkspaceAction``."""
        return self.name.lower()

    @property
    def action_name(self) -> str:
        return f"{self.key}WorkspaceAction"

    def panels(self) -> tuple[str, ...]:
        """Every panel of the workspace, left to right, top to bottom."""
        return tuple(title for column in self.columns for stack in column.stacks for title in stack.tabs)

    def holds(self, title: str) -> bool:
        return title in self.panels()

    def present(self, exists: Callable[[str], bool] | Iterable[str]) -> Workspace:
        """The same arrangement without the panels that do not exist (and stacks or columns left empty)."""
        has = exists if callable(exists) else set(exists).__contains__
        columns = []
        for column in self.columns:
            stacks = []
            for stack in column.stacks:
                tabs = tuple(title for title in stack.tabs if has(title))
                if tabs:
                    front = stack.front if stack.front in tabs else None
                    stacks.append(Stack(tabs, stack.share, front))
            if stacks:
                columns.append(Column(tuple(stacks), column.share))
        return Workspace(self.name, self.shortcut, self.tooltip, tuple(columns))


TRAIN = Workspace(
    "Train", "Ctrl+1", "Set up the data, the network and the recipe, train, evaluate and draw (Ctrl+1)",
    (Column((Stack(("Data", "Network", "Optimizer"), front="Network"),), share=0.4),
     Column((Stack(("Training", "Evaluate"), share=0.43), Stack(("Draw",), share=0.57)), share=0.6)),  # all of Draw at 1080
)
LEARN = Workspace(
    "Learn", "Ctrl+2", "The chapter guide, the tensor console and the labs of sections 2.3 and 2.4 (Ctrl+2)",
    (Column((Stack(("Guide",), share=0.55), Stack(("Console",), share=0.45)), share=0.36),
     Column((Stack(("Shapes", "Reshape", "Geometry", "Gradient", "Backprop")),), share=0.64)),  # the book's order
)
INSPECT = Workspace(
    "Inspect", "Ctrl+3", "The test results, your own digits, the runs and what is inside the network (Ctrl+3)",
    (Column((Stack(("Evaluate", "My digits", "Runs")),), share=0.45),  # the full MNIST's confusion matrix wants 580 px
     Column((Stack(("Inside",)),), share=0.55)),
)
WORKSPACES = (TRAIN, LEARN, INSPECT)
DEFAULT = TRAIN.name


def names() -> tuple[str, ...]:
    return tuple(workspace.name for workspace in WORKSPACES)


def named(name) -> Workspace:
    """The workspace called ``name``; anything else (a stale or damaged setting) gives the default."""
    for workspace in WORKSPACES:
        if isinstance(name, str) and name.strip().lower() == workspace.key:
            return workspace
    return named(DEFAULT)


def home_of(title: str, current: str | None = None) -> str | None:
    """The workspace to show panel ``title`` in: the current one if it holds the panel, else the
    first that does (None for a panel no workspace holds)."""
    if current is not None and named(current).name == current and named(current).holds(title):
        return current
    return next((workspace.name for workspace in WORKSPACES if workspace.holds(title)), None)


def homeless(titles: Iterable[str]) -> list[str]:
    """The panels no workspace holds (the window's View menu still reaches them; a test wants none)."""
    return [title for title in titles if home_of(title) is None]


def newcomers(name: str, known: Iterable[str], exists: Callable[[str], bool] | Iterable[str]) -> list[tuple[str, str | None, int]]:
    """The panels of workspace ``name`` that a saved layout does not know (added to the app after it
    was saved: the Runs panel, say), each as (title, a known panel of its stack to tab it beside or
    None, its column's index), so they join the learner's layout where the default would put them."""
    known = set(known)
    found = []
    for index, column in enumerate(named(name).present(exists).columns):
        for stack in column.stacks:
            partner = next((title for title in stack.tabs if title in known), None)
            found += [(title, partner, index) for title in stack.tabs if title not in known]
    return found


def state_key(name: str) -> str:
    """Where a workspace's dock state is saved (``QSettings``)."""
    return f"workspaces/{named(name).key}/state"


def docks_key(name: str) -> str:
    """Where the docks a workspace's saved state knows are listed (their objectNames)."""
    return f"workspaces/{named(name).key}/docks"


CURRENT_KEY = "workspaces/current"
