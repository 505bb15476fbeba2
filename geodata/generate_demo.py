"""Generate the point layers of the Yangzhou demo region: geodata/demo/<layer_id>.csv.

EVERYTHING THIS SCRIPT WRITES IS INVENTED. Only the district boundaries and the township names and
codes it reads (geodata/yangzhou/) are real. Every venue, practice base, station, parent school,
school and community is made up, carries generated=true and is NOT a real place. The CSVs are
committed so the demo needs no generation step; the fixed seed makes a re-run reproduce them exactly.

    python geodata/generate_demo.py
"""
from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import Polygon, shape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing the package

from mapservice.geo import GEOD, gcj02_to_wgs84  # noqa: E402
from mapservice.layers import load_layers  # noqa: E402

SEED = 32102024
SRC, OUT = ROOT / "geodata" / "yangzhou", ROOT / "geodata" / "demo"
rng = np.random.default_rng(SEED)

# Aimed at the seed figures for Yangzhou in geodata/README.md; nothing here is a real count per place.
TOTALS = {"venues": 200, "practice_bases": 60, "schools": 370, "parent_schools": 1300, "communities": 1500}
POPULATION = 4_500_000
# Built-up centre of each seat in WGS 84 (Yangzhou city serves both 广陵 and 邗江); streets gather here.
CORES = {"321002": (119.42, 32.39), "321003": (119.42, 32.39), "321012": (119.57, 32.43),
         "321023": (119.31, 33.24), "321081": (119.18, 32.27), "321084": (119.45, 32.78)}
CORE_SPREAD_M = {"321002": 2500, "321003": 2500}  # the city proper is wider than a county seat (1500 m)
SEAT_TOWNS = {"321012100", "321023100", "321081100"}  # 仙女, 安宜, 真州: county seats, urban though named 镇
SPARSE = {"321023": 0.6, "321084": 0.6}  # 宝应, 高邮: large, rural, thinly served
# A coarse 23-vertex outline of Gaoyou Lake (高邮湖), approximate to about a kilometre and used only
# as a mask, never stored: the Amap land boundary of 高邮市 still contains the lake, and villages in open water would look wrong.
WATER = Polygon([(119.407, 32.794), (119.392, 32.751), (119.35, 32.749), (119.3, 32.748), (119.253, 32.736),
                 (119.201, 32.691), (119.173, 32.686), (119.165, 32.706), (119.147, 32.753), (119.125, 32.798),
                 (119.079, 32.855), (119.13, 32.877), (119.229, 32.882), (119.242, 32.896), (119.253, 32.943),
                 (119.245, 33.013), (119.264, 33.034), (119.314, 33.054), (119.303, 33.085), (119.349, 33.078),
                 (119.346, 33.024), (119.372, 33.0), (119.397, 32.916)])

ROADS = ["文昌", "汶河", "运河", "江阳", "扬子江", "邗沟", "友谊", "长春", "兴城", "育才", "春江", "渡江",
         "京华", "翠岗", "新城", "沿湖", "人民", "建设", "迎宾", "府前", "通江", "琼花", "凤凰", "维扬"]
COMMUNITY_A, COMMUNITY_B = "文华康锦翠春梅荷兰桂明新东西南北长育兴和金玉月星平安盛福友乐丰瑞", "苑园城湾庭华江河桥坊里林岗湖景泰馨悦阳光府居都汇源山"
VILLAGE_A = "王李张刘陈杨赵黄周吴徐孙朱马胡郭林何高罗郑梁谢宋唐许韩冯邓曹彭曾田董潘袁蔡蒋余杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石夏韦方"
VILLAGE_B = "庄垛舍港桥湾圩集荡河沟墩塘坝楼营甸洼"
# One of each per district, near its seat.
FLAGSHIPS = {"library": "图书馆", "youth_palace": "青少年宫", "science_museum": "科技馆", "museum": "博物馆",
             "sports_venue": "体育中心", "art_gallery": "美术馆"}
# category: (share of local venues, share free, opening_hours choices, (age_min, age_max) or None, names)
VENUES = {
    "park": (.2, .95, ["24/7", "Mo-Su 05:30-22:00"], None, ["{s}公园", "{s}湿地公园", "{s}生态园", "{s}运河风光带"]),
    "heritage_site": (.2, .7, ["Mo-Su 08:00-17:30", "Tu-Su 08:30-17:00; Mo off"], None,
                      ["{s}古街区", "{s}古井遗址", "{s}古桥", "{s}老码头", "{s}革命旧址"]),
    "library": (.15, 1., ["Tu-Su 09:00-20:30; Mo off", "Mo-Su 08:30-17:30"], (0, 18),
                ["{t}图书分馆", "{s}城市书房", "{s}农家书屋"]),
    "museum": (.12, .95, ["Tu-Su 09:00-17:00; Mo off"], (0, 18), ["{s}民俗博物馆", "{s}历史文化陈列馆", "{s}乡贤馆"]),
    "sports_venue": (.1, .5, ["Mo-Su 06:00-21:30", "Mo-Su 08:00-21:00"], (6, 18),
                     ["{s}全民健身中心", "{s}体育公园", "{s}游泳馆"]),
    "other": (.08, .8, ["Tu-Su 09:00-17:00; Mo off", "Sa,Su 09:00-16:00"], (6, 18), ["{s}非遗传习所", "{s}农耕文化园", "{s}文化站"]),
    "art_gallery": (.05, .9, ["Tu-Su 09:30-17:00; Mo off"], (6, 18), ["{s}美术馆", "{s}书画院"]),
    "science_museum": (.05, .8, ["Tu-Su 09:00-16:30; Mo off"], (3, 18), ["{s}青少年科普馆", "{s}科普体验馆"]),
    "youth_palace": (.05, .7, ["Mo-Fr 14:00-20:30; Sa,Su 08:30-17:30"], (3, 18), ["{s}青少年活动中心", "{s}少年宫"])}
BASE_NAMES = {
    "patriotic": ["{s}红色教育基地", "{s}革命传统教育馆", "{s}国防教育基地"],
    "heritage": ["{s}非遗研学基地", "{s}运河文化研学基地", "{s}传统工艺体验馆"],
    "science": ["{s}科创研学基地", "{s}青少年科技实践中心", "{s}智能制造研学基地"],
    "nature": ["{s}湿地生态研学基地", "{s}森林研学营地", "{s}自然教育中心"],
    "labour": ["{s}农耕劳动实践基地", "{s}现代农业研学园", "{s}学农实践基地"]}
BASE_HOURS = ["Mo-Fr 08:30-16:30", "Tu-Su 09:00-16:30; Mo off", "Mo-Sa 08:00-17:00"]
GRADE_SPANS = [(1, 6), (3, 6), (4, 9), (7, 9), (7, 12), (1, 9), (1, 12), (10, 12)]
# stage: (share after each township's first primary, name suffix, enrolment range)
STAGES = {"primary": (.55, "小学", (300, 2400)), "junior": (.2, "初级中学", (300, 1800)),
          "nine_year": (.1, "实验学校", (400, 2000)), "senior": (.08, "高级中学", (800, 3000)),
          "complete": (.07, "中学", (1000, 3000))}
TIERS = {"basic": .55, "excellent": .28, "demonstration": .12, "star": .05}  # the pyramid of the tier scheme
COURSES = ["每月第{n}个周六 09:00-10:30 家长课堂", "每学期{m}次专题讲座，周五 19:00-20:30", "每周三 16:30-17:30 亲子共学",
           "每季度1次家庭教育沙龙，线上同步直播", "每月{n}次，周日 14:30-16:00"]
# kind: (count, as in the seed figures; opening_hours choices; services offered)
STATIONS = {
    "after_school_station": (26, ["Mo-Fr 16:00-18:30"], ["放学后看护", "作业辅导", "阅读陪伴", "兴趣活动", "安全教育"]),
    "family_education_station": (50, ["Mo-Fr 08:30-17:30", "Mo-Fr 08:30-17:30; Sa 09:00-11:30"],
                                 ["家庭教育咨询", "亲子活动", "家长课堂", "心理疏导", "政策宣传"]),
    "demonstration_community": (104, ["Mo-Fr 08:30-17:30", "Mo-Su 08:30-17:30"],
                                ["家庭教育指导", "四点半课堂", "亲子阅读", "志愿服务", "心理健康讲座", "家风家教宣传"])}
TAKEN: set[str] = set()  # names unique() has handed out


def pick(options):
    """One item of a list, or a key of a {choice: probability} dict."""
    if isinstance(options, dict):
        return str(rng.choice(list(options), p=list(options.values())))
    return options[rng.integers(len(options))]


def cn(k: int) -> str:
    digits = "零一二三四五六七八九"
    tens, ones = divmod(k, 10)
    return digits[k] if k < 10 else ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def short_name(full: str) -> str:
    if full.endswith(("开发区", "新区")):
        return full.replace("经济", "")  # 高邮经济开发区 -> 高邮开发区, distinct from 高邮街道's 高邮
    return next(full[: -len(s)] for s in ("回族乡", "街道", "镇", "乡") if full.endswith(s))


def unique(templates: list[str], **names) -> str:
    """A name from one of the templates that no other generated place has taken."""
    candidates = [str(t).format(**names) for t in rng.permutation(templates)]
    candidates += [f"{candidates[0]}（{cn(k)}）" for k in range(2, 99)]
    name = next(c for c in candidates if c not in TAKEN)
    TAKEN.add(name)
    return name


def phone() -> str:
    return f"0514-8{rng.integers(10**7):07d}"


def address(t: dict, place: str | None = None) -> str:
    if place is None:  # towns name their streets after themselves; the city has its own road names
        road = pick(ROADS) + pick(["路", "街", "大道", "东路", "西路", "南路", "北路"]) if t["urban"] \
            else t["short"] + pick(["大街", "中路", "东路", "西路", "南路", "北路"])
        place = f"{road}{rng.integers(1, 300)}号"
    return f"扬州市{t['dname']}{t['full']}{place}"


# --- geometry: every point is rounded to the 6 decimals written before it is tested -----------------
def draw(code: str, n: int, sample) -> np.ndarray:
    """n points of district `code` from `sample(k) -> (lon, lat)`, redrawing those outside it or in the lake."""
    out = np.empty((0, 2))
    while len(out) < n:
        lon, lat = (np.round(v, 6) for v in sample(2 * n + 16))
        ok = shapely.contains_xy(DISTRICTS[code], lon, lat) & ~shapely.contains_xy(WATER, lon, lat)
        out = np.vstack([out, np.column_stack([lon[ok], lat[ok]])])
    return out[:n]


def around(code: str, lon: float, lat: float, sigma_m: float, n: int) -> np.ndarray:
    return draw(code, n, lambda k: (lon + rng.normal(0, sigma_m, k) / (111_320 * np.cos(np.radians(lat))),
                                    lat + rng.normal(0, sigma_m, k) / 110_574))


def spread_out(candidates: np.ndarray, placed: list) -> tuple[float, float]:
    """Mitchell's best candidate: the one farthest from everything placed keeps centres apart."""
    if not placed:
        return tuple(candidates[0])
    p = np.array(placed)
    dx = (candidates[:, None, 0] - p[None, :, 0]) * np.cos(np.radians(candidates[:, None, 1]))
    return tuple(candidates[np.hypot(dx, candidates[:, None, 1] - p[None, :, 1]).min(axis=1).argmax()])


def place_townships() -> None:
    """Invent a centre and a spread for each township; the real ones are not public."""
    for code, polygon in DISTRICTS.items():
        towns = [t for t in TOWNS if t["district"] == code]
        area_m2 = abs(GEOD.geometry_area_perimeter(polygon)[0])
        rural_sigma = float(np.clip(0.3 * np.sqrt(area_m2 / len(towns)), 1000, 3000))
        x0, y0, x1, y1 = polygon.bounds

        def uniform(k: int, x0=x0, x1=x1, y0=y0, y1=y1):
            return rng.uniform(x0, x1, k), rng.uniform(y0, y1, k)

        streets: list = []
        for t in (t for t in towns if t["urban"]):
            # few candidates: enough to keep streets apart, too few to push them out of the city
            streets.append(spread_out(around(code, *CORES[code], CORE_SPREAD_M.get(code, 1500), 5), streets))
            t["lon"], t["lat"], t["sigma"] = *streets[-1], 800.0
        placed = [CORES[code], *streets]
        for t in (t for t in towns if not t["urban"]):
            placed.append(spread_out(draw(code, 20, uniform), placed))
            t["lon"], t["lat"], t["sigma"] = *placed[-1], rural_sigma


def scatter(t: dict, n: int, sigma_m: float | None = None) -> np.ndarray:
    return around(t["district"], t["lon"], t["lat"], sigma_m or t["sigma"], n)


def allocate(total: int, urban_boost: float, minimum: int = 0) -> np.ndarray:
    """Split `total` over the townships by weight (largest remainder), with some noise per layer."""
    w = np.array([(urban_boost if t["urban"] else 1.0) * SPARSE.get(t["district"], 1.0) for t in TOWNS])
    w = w * rng.lognormal(0, 0.3, len(w))
    share = minimum + w / w.sum() * (total - minimum * len(w))
    counts = np.floor(share).astype(int)
    counts[np.argsort(counts - share)[: total - counts.sum()]] += 1
    return counts


# --- layers -----------------------------------------------------------------------------------------
def communities() -> list[dict]:
    names = {True: rng.permutation([a + b + "社区" for a in COMMUNITY_A for b in COMMUNITY_B]).tolist(),
             False: rng.permutation([a + b + "村" for a in VILLAGE_A for b in VILLAGE_B]).tolist()}
    rows = []
    for t, n in zip(TOWNS, allocate(TOTALS["communities"], 1.2, minimum=6)):
        for lon, lat in scatter(t, n):
            urban = t["urban"] or rng.random() < 0.15  # a town's own seat is a 社区 too
            name = names[urban].pop()
            # fewer but larger places where points are sparse, so the people are not thinned with them
            size = rng.lognormal(np.log(5000 if t["urban"] else 3500 if urban else 2600), 0.35) \
                / SPARSE.get(t["district"], 1.0)
            rows.append(dict(_t=t, lon=lon, lat=lat, name=name, kind="community" if urban else "village",
                             population=size, address=address(t) if urban else address(t, name[:-1] + "村委会")))
    sizes = np.array([r["population"] for r in rows])
    sizes = np.clip(sizes * POPULATION / sizes.sum(), 1000, 15000).round().astype(int)
    for r, size in zip(rows, sizes):
        r["population"], r["children"] = int(size), int(round(size * rng.uniform(0.15, 0.20)))
    return rows


def schools() -> list[dict]:
    rows = []
    for t, n in zip(TOWNS, allocate(TOTALS["schools"], 2.0, minimum=1)):
        seen: Counter = Counter()
        for i, (lon, lat) in enumerate(scatter(t, n)):
            stage = "primary" if i == 0 else pick({s: v[0] for s, v in STAGES.items()})  # each township has one
            seen[stage] += 1
            _, suffix, (low, high) = STAGES[stage]
            if seen[stage] > 1:
                name = f"{t['full']}第{cn(seen[stage])}{suffix}"
            else:
                name = f"{t['full']}中心小学" if stage == "primary" and not t["urban"] else t["short"] + suffix
            size = rng.uniform(low, high) * (1.3 if t["urban"] else 0.8)
            rows.append(dict(_t=t, lon=lon, lat=lat, name=name, stage=stage, address=address(t), phone=phone(),
                             enrollment=int(np.clip(round(size, -1), 200, 3000))))
    return rows


def parent_schools(school_rows: list[dict], community_rows: list[dict]) -> list[dict]:
    # Here every school runs one; communities, drawn by population, host the rest.
    sizes = np.array([c["population"] for c in community_rows], dtype=float)
    chosen = rng.choice(len(community_rows), TOTALS["parent_schools"] - len(school_rows), replace=False,
                        p=sizes / sizes.sum())
    rows = []
    for host, h in [("school", s) for s in school_rows] + [("community", community_rows[i]) for i in sorted(chosen)]:
        (lon, lat), = around(h["_t"]["district"], h["lon"], h["lat"], 40, 1)  # beside the host's door
        course = pick(COURSES).format(n=rng.integers(1, 5), m=rng.integers(3, 7)) if rng.random() < .9 else None
        rows.append(dict(_t=h["_t"], lon=lon, lat=lat, name=h["name"] + "家长学校", host=host, tier=pick(TIERS),
                         course_schedule=course, address=h["address"], phone=h.get("phone") or phone()))
    return rows


def community_stations(community_rows: list[dict]) -> list[dict]:
    weight = np.array([c["population"] * (3 if c["kind"] == "community" else 1) for c in community_rows], float)
    kinds = [kind for kind, (count, _, _) in STATIONS.items() for _ in range(count)]
    chosen = rng.choice(len(community_rows), len(kinds), replace=False, p=weight / weight.sum())
    rows = []
    for kind, i in zip(rng.permutation(kinds).tolist(), chosen):
        c, (_, hours, services) = community_rows[i], STATIONS[kind]
        name = {"after_school_station": c["name"].removesuffix("社区").removesuffix("村") + "候学驿站",
                "family_education_station": c["name"] + "家庭教育服务站",
                "demonstration_community": c["_t"]["full"] + c["name"]}[kind]
        offered = sorted(rng.choice(len(services), rng.integers(2, 5), replace=False))
        (lon, lat), = around(c["_t"]["district"], c["lon"], c["lat"], 60, 1)
        rows.append(dict(_t=c["_t"], lon=lon, lat=lat, name=name, kind=kind, address=c["address"],
                         services="、".join(services[j] for j in offered), opening_hours=pick(hours), phone=phone()))
    return rows


def venues() -> list[dict]:
    places = []
    for code in DISTRICTS:
        seats = [t for t in TOWNS if t["district"] == code and t["urban"]]
        for category, suffix in FLAGSHIPS.items():
            t = pick(seats)
            places.append((t, scatter(t, 1, 1500)[0], category, t["dname"] + suffix))
    for t, n in zip(TOWNS, allocate(TOTALS["venues"] - len(places), 3.0)):
        for point in scatter(t, n):
            category = pick({c: v[0] for c, v in VENUES.items()})
            places.append((t, point, category, unique(VENUES[category][4], s=t["short"], t=t["full"])))
    rows = []
    for t, (lon, lat), category, name in places:
        _, free_share, hours, ages, _ = VENUES[category]
        free = bool(rng.random() < free_share)
        note = ("免费，需提前预约" if rng.random() < .3 else None) if free else {
            "youth_palace": f"公益课程免费，兴趣班每课时{rng.integers(3, 9) * 5}元",
            "sports_venue": f"学生凭证{rng.integers(2, 7) * 5}元/小时，寒暑假半价",
        }.get(category, f"成人票{rng.integers(2, 13) * 5}元，中小学生凭学生证半价，1.2米以下儿童免票")
        age_min, age_max = ages if ages and rng.random() < .8 else (None, None)
        rows.append(dict(_t=t, lon=lon, lat=lat, name=name, category=category, free=free, price_note=note,
                         age_min=age_min, age_max=age_max, opening_hours=pick(hours), address=address(t), phone=phone()))
    return rows


def practice_bases() -> list[dict]:
    rows = []
    for t, n in zip(TOWNS, allocate(TOTALS["practice_bases"], 0.7)):  # most bases are out of town
        for lon, lat in scatter(t, n):
            lead = pick(["heritage", "science", "patriotic"] if t["urban"] else ["nature", "labour", "heritage"])
            extra = rng.permutation([k for k in BASE_NAMES if k != lead])[: pick([0, 1, 1, 2])].tolist()
            grade_min, grade_max = pick(GRADE_SPANS)
            rows.append(dict(_t=t, lon=lon, lat=lat, name=unique(BASE_NAMES[lead], s=t["short"]),
                             themes=[lead, *extra], level=pick({"national": .1, "provincial": .3, "municipal": .6}),
                             grade_min=grade_min, grade_max=grade_max, capacity=int(rng.integers(3, 31)) * 10,
                             bookable=bool(rng.random() < .85), address=address(t), phone=phone(),
                             opening_hours=pick(BASE_HOURS)))
    return rows


def cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return ";".join(value) if isinstance(value, list) else "" if value is None else str(value)


def write(layer_id: str, rows: list[dict]) -> None:
    layer = LAYERS[layer_id]
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / f"{layer_id}.csv").open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["source_id", "lon", "lat", "generated", *layer.attribute_names])
        for i, r in enumerate(rows, 1):
            for a in layer.attributes:
                a.parse(r.get(a.name))  # fail here, not on import, if a value breaks the layer's rules
            out.writerow([f"demo-{layer_id}-{i:04d}", f"{r['lon']:.6f}", f"{r['lat']:.6f}", "true",
                          *(cell(r.get(a.name)) for a in layer.attributes)])
    per_district = Counter(r["_t"]["dname"] for r in rows)
    print(f"{layer_id:<19}{len(rows):>5} rows  " + "  ".join(f"{d} {per_district[d]}" for d in DISTRICT_NAMES.values()))


LAYERS = load_layers(ROOT / "layers")
with (SRC / "districts_index.csv").open(encoding="utf-8") as f:
    DISTRICT_NAMES = {r["文件名"].removesuffix(".geojson"): r["区/县"] for r in csv.DictReader(f) if r["区/县"]}
# The boundaries are Amap's GCJ-02; everything generated is placed and written in WGS 84.
DISTRICTS = {code: shapely.transform(shape(json.loads((SRC / f"{code}.geojson").read_text(encoding="utf-8"))),
                                     lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))
             for code in DISTRICT_NAMES}
for geom in (*DISTRICTS.values(), WATER):
    shapely.prepare(geom)
with (SRC / "townships.csv").open(encoding="utf-8") as f:
    TOWNS = [dict(id=r["id"], district=r["id"][:6], dname=DISTRICT_NAMES[r["id"][:6]], full=r["ext_name"],
                  short=short_name(r["ext_name"]),
                  urban=r["ext_name"].endswith(("街道", "开发区", "新区")) or r["id"] in SEAT_TOWNS)
             for r in csv.DictReader(f) if r["deep"] == "3"]

if __name__ == "__main__":
    place_townships()
    print(f"{len(TOWNS)} townships placed; writing {OUT.relative_to(ROOT)}/ (seed {SEED})")
    community_rows, school_rows = communities(), schools()
    write("venues", venues())
    write("practice_bases", practice_bases())
    write("community_stations", community_stations(community_rows))
    write("parent_schools", parent_schools(school_rows, community_rows))
    write("schools", school_rows)
    write("communities", community_rows)
