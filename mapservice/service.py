"""The composition root: settings checked, layers loaded, store opened and initialised.

:func:`open_service` is the one way the app, every CLI command, the benches and the tests get
at the data, so that each sees the same validated settings and the same layer definitions.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from .errors import Unavailable
from .layers import LayerRegistry, load_layers
from .settings import Settings
from .store import Store, open_store

#: While the store is away, :meth:`Service.ensure_ready` tries to initialise it at most this often (seconds).
READY_RETRY_S = 0.5


@dataclass
class Service:
    """What a running Yuren Map holds: its settings, its layers and its store.

    ``ready`` is False while the store has not been initialised because its database was away:
    :meth:`ensure_ready` tries again, so a server starts without its database and recovers on its own.
    """

    settings: Settings
    layers: LayerRegistry
    store: Store
    ready: bool = True
    _tried: float = field(default=0.0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def ensure_ready(self) -> None:
        """Initialise the store if that has not happened yet; :class:`~mapservice.errors.Unavailable`
        (503) while its database is still away (one attempt per :data:`READY_RETRY_S` for all callers)."""
        if self.ready:
            return
        # One caller tries at a time; the others are answered at once rather than queued behind it.
        if not self._lock.acquire(blocking=False):
            raise Unavailable("the database is not answering; try again shortly", retry_after=2)
        try:
            if self.ready:
                return
            if time.monotonic() - self._tried < READY_RETRY_S:
                raise Unavailable("the database is not answering; try again shortly", retry_after=2)
            try:
                self.store.init()
            finally:
                self._tried = time.monotonic()
            self.ready = True
        finally:
            self._lock.release()

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


def open_service(settings: Settings | None = None, require_store: bool = True) -> Service:
    """The service for ``settings`` (default: from the ``MAPSERVICE_*`` environment variables).

    Raises :class:`~mapservice.settings.SettingsError` for bad settings and
    :class:`~mapservice.errors.LayerConfigError` for a malformed layer file, before any store is opened.
    When the store's database is away, raises :class:`~mapservice.errors.Unavailable`, or with
    ``require_store=False`` (a server) returns a service that is not ``ready`` yet.
    """
    settings = settings if settings is not None else Settings.from_env()
    settings.check()
    layers = load_layers(settings.layers_dir or None)
    store = open_store(settings, layers)
    try:
        store.init()
    except Unavailable:
        if require_store:
            store.close()
            raise
        return Service(settings, layers, store, ready=False, _tried=time.monotonic())
    except BaseException:
        store.close()
        raise
    return Service(settings, layers, store)
