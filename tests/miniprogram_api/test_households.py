"""GET /api/mp/v1/households/{code} and the OpenAPI document."""

from __future__ import annotations

from app.services import codes
from tests.helpers import award, code_of, make_household


def test_household_json_in_the_envelope(client, db):
    household = make_household(members=2, motto="和睦邻里")
    award(household, 5, reason="参加防汛值守", place="资江河堤")
    response = client.get(f"/api/mp/v1/households/{code_of(household)}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True
    data = body["data"]
    assert data["household"]["number"] == household.number
    assert data["household"]["motto"] == "和睦邻里"
    assert data["totals"]["year"] == 5
    assert data["history"]["items"][0]["place"] == "资江河堤"
    assert data["ranks"]["year"]["village"] == 1
    assert [m["relation"] for m in data["members"]] == ["户主", "子"]
    text = response.get_data(as_text=True)
    for person in household.members:
        for secret in (person.id_number, person.phone):
            assert not secret or secret not in text


def test_unknown_and_replaced_codes_answer_in_the_envelope(client, db):
    household = make_household()
    old = code_of(household)
    missing = client.get("/api/mp/v1/households/nope")
    assert missing.status_code == 404
    assert missing.get_json() == {"ok": False, "error": {"code": "not_found", "message": "没有找到这户人家。", "field": None}}
    codes.reissue_code(household.id, recorded_by="t")
    gone = client.get(f"/api/mp/v1/households/{old}")
    assert gone.status_code == 410
    assert gone.get_json()["error"]["code"] == "gone"
    assert "已更换" in gone.get_json()["error"]["message"]


def test_bad_page_argument_gets_a_chinese_error(client, db):
    household = make_household()
    response = client.get(f"/api/mp/v1/households/{code_of(household)}?page=0")
    assert response.status_code == 422
    body = response.get_json()
    assert body["ok"] is False and body["error"]["field"] == "page"
    assert "参数" in body["error"]["message"]


def test_openapi_document_describes_the_endpoint(client, db):
    spec = client.get("/api/mp/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    path = spec["paths"]["/api/mp/v1/households/{code}"]["get"]
    assert set(path["responses"]) >= {"200", "404", "410", "422"}
    assert any(p["name"] == "page" and p["in"] == "query" for p in path["parameters"])
    schemas = spec["components"]["schemas"]
    assert "HouseholdView" in schemas and "HouseholdEnvelope" in schemas
    assert {"ok", "error"} <= set(schemas["ErrorEnvelope"]["properties"])
    assert "ErrorEnvelope" in str(path["responses"]["404"])
    docs = client.get("/api/mp/v1/docs")
    assert docs.status_code == 200
    assert "/static/vendor/swagger-ui/" in docs.get_data(as_text=True)
