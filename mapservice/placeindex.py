"""Places that are not features, to start a nearby search from: the region's townships and streets
(乡镇/街道, from ``geodata/yangzhou/townships.csv``: official codes and pinyin, no geometry) and the
roads named in the features' addresses (``琼花南路``).

No township boundary is public, so a township is placed at the median of the features whose
address names it, and a road at the median of those on it; each place says so (``placed_from``).
Townships match by name, by full pinyin (``dongguan``, ``dongguanjiedao``) and by initials
(``dgjd``), so English-speaking parents can type them too; so do the features' names
(:func:`find_features`: ``dgtsg``, ``dongguantushuguan`` → 东关图书馆), by pypinyin's reading of the
whole name (its phrases decide 家长 as jiazhang), kept per store until a layer changes.
"""
from __future__ import annotations

import csv
import re
import statistics
import threading
import weakref
from dataclasses import dataclass

from pypinyin import lazy_pinyin

from .layers import Role
from .resources import resource_dir
from .store.base import Feature, Store

#: The pinyin of the suffixes of township names (the CSV's pinyin is of the short name).
SUFFIX_PINYIN = {"回族乡": "hui zu xiang", "街道": "jie dao", "开发区": "kai fa qu", "新区": "xin qu", "镇": "zhen",
                 "乡": "xiang", "区": "qu"}
# A road in an address: after the township, the name up to 路/街/大道 with its direction, before the number.
_ROAD = re.compile(r"([\u4e00-\u9fff]{1,8}?(?:大道|大街|路|街|巷)(?:[东西南北中]段)?)\d+号")


@dataclass(frozen=True)
class Place:
    """A place to search from: ``kind`` is ``township`` or ``road``; ``lon``/``lat`` WGS 84, the
    median of ``count`` features that name it; ``district`` its district's name."""

    kind: str
    name: str
    district: str
    lon: float
    lat: float
    count: int
    keys: tuple[str, ...] = ()


def townships() -> list[dict]:
    """The townships of townships.csv (deep 3): name, full name, district's full name, pinyin keys."""
    path = resource_dir("geodata") / "yangzhou" / "townships.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    names = {r["id"]: r["ext_name"] for r in rows}
    found = []
    for r in rows:
        if r["deep"] != "3":
            continue
        suffix = next((s for s in SUFFIX_PINYIN if r["ext_name"].endswith(s) and r["ext_name"] != r["name"]), "")
        syllables = r["pinyin"].split() + SUFFIX_PINYIN.get(suffix, "").split()
        short = r["pinyin"].split()
        keys = ("".join(syllables), "".join(s[0] for s in syllables), "".join(short), "".join(s[0] for s in short))
        found.append({"name": r["ext_name"], "short": r["name"], "district": names.get(r["pid"], ""),
                      "keys": keys})
    return found


def _road(address: str, township: str) -> str | None:
    rest = address.split(township, 1)[1] if township in address else ""
    match = _ROAD.search(rest)
    return match.group(1) if match else None


def build(store: Store) -> list[Place]:
    """The townships and roads, placed from the addresses of the store's point features."""
    towns = townships()
    points: dict[str, list] = {t["name"]: [] for t in towns}
    roads: dict[tuple[str, str, str], list] = {}
    from .exporter import iter_features

    for layer in store.layers.values():
        address = layer.role(Role.ADDRESS)
        if address is None or not layer.is_point:
            continue
        for feature in iter_features(store, layer.id):
            text = feature.properties.get(address.name) or ""
            for town in towns:
                if f"{town['district']}{town['name']}" in text:
                    xy = (feature.geometry.x, feature.geometry.y)
                    points[town["name"]].append(xy)
                    road = _road(text, town["name"])
                    if road:
                        roads.setdefault((road, town["name"], town["district"]), []).append(xy)
                    break
    places = []
    for town in towns:
        at = points[town["name"]]
        if at:
            places.append(Place("township", town["name"], town["district"], statistics.median(x for x, _ in at),
                                statistics.median(y for _, y in at), len(at), town["keys"]))
    for (road, town, district), at in roads.items():
        places.append(Place("road", road, f"{district}{town}", statistics.median(x for x, _ in at),
                            statistics.median(y for _, y in at), len(at)))
    return places


_INDEX: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def index(store: Store) -> list[Place]:
    """:func:`build` of ``store``, kept until a layer changes (the change counters, else the counts)."""
    versions = store.layer_versions()
    key = tuple(sorted((versions if versions is not None else store.counts()).items()))
    cached = _INDEX.get(store)
    if cached is None or cached[0] != key:
        cached = _INDEX[store] = (key, build(store))
    return cached[1]


def find(store: Store, text: str, limit: int) -> list[Place]:
    """Townships, then roads, matching ``text`` by name or (townships) pinyin, best first: names
    that start with it, then shorter names; at most ``limit``."""
    query = text.strip()
    latin = re.sub(r"[\s']", "", query.lower())
    matched = []
    for place in index(store):
        by_name = query in place.name
        by_pinyin = bool(latin) and latin.isascii() and any(key.startswith(latin) for key in place.keys)
        if by_name or by_pinyin:
            starts = place.name.startswith(query) or by_pinyin
            matched.append(((place.kind != "township", not starts, len(place.name), place.name), place))
    matched.sort(key=lambda pair: pair[0])
    return [place for _, place in matched[:limit]]


#: Layers of more features than this are found by their Chinese names only: reading 50,000 names
#: takes pypinyin about 5 s, once per change of the layer.
PINYIN_MAX_FEATURES = 50_000
_NAMES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_COUNTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_NAMES_LOCK = threading.Lock()


def latin(text: str) -> str:
    """``text`` as pinyin keys are compared: lower case, without spaces and apostrophes; empty
    unless it is ASCII letters (and digits)."""
    key = re.sub(r"[\s']", "", text.lower())
    return key if key.isascii() and key.isalnum() and any(c.isalpha() for c in key) else ""


def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, without tones: 东关图书馆 → (dongguantushuguan, dgtsg)."""
    syllables = [s.lower() for s in lazy_pinyin(name, errors=lambda rest: list(rest)) if s.strip()]
    syllables = [s for s in syllables if s.isascii() and s.isalnum()]
    return "".join(syllables), "".join(s[0] for s in syllables)


def _versions(store: Store) -> dict[str, tuple[int, int]]:
    """(change counter, feature count) per layer. The counts are counted again only when a counter
    moved, not on every search (on PostGIS a count reads the whole table); a store without change
    counters counts every time, its counts serving as the counters."""
    versions = store.layer_versions()
    if versions is None:
        return {layer_id: (n, n) for layer_id, n in store.counts().items()}
    with _NAMES_LOCK:
        known = _COUNTS.get(store)
    if known is None or any(known.get(k, (v + 1,))[0] != v for k, v in versions.items()):
        counts = store.counts()  # a write between the two reads only shifts when the cap applies
        known = {layer_id: (versions.get(layer_id, -1), n) for layer_id, n in counts.items()}
        with _NAMES_LOCK:
            _COUNTS[store] = known
    return known


def _layer_names(store: Store, layer_id: str, version: int) -> list[tuple[int, str, str, str]]:
    """(id, name, full pinyin, initials) of every feature of a layer, kept until ``version`` moves."""
    from .exporter import iter_features

    key = (layer_id, version)
    with _NAMES_LOCK:
        kept = _NAMES.setdefault(store, {})
        rows = kept.get(key)
    if rows is None:
        rows = [(f.id, name, *name_keys(name)) for f in iter_features(store, layer_id)
                if (name := f.properties.get("name"))]
        with _NAMES_LOCK:
            for old in [k for k in kept if k[0] == layer_id]:
                del kept[old]
            kept[key] = rows
    return rows


def find_features(store: Store, text: str, layer_ids, limit: int) -> list[Feature]:
    """Features whose name's pinyin matches ``text`` (ASCII): the initials or the full pinyin start
    with it, or (four letters or more) the full pinyin holds it; names that start with it first,
    then shorter names, in layer order. Nothing for text that is not pinyin."""
    query = latin(text)
    if not query:
        return []
    chosen = store.layers.named(layer_ids)
    versions = _versions(store)
    matched = []
    for order, layer in enumerate(chosen):
        version, count = versions[layer.id]
        if not count or count > PINYIN_MAX_FEATURES:
            continue
        for fid, name, full, initials in _layer_names(store, layer.id, version):
            starts = full.startswith(query) or initials.startswith(query)
            if starts or (len(query) >= 4 and query in full):
                matched.append(((not starts, len(name), order, fid), layer.id, fid))
    matched.sort()
    by_layer: dict[str, list[int]] = {}
    for _, layer_id, fid in matched[:limit]:
        by_layer.setdefault(layer_id, []).append(fid)
    found = {(f.layer, f.id): f for f in store.get_layers(by_layer)}
    return [found[(layer_id, fid)] for _, layer_id, fid in matched[:limit] if (layer_id, fid) in found]
