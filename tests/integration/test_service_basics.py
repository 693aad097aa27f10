async def test_healthz_says_ok_and_nothing_more_to_the_public(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}  # versions only for staff (test_security_headers.py)


async def test_openapi_document_is_served(client):
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/auth/register" in response.json()["paths"]


async def test_invalid_json_and_wrong_types_are_400_not_500(client):
    broken = await client.post(
        "/api/v1/auth/register", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.json()["detail"]
    wrong_type = await client.post("/api/v1/auth/register", json={"phone": 13812345678, "name": [], "password": 1})
    assert wrong_type.status_code == 400
    assert {e["key"] for e in wrong_type.json()["extra"]} >= {"name"}
    not_object = await client.post("/api/v1/auth/register", json=[1, 2])
    assert not_object.status_code == 400


async def test_unknown_ids_and_paths_are_404(client):
    assert (await client.get("/api/v1/providers/123456")).status_code == 404
    missing = await client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["status_code"] == 404
