"""Before Qt starts on Linux: are the system libraries its X11 (xcb) platform plugin needs there?

Without them Qt aborts with "could not load the Qt platform plugin "xcb"" and a hint that names
only libxcb-cursor0, even when another library is the one missing. The app checks first (no Qt
here: ``ctypes`` tries to load each library) and prints the one ``apt`` line that fixes it.
"""
from __future__ import annotations

import ctypes
import os
import sys

# the shared libraries Qt's xcb plugin links against (readelf -d libqxcb.so libQt6XcbQpa.so.6),
# with the Debian/Ubuntu package that provides each
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0", "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0", "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0", "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0", "libxcb-sync.so.1": "libxcb-sync1", "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0", "libxcb-xkb.so.1": "libxcb-xkb1", "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0", "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1", "libGL.so.1": "libgl1", "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1", "libdbus-1.so.3": "libdbus-1-3",
}
APT_LINE = "sudo apt install " + " ".join(sorted(set(XCB_LIBRARIES.values())))


def _loadable(name: str, load=None) -> bool:
    try:
        (load or ctypes.CDLL)(name)
    except OSError:
        return False
    return True


def uses_xcb(platform: str | None = None, environ=None) -> bool:
    """Whether Qt will start its X11 (xcb) plugin: Linux, no other platform asked for, not Wayland."""
    platform = sys.platform if platform is None else platform
    environ = os.environ if environ is None else environ
    if not platform.startswith("linux"):
        return False
    requested = environ.get("QT_QPA_PLATFORM", "").strip().lower()
    if requested:
        return requested.startswith("xcb")
    return not environ.get("WAYLAND_DISPLAY")  # a Wayland session: Qt uses its Wayland plugin


def missing_packages(load=None) -> list[str]:
    """The packages whose libraries cannot be loaded (empty when all of them can)."""
    return sorted({package for name, package in XCB_LIBRARIES.items() if not _loadable(name, load)})


def platform_problem(platform: str | None = None, environ=None, load=None) -> str | None:
    """Why the app's window cannot open on this desktop, in words that say what to do; None when it can.

    ``platform`` (``sys.platform``), ``environ`` (``os.environ``) and ``load`` (``ctypes.CDLL``)
    are parameters so tests can play any desktop.
    """
    environ = os.environ if environ is None else environ
    if not uses_xcb(platform, environ):
        return None
    missing = missing_packages(load)
    if missing:
        return ("Neural Playground cannot open its window: Qt needs system libraries that are not "
                f"installed ({', '.join(missing)}).\nInstall them and start it again:\n\n"
                f"    sudo apt install {' '.join(missing)}\n\n"
                f"(All the libraries the app needs on Linux: {APT_LINE})")
    if not environ.get("DISPLAY"):
        return ("Neural Playground cannot open its window: no X11 display was found (DISPLAY is not set).\n"
                "Start it from a desktop session, or run it headless with QT_QPA_PLATFORM=offscreen.")
    return None
