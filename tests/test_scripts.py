"""The pages' own scripts, read as text: no HTML parsing of data, modules that resolve, and every
catalogue key a map module uses sent to it (and none it does not use)."""
from __future__ import annotations

import re
from pathlib import Path

from mapservice.resources import resource_dir
from mapservice.web import mappage

STATIC = resource_dir("static")
MODULES = STATIC / "js"
MAP_MODULES = MODULES / "map"
# Assigning markup would parse data as HTML; the pages build nodes and set text instead.
HTML_SINKS = re.compile(r"\.(?:innerHTML|outerHTML)\s*\+?=(?!=)|insertAdjacentHTML|document\.write\s*\(")
IMPORT = re.compile(r'^import\s*\{([^}]*)\}\s*from\s*"([^"]+)";', re.M)
EXPORT = re.compile(r"^export\s+(?:async\s+)?(?:function|class|const|let)\s+(\w+)", re.M)
# How the map modules read the catalogue: S.key / strings.key, or fmt("key", ...).
STRING_USE = re.compile(r"\b(?:S|strings)\.(\w+)|\bfmt\(\"(\w+)\"")
# Comments and import lines, which name modules ("./strings.js") rather than use strings.
NOT_CODE = re.compile(r"/\*.*?\*/|^\s*//.*?$|\s//\s.*?$|^import .*?$", re.S | re.M)


def scripts() -> list[Path]:
    """The app's scripts: static/*.js and static/js/, not the vendored libraries."""
    return sorted(STATIC.glob("*.js")) + sorted(MODULES.rglob("*.js"))


def test_no_script_parses_data_as_html():
    assert len(scripts()) > 10
    for path in scripts():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert not HTML_SINKS.search(line), f"{path.relative_to(STATIC)}:{number}: {line.strip()}"


def test_every_module_import_resolves_to_an_export():
    for path in sorted(MODULES.rglob("*.js")):
        for names, target in IMPORT.findall(path.read_text(encoding="utf-8")):
            assert target.startswith("."), f"{path.name} imports {target}: modules come from static/js only"
            module = (path.parent / target).resolve()
            assert module.is_file(), f"{path.name}: no {target}"
            exported = set(EXPORT.findall(module.read_text(encoding="utf-8")))
            wanted = {name.strip() for name in names.split(",") if name.strip()}
            assert wanted <= exported, f"{path.name} imports {wanted - exported} from {target}"


def test_map_modules_use_exactly_the_strings_they_are_sent():
    used = set()
    for path in [*MAP_MODULES.glob("*.js"), *(MODULES / "shared").glob("*.js")]:
        code = NOT_CODE.sub("", path.read_text(encoding="utf-8"))
        used |= {a or b for a, b in STRING_USE.findall(code)}
    assert used == set(mappage.SCRIPT_KEYS)
