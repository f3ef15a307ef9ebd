"""SMART Backend Services with real keys made in the test: a client registered with the CLI
signs an assertion (RS384 or ES384), gets a short-lived token, and uses it on the FHIR API. Every
bad assertion is refused: expired, wrong audience, replayed jti, unknown client, and the rest."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from careroute.cli import app
from tests.support.fhir import FHIR_JSON, assertion, ec_key, public_pem, referral_bundle, rsa_key

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCOPE = "system/ServiceRequest.cr system/Task.rs"
runner = CliRunner()


@pytest.fixture(scope="module")
def keys():
    return {"rsa": rsa_key(), "ec": ec_key()}


def _register(tmp_path, private_key, organization="Harbor Psychiatry", jwks=False) -> str:
    pem = tmp_path / "client.pem"
    pem.write_bytes(public_pem(private_key))
    args = ["fhir", "client", "create", "--name", "Harbor EHR", "--organization", organization]
    if jwks:
        from tests.support.fhir import jwks_of

        path = tmp_path / "jwks.json"
        path.write_text(json.dumps(jwks_of(private_key)))
        args += ["--jwks-file", str(path)]
    else:
        args += ["--public-key-pem", str(pem)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def _token_url(client) -> str:
    return client.get("/fhir/r4/.well-known/smart-configuration").json()["token_endpoint"]


def _ask(client, signed: str, scope: str = SCOPE):
    form = {
        "grant_type": "client_credentials",
        "scope": scope,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": signed,
    }
    return client.post("/fhir/r4/auth/token", data=form)


def test_rs384_client_gets_a_token_that_submits_and_reads_its_referrals(client, keys, tmp_path):
    client_id = _register(tmp_path, keys["rsa"])
    response = _ask(client, assertion(keys["rsa"], client_id, _token_url(client)))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 300 and body["scope"] == SCOPE
    assert response.headers["cache-control"] == "no-store"
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    posted = client.post("/fhir/r4", content=json.dumps(referral_bundle()), headers={**FHIR_JSON, **bearer})
    assert posted.status_code == 200, posted.text
    sr = posted.json()["entry"][1]["response"]["location"].split("/")[1]
    tasks = client.get(f"/fhir/r4/Task?focus=ServiceRequest/{sr}", headers=bearer).json()
    assert tasks["total"] == 1 and tasks["entry"][0]["resource"]["status"] == "requested"
    assert client.get(f"/fhir/r4/ServiceRequest/{sr}", headers=bearer).status_code == 200


def test_es384_client_registered_with_a_jwks_file(client, keys, tmp_path):
    client_id = _register(tmp_path, keys["ec"], jwks=True)
    response = _ask(client, assertion(keys["ec"], client_id, _token_url(client), alg="ES384"))
    assert response.status_code == 200, response.text


def test_a_token_grants_only_its_scopes_and_only_fhir_routes(client, keys, tmp_path):
    client_id = _register(tmp_path, keys["rsa"])
    read_only = _ask(client, assertion(keys["rsa"], client_id, _token_url(client)), "system/Task.read")
    assert read_only.json()["scope"] == "system/Task.rs"
    bearer = {"Authorization": f"Bearer {read_only.json()['access_token']}"}
    refused = client.post("/fhir/r4", content=json.dumps(referral_bundle()), headers={**FHIR_JSON, **bearer})
    assert refused.status_code == 403 and "insufficient_scope" in refused.headers["www-authenticate"]
    assert client.get("/fhir/r4/Task", headers=bearer).status_code == 200
    lead = client.get("/v1/leads/00000000-0000-0000-0000-000000000001", headers=bearer)
    assert lead.status_code == 403  # a FHIR token is not an API key
    singles = "system/ServiceRequest.c system/Task.r system/ServiceRequest.r"  # v2, one letter each
    granted = _ask(client, assertion(keys["rsa"], client_id, _token_url(client)), singles)
    assert granted.json()["scope"] == SCOPE
    nothing = _ask(client, assertion(keys["rsa"], client_id, _token_url(client)), "patient/*.read openid")
    assert nothing.status_code == 400 and nothing.json()["error"] == "invalid_scope"


@pytest.mark.parametrize(
    "case",
    [
        "expired",
        "wrong_audience",
        "unknown_client",
        "sub_differs",
        "too_long_lived",
        "rs256",
        "wrong_key",
        "garbage",
    ],
)
def test_bad_assertions_are_refused_as_invalid_client(client, keys, tmp_path, case):
    client_id = _register(tmp_path, keys["rsa"])
    url = _token_url(client)
    signed = {
        "expired": lambda: assertion(keys["rsa"], client_id, url, lifetime=-120),
        "wrong_audience": lambda: assertion(keys["rsa"], client_id, "https://elsewhere.example/token"),
        "unknown_client": lambda: assertion(keys["rsa"], "crc_nobody", url),
        "sub_differs": lambda: assertion(keys["rsa"], client_id, url, sub="someone-else"),
        "too_long_lived": lambda: assertion(keys["rsa"], client_id, url, lifetime=3600),
        "rs256": lambda: assertion(keys["rsa"], client_id, url, alg="RS256"),
        "wrong_key": lambda: assertion(rsa_key(), client_id, url),
        "garbage": lambda: "not.a.jwt",
    }[case]()
    response = _ask(client, signed)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
    assert client_id not in response.json()["error_description"]


def test_a_replayed_assertion_is_refused(client, keys, tmp_path):
    client_id = _register(tmp_path, keys["rsa"])
    signed = assertion(keys["rsa"], client_id, _token_url(client), jti="once-only")
    assert _ask(client, signed).status_code == 200
    replay = _ask(client, signed)
    assert replay.status_code == 401 and "already used" in replay.json()["error_description"]


def test_wrong_grant_type_and_form_and_revoked_clients(client, keys, tmp_path):
    client_id = _register(tmp_path, keys["rsa"])
    url = _token_url(client)
    wrong = client.post("/fhir/r4/auth/token", data={"grant_type": "password"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "unsupported_grant_type"
    as_json = client.post("/fhir/r4/auth/token", json={"grant_type": "client_credentials"})
    assert as_json.json()["error"] == "invalid_request"
    token = _ask(client, assertion(keys["rsa"], client_id, url)).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/fhir/r4/Task", headers=bearer).status_code == 200
    assert runner.invoke(app, ["fhir", "client", "revoke", client_id]).exit_code == 0
    assert client.get("/fhir/r4/Task", headers=bearer).status_code == 401
    assert _ask(client, assertion(keys["rsa"], client_id, url)).status_code == 401
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert client.get("/fhir/r4/Task", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_the_cli_refuses_private_keys_and_weak_keys(tmp_path, db, keys):
    from cryptography.hazmat.primitives import serialization

    private = tmp_path / "private.pem"
    private.write_bytes(
        keys["rsa"].private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    args = [
        "fhir",
        "client",
        "create",
        "--name",
        "x",
        "--organization",
        "y",
        "--public-key-pem",
        str(private),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "not accepted" in result.output
    from jwt.algorithms import RSAAlgorithm

    jwk = RSAAlgorithm.to_jwk(keys["rsa"], as_dict=True)  # includes "d"
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk]}))
    args = ["fhir", "client", "create", "--name", "x", "--organization", "y", "--jwks-file", str(path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "private key" in result.output
    listed = runner.invoke(app, ["fhir", "client", "list"])
    assert listed.exit_code == 0 and "Harbor" not in listed.output
