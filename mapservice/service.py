"""The composition root: settings checked, layers loaded, store opened and initialised.

:func:`open_service` is the one way the app, every CLI command, the benches and the tests get
at the data, so that each sees the same validated settings and the same layer definitions.
"""
from __future__ import annotations

from dataclasses import dataclass

from .layers import LayerRegistry, load_layers
from .settings import Settings
from .store import Store, open_store


@dataclass
class Service:
    """What a running Yuren Map holds: its settings, its layers and its store."""

    settings: Settings
    layers: LayerRegistry
    store: Store

    def load_demo_if_empty(self, progress=None) -> list:
        """Load the demo region when the settings allow it and the store holds nothing yet.

        Returns one :class:`~mapservice.importer.ImportReport` per layer (none when nothing was loaded).
        """
        if not self.settings.load_demo or any(self.store.counts().values()):
            return []
        from .demo import load_demo

        return load_demo(self.store, progress=progress)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_service(settings: Settings | None = None) -> Service:
    """The service for ``settings`` (default: from the ``MAPSERVICE_*`` environment variables).

    Raises :class:`~mapservice.settings.SettingsError` for bad settings and
    :class:`~mapservice.errors.LayerConfigError` for a malformed layer file, before any store is opened.
    """
    settings = settings if settings is not None else Settings.from_env()
    settings.check()
    layers = load_layers(settings.layers_dir or None)
    store = open_store(settings, layers)
    try:
        store.init()
    except BaseException:
        store.close()
        raise
    return Service(settings, layers, store)
