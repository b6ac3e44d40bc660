"""The plugin manager: built-in plugins, entry-point plugins, and the one typed way to call hooks.

Environment (read when :func:`get_plugin_manager` is called, never at import):

``ISTHMUS_PLUGINS_DISABLED``  comma-separated plugin names not to load (built-in or entry point).
``ISTHMUS_PLUGINS_ALLOW``     when set, only these entry-point plugins load (built-ins always do,
                              unless disabled); an allow-list for locked-down deployments.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
from collections.abc import Iterable, Mapping
from typing import Any

import pluggy

from isthmus.connectors import hookspecs
from isthmus.connectors.sdk import Connector, RecordTransform

log = logging.getLogger("isthmus.plugins")

ENTRY_POINT_GROUP = "isthmus"
DISABLED_ENV = "ISTHMUS_PLUGINS_DISABLED"
ALLOW_ENV = "ISTHMUS_PLUGINS_ALLOW"

# Isthmus' own features, registered through the same hooks third parties use.
BUILTIN_PLUGINS = ("isthmus.connectors.builtin",)


class PluginError(Exception):
    """A plugin is broken: an unknown hook, a duplicate connector name, a failing import."""


class PluginManager:
    """Typed access to the hooks; the rest of the code never touches ``pm.hook`` directly."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm

    @property
    def plugin_names(self) -> list[str]:
        return sorted(name for name, _ in self.pm.list_name_plugin() if name)

    def connectors(self) -> dict[str, type[Connector]]:
        found: dict[str, type[Connector]] = {}
        for batch in self.pm.hook.register_connectors():
            for cls in batch or ():
                if not (isinstance(cls, type) and issubclass(cls, Connector)):
                    raise PluginError(f"register_connectors returned {cls!r}, not a Connector subclass")
                if cls.name in found and found[cls.name] is not cls:
                    raise PluginError(f"two plugins register a connector named {cls.name!r}")
                found[cls.name] = cls
        return found

    def connector(self, name: str) -> type[Connector]:
        found = self.connectors()
        if name not in found:
            known = ", ".join(sorted(found)) or "none installed"
            raise KeyError(f"no connector named {name!r} (installed: {known})")
        return found[name]

    def transforms(self, connector: str, stream: str, config: Mapping[str, Any]) -> list[RecordTransform]:
        # pluggy calls the last registered first; reverse so transforms run in registration order.
        results = self.pm.hook.transform_record(connector=connector, stream=stream, config=dict(config))
        return [t for t in reversed(results) if t is not None]

    def match_comparators(self) -> list[Any]:
        return [c for batch in self.pm.hook.register_match_comparators() for c in (batch or ())]

    def register(self, plugin: object, name: str | None = None) -> None:
        """Add a plugin object (tests and embedding applications)."""
        self.pm.register(plugin, name=name)
        self.pm.check_pending()


def _names(value: str | None) -> set[str]:
    return {part.strip() for part in (value or "").split(",") if part.strip()}


def get_plugin_manager(
    environ: Mapping[str, str] | None = None,
    *,
    builtins: Iterable[str] = BUILTIN_PLUGINS,
    entry_points: bool = True,
) -> PluginManager:
    env = os.environ if environ is None else environ
    disabled = _names(env.get(DISABLED_ENV))
    allow = _names(env.get(ALLOW_ENV)) if env.get(ALLOW_ENV) is not None else None

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for module_name in builtins:
        if module_name in disabled:
            continue
        pm.register(importlib.import_module(module_name), name=module_name)
    if entry_points:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in disabled or (allow is not None and ep.name not in allow):
                log.info(
                    "plugin %s not loaded (%s)", ep.name, "disabled" if ep.name in disabled else "not allowed"
                )
                pm.set_blocked(ep.name)
                continue
            if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                raise PluginError(f"plugin {ep.name!r} ({ep.value}) failed to load: {exc}") from exc
            pm.register(plugin, name=ep.name)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"{exc} (a misspelt hook name?)") from exc
    return PluginManager(pm)
