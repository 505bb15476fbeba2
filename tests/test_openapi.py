"""/openapi.json tells the truth: every operation's answer has a schema, errors are the one shape
sent, bounds are exact, the export says what it sends. schemathesis (.ci/schemathesis) fuzzes a
real server from this description; here real answers are checked against it."""
from __future__ import annotations

import jsonschema_rs
import pytest

OPERATIONS = ["/api/layers", "/api/layers/{layer_id}/features", "/api/layers/{layer_id}/features/{fid}",
              "/api/clusters", "/api/nearby", "/api/places", "/api/plan", "/api/plan/compare", "/api/coverage",
              "/api/coverage/suggestions", "/api/coverage/export"]
#: The accounts' operations (tests/test_auth.py checks their answers; they take no parameters to refuse).
ACCOUNT_OPERATIONS = ["/api/me", "/api/layers/{layer_id}/features/{fid}/changes", "/api/reports",
                      "/api/reports/{report_id}/close", "/api/hours"]
#: The study-tour booking's operations (tests/test_booking_http.py checks their answers).
BOOKING_OPERATIONS = ["/api/{base_layer}/{base_id}/sessions", "/api/{base_layer}/{base_id}/sessions/pattern",
                      "/api/{base_layer}/{base_id}/day", "/api/{base_layer}/{base_id}/booking-settings",
                      "/api/sessions/{session_id}",
                      "/api/sessions/{session_id}/cancel", "/api/bookings", "/api/bookings/export",
                      "/api/bookings/{booking_id}", "/api/bookings/{booking_id}/confirm",
                      "/api/bookings/{booking_id}/decline", "/api/bookings/{booking_id}/cancel",
                      "/api/bookings/{booking_id}/acknowledge-filing", "/api/school/bases",
                      "/api/bookings/schools-without-tours"]


@pytest.fixture(scope="module")
def spec(demo_app):
    return demo_app.test_client().get("/openapi.json").get_json()


def resolved(spec, schema):
    """``schema`` as JSON Schema: every $ref to the spec's components inlined, OpenAPI's ``nullable``
    as a type that takes null."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return resolved(spec, spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
        out = {k: resolved(spec, v) for k, v in schema.items() if k != "nullable"}
        if schema.get("nullable") and "type" in out:
            out["type"] = [out["type"], "null"]
        return out
    if isinstance(schema, list):
        return [resolved(spec, v) for v in schema]
    return schema


def test_every_operation_describes_its_answers_and_errors(spec):
    assert sorted(spec["paths"]) == sorted(OPERATIONS + ACCOUNT_OPERATIONS + BOOKING_OPERATIONS)
    for path in BOOKING_OPERATIONS:
        for method, operation in spec["paths"][path].items():
            ok = operation["responses"].get("200") or operation["responses"]["201"]
            assert all(body["schema"] for body in ok["content"].values()), (path, method)
            for status in ("400", "404", "503"):
                assert "error" in resolved(spec, operation["responses"][status]["content"]["application/json"][
                    "schema"])["properties"], (path, method, status)
    base_layer = spec["paths"]["/api/{base_layer}/{base_id}/sessions"]["get"]["parameters"][0]
    assert base_layer["name"] == "base_layer" and base_layer["schema"]["enum"] == ["practice_bases"]
    for path in OPERATIONS:
        responses = spec["paths"][path]["get"]["responses"]
        ok = responses["200"]["content"]
        assert all(body["schema"] for body in ok.values()), path
        for status in ("400", "414", "503"):
            assert sorted(resolved(spec, responses[status]["content"]["application/json"]["schema"])["properties"][
                "error"]["required"]) == ["code", "field", "message", "status"], (path, status)
    assert "Retry-After" in spec["paths"]["/api/plan"]["get"]["responses"]["503"]["headers"]
    export = spec["paths"]["/api/coverage/export"]["get"]["responses"]["200"]["content"]
    assert set(export) == {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           "application/geopackage+sqlite3"}


def parameter(spec, path, name):
    return next(p["schema"] for p in spec["paths"][path]["get"]["parameters"] if p["name"] == name)


def test_bounds_are_the_bounds_enforced(spec, demo_client):
    radius = parameter(spec, "/api/plan", "radius")
    assert radius["minimum"] == 0 and radius["exclusiveMinimum"] is True and radius["maximum"] == 50_000
    assert demo_client.get("/api/plan?supply=parent_schools&demand=communities&radius=0").status_code == 400
    offset = parameter(spec, "/api/layers/{layer_id}/features", "offset")
    assert (offset["minimum"], offset["maximum"]) == (0, 2**63 - 1)
    assert parameter(spec, "/api/layers/{layer_id}/features/{fid}", "layer_id")["enum"][0] == "venues"
    assert parameter(spec, "/api/nearby", "open_at")["format"] == "date-time"
    assert "\\u0000" in parameter(spec, "/api/places", "q")["pattern"]


@pytest.mark.parametrize("url, path, status", [
    ("/api/layers", "/api/layers", 200),
    ("/api/layers/venues/features?limit=2&popup=true", "/api/layers/{layer_id}/features", 200),
    ("/api/layers/venues/features/1", "/api/layers/{layer_id}/features/{fid}", 200),
    ("/api/layers/venues/features/99999999", "/api/layers/{layer_id}/features/{fid}", 404),
    ("/api/clusters?layers=venues,parent_schools&bbox=119,32,120,33&zoom=10", "/api/clusters", 200),
    ("/api/clusters?layers=venues&bbox=119.41,32.39,119.43,32.40&zoom=17", "/api/clusters", 200),
    ("/api/clusters?layers=venues&bbox=119,32,120,33&zoom=22", "/api/clusters", 400),
    ("/api/nearby?lat=32.39&lon=119.42&limit=3", "/api/nearby", 200),
    ("/api/nearby?lat=91&lon=119.42", "/api/nearby", 400),
    ("/api/places?q=%E4%B8%9C%E5%85%B3", "/api/places", 200),
    ("/api/plan?supply=parent_schools&demand=communities", "/api/plan", 200),
    ("/api/plan/compare?supply=parent_schools&demand=communities&add=119.42,32.39", "/api/plan/compare", 200),
    ("/api/coverage?supply=parent_schools&demand=communities", "/api/coverage", 200),
    ("/api/coverage/suggestions?supply=parent_schools&demand=communities", "/api/coverage/suggestions", 200),
])
def test_real_answers_match_their_schemas(spec, demo_client, url, path, status):
    response = demo_client.get(url)
    assert response.status_code == status
    schema = spec["paths"][path]["get"]["responses"][str(status)]["content"]["application/json"]["schema"]
    jsonschema_rs.validate(resolved(spec, schema), response.get_json())


def test_the_export_sends_the_content_type_it_declares(demo_client):
    for fmt, kind in (("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                      ("gpkg", "application/geopackage+sqlite3")):
        response = demo_client.get(f"/api/coverage/export?supply=parent_schools&demand=communities&format={fmt}")
        assert response.status_code == 200 and response.content_type == kind
