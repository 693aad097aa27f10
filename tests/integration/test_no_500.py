"""Nothing a client sends causes a 500: every API operation in the OpenAPI document is fed
malformed paths, queries and bodies, as a user holding every role, and must answer < 500."""

import re

from marketplace.domain.roles import Role

BAD_VALUES = [None, -1, 0, 2**63, 1.5, "", "x" * 5000, "../../etc", [], {}, [None], {"$gt": ""}, True]
PATH_IDS = ["1", "0", "-5", "99999999999", "abc", "1.5"]


def _schema(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].split("/")[-1]]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            for option in schema[key]:
                resolved = _schema(document, option)
                if resolved.get("properties"):
                    return resolved
    return schema


def _bodies(document: dict, operation: dict) -> list:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    bodies: list = [None, [], "text", 12, {"unexpected": True}]
    if not content:
        return bodies
    properties = _schema(document, content["schema"]).get("properties", {})
    for name in properties:
        bodies += [{name: value} for value in BAD_VALUES]
    return bodies


async def test_no_operation_answers_500(client, factory):
    everyone = await factory.user(Role.provider, Role.operator, Role.curator)
    headers = factory.headers(everyone)
    provider = await factory.user(Role.provider)
    await factory.listing(provider, await factory.category())
    document = (await client.get("/schema/openapi.json")).json()
    failures = []
    calls = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            concrete = [re.sub(r"\{[^}]+\}", value, path) for value in PATH_IDS] if "{" in path else [path]
            for url in concrete:
                if method == "get":
                    params = {p["name"]: "x" * 300 for p in operation.get("parameters", []) if p["in"] == "query"}
                    for query in ({}, params, {k: "-1" for k in params}):
                        response = await client.get(url, params=query, headers=headers)
                        calls += 1
                        if response.status_code >= 500:
                            failures.append((method, url, query, response.status_code, response.text[:200]))
                    continue
                for body in _bodies(document, operation)[:: 1 if url == concrete[0] else 5]:
                    response = await client.request(method.upper(), url, json=body, headers=headers)
                    calls += 1
                    if response.status_code >= 500:
                        failures.append((method, url, body, response.status_code, response.text[:200]))
    assert calls > 500
    assert failures == []
