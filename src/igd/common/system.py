"""System libraries (not Python packages) the workflow needs, checked before the first job.

OVITO 3.17 renders the atom snapshots (rule ``snapshots``: Figs. 8a/b, 9a, 11a) through
Vulkan even with its CPU ray tracer (Tachyon): it needs the Vulkan loader
(``libvulkan.so.1``, Debian package ``libvulkan1``) and a Vulkan driver (a driver
manifest in a ``vulkan/icd.d`` directory, e.g. Mesa's CPU driver lavapipe from
``mesa-vulkan-drivers``). Without them the rule fails after every other job has run, so
the workflow asks :func:`check_snapshots` at start-up and stops with
:func:`snapshot_message`: the missing library, the command to install it and the config
switch to run without the snapshots.

Standard library only: ``bin/setup`` runs this file with the system Python before the
virtual environment exists (``python3 src/igd/common/system.py --missing-packages``
prints the Debian packages to install; without arguments it prints the message and exits
1 when something is missing).
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Requirement:
    """A system library the workflow needs: what it is and the Debian package providing it."""

    what: str
    package: str


VULKAN_LOADER = Requirement("the Vulkan loader libvulkan.so.1", "libvulkan1")
VULKAN_DRIVER = Requirement("a Vulkan driver manifest in vulkan/icd.d", "mesa-vulkan-drivers")
SNAPSHOT_PACKAGES = (VULKAN_LOADER.package, VULKAN_DRIVER.package)
"""Debian 12 packages of the snapshots: the loader and Mesa's drivers (CPU: lavapipe)."""

INSTALL = "sudo apt-get install " + " ".join(SNAPSHOT_PACKAGES)
SWITCH = "learning.analysis.snapshot.enabled: false"
SWITCH_YAML = "learning: {analysis: {snapshot: {enabled: false}}}"


class SystemRequirementError(RuntimeError):
    """A system library the workflow needs is missing (the message says what to do)."""


def can_load(name: str, load: Callable[[str], object] | None = None) -> bool:
    """Whether the dynamic loader finds the shared library ``name`` (``dlopen`` through
    ``ctypes.CDLL``, as OVITO does, unless ``load`` is given)."""
    try:
        (load or ctypes.CDLL)(name)
    except OSError:
        return False
    return True


def _paths(value: str | None) -> list[Path]:
    return [Path(p) for p in (value or "").split(os.pathsep) if p]


def vulkan_driver_dirs(environ: Mapping[str, str] | None = None) -> list[Path]:
    """The ``vulkan/icd.d`` directories the Vulkan loader searches on Linux for driver
    manifests (XDG config and data directories, ``/etc``, ``/usr/local/etc``)."""
    env = os.environ if environ is None else environ
    home = Path(env.get("HOME", "~")).expanduser()
    bases = _paths(env.get("XDG_CONFIG_HOME")) or [home / ".config"]
    bases += _paths(env.get("XDG_CONFIG_DIRS")) or [Path("/etc/xdg")]
    bases += [Path("/usr/local/etc"), Path("/etc")]
    bases += _paths(env.get("XDG_DATA_HOME")) or [home / ".local" / "share"]
    bases += _paths(env.get("XDG_DATA_DIRS")) or [Path("/usr/local/share"), Path("/usr/share")]
    return [base / "vulkan" / "icd.d" for base in bases]


def vulkan_driver_manifests(environ: Mapping[str, str] | None = None) -> list[Path]:
    """Vulkan driver manifests (``*.json``) the loader would use. ``VK_DRIVER_FILES`` (or
    the older ``VK_ICD_FILENAMES``) replaces the search directories, as for the loader;
    otherwise ``VK_ADD_DRIVER_FILES`` adds to them. Entries are files or directories."""
    env = os.environ if environ is None else environ
    explicit = env.get("VK_DRIVER_FILES") or env.get("VK_ICD_FILENAMES")
    if explicit:
        places = _paths(explicit)
    else:
        places = vulkan_driver_dirs(env) + _paths(env.get("VK_ADD_DRIVER_FILES"))
    found: list[Path] = []
    for place in places:
        try:
            if place.is_dir():
                found += sorted(place.glob("*.json"))
            elif place.is_file():
                found.append(place)
        except OSError:                  # unreadable: the loader cannot use it either
            continue
    return found


def missing_for_snapshots(load: Callable[[str], object] | None = None,
                          environ: Mapping[str, str] | None = None,
                          platform: str | None = None) -> list[Requirement]:
    """What OVITO's renderer lacks here: :data:`VULKAN_LOADER` and/or
    :data:`VULKAN_DRIVER` (empty when both are found, and off Linux, where this module
    does not know where the libraries live)."""
    if not (platform or sys.platform).startswith("linux"):
        return []
    missing = []
    if not can_load("libvulkan.so.1", load):
        missing.append(VULKAN_LOADER)
    if not vulkan_driver_manifests(environ):
        missing.append(VULKAN_DRIVER)
    return missing


def snapshot_message(missing: Sequence[Requirement]) -> str:
    """What the user reads when the snapshots cannot be rendered: the missing libraries
    (with their Debian packages), the command to install them, and the config switch to
    run without the snapshots."""
    lacks = " and ".join(f"{r.what} (package {r.package})" for r in missing)
    return (
        "The OVITO atom snapshots (rule snapshots: Figs. 8a/b, 9a, 11a) cannot be rendered "
        f"on this machine: missing {lacks}.\n"
        f"Either install them:  {INSTALL}   (or: sudo bash bin/setup --system)\n"
        f"or run without the snapshots: set  {SWITCH}  in the config, e.g. with an extra "
        f"config file:  echo '{SWITCH_YAML}' > no-snapshots.yaml  and add  --configfile "
        "no-snapshots.yaml  (after your other config files). The snapshot figures then say "
        "they were skipped."
    )


def check_snapshots(**kwargs) -> None:
    """Raise :class:`SystemRequirementError` (:func:`snapshot_message`) when OVITO's
    renderer lacks a system library; ``kwargs`` go to :func:`missing_for_snapshots`."""
    missing = missing_for_snapshots(**kwargs)
    if missing:
        raise SystemRequirementError(snapshot_message(missing))


def main(argv: Sequence[str] | None = None) -> int:
    """``--missing-packages``: print the Debian packages to install (one line, maybe empty);
    otherwise print the message to stderr when something is missing. Exit 1 if so."""
    argv = sys.argv[1:] if argv is None else list(argv)
    missing = missing_for_snapshots()
    if "--missing-packages" in argv:
        print(" ".join(r.package for r in missing))
    elif missing:
        print(snapshot_message(missing), file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
