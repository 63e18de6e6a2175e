"""A script written for the Postman API (list mocks, create one, read its call log) runs
against postmock with only the base URL and the API key swapped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from support.adminkit import run_admin, wait_for_mock
from support.mockkit import users_collection
from support.procs import wait_until

pytestmark = pytest.mark.e2e


# -- the script: every path, body and field as Postman's API documents them -------------------
def list_and_create(base_url: str, api_key: str, collection_uid: str) -> tuple[list[str], dict[str, Any]]:
    with httpx.Client(base_url=base_url, headers={"X-API-Key": api_key}, timeout=30, trust_env=False) as api:
        listed = api.get("/mocks")
        listed.raise_for_status()
        created = api.post("/mocks", json={"mock": {"collection": collection_uid, "name": "From a script",
                                                    "private": False}})
        created.raise_for_status()
        return [m["name"] for m in listed.json()["mocks"]], created.json()["mock"]


def read_call_log(base_url: str, api_key: str, mock_uid: str) -> list[dict[str, Any]]:
    with httpx.Client(base_url=base_url, headers={"X-API-Key": api_key}, timeout=30, trust_env=False) as api:
        logs = api.get(f"/mocks/{mock_uid}/call-logs", params={"limit": 10, "include": "response.body"})
        logs.raise_for_status()
        assert "nextCursor" in logs.json()["meta"]
        return list(logs.json()["call-logs"])


# -- the test ------------------------------------------------------------------------------------
def test_a_postman_api_script_works_with_base_url_and_key_swapped(tmp_path: Path) -> None:
    with run_admin(tmp_path, history=False) as admin, admin.client() as setup:
        made = setup.post("/collections", json={"collection": users_collection("Scripted")}).json()["collection"]
        uid = f"12345678-{made['id']}"  # Postman hands out UIDs (owner-id); the script uses one as it is
        names, mock = list_and_create(admin.url, admin.key, uid)
        assert names == [] and mock["collection"] == made["id"] and mock["uid"].endswith(mock["id"])
        wait_for_mock(mock["mockUrl"])
        with httpx.Client(trust_env=False, timeout=30) as client:
            assert client.get(mock["mockUrl"] + "/users/1").status_code == 200
        logs = wait_until(lambda: read_call_log(admin.url, admin.key, mock["uid"]), 15,
                          message="the call in the log")
        entry = logs[0]
        assert entry["request"]["method"] == "GET" and entry["request"]["path"] == "/users/1"
        assert entry["response"]["statusCode"] == 200 and '"Ada"' in entry["response"]["body"]["data"]
        assert entry["responseName"] == "Ada" and entry["servedAt"].endswith("Z")
