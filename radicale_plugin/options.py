"""The plugin's options, declared and typed in Radicale's ``[storage]`` section.

``tmscal_config``
    Path of the bridge's configuration file (TMS, mirror, booking model, room rights).
``tmscal_syncer``
    Whether this process runs the background syncer (default yes; set no when a separate
    ``tmscal sync --watch`` keeps the mirror fresh).
"""

from __future__ import annotations

PLUGIN_CONFIG_SCHEMA = {
    "storage": {
        "tmscal_config": {
            "value": "",
            "help": "path of the tmscal bridge configuration file",
            "type": str},
        "tmscal_syncer": {
            "value": "True",
            "help": "run the background TMS syncer in this process",
            "type": bool},
    },
}


def config_path(configuration) -> str:
    """``[storage] tmscal_config`` from a Radicale configuration, typed or raw."""
    try:
        value = configuration.get("storage", "tmscal_config")
    except KeyError:
        value = ""
    if not value:
        raise RuntimeError("[storage] tmscal_config must name the tmscal configuration file")
    return str(value)
