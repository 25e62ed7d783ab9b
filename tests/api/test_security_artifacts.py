"""Secrets stay out of what xarray and dask carry (issue 8, the secrets suite).

A lazy dataset travels: its attrs and encoding are written to netCDF/Zarr, its dask graph is
cloudpickled to workers. Neither may hold the API private key, the OAuth2 tokens, the
client secret or the Basic header. The demo password ("hexoskin") is also the scheme name in
``hexoskin://`` URLs, so it is searched for in its encoded forms (the Basic header value,
``username:password``).
"""

from __future__ import annotations

import base64
import pickle

import cloudpickle
import pytest
import xarray as xr

from hexoframe.api.client import Client
from hexoframe.emulator.auth import OAUTH_CLIENT


def _secrets(user: dict, client: Client) -> list[bytes]:
    pair = f"{user['email']}:{user['password']}"
    found = [
        user["api_secret"].encode(),
        base64.b64encode(pair.encode()),
        pair.encode(),
        OAUTH_CLIENT["client_secret"].encode(),
    ]
    token = getattr(client.auth, "_access_token", None)
    refresh = getattr(client.auth, "_refresh_token", None)
    found += [t.encode() for t in (token, refresh) if t]
    return found


def _clients(url: str, user: dict) -> dict[str, Client]:
    return {
        "apikey": Client(base_url=url, api_key=user["api_key"], api_secret=user["api_secret"]),
        "oauth2-password": Client(
            base_url=url,
            username=user["email"],
            password=user["password"],
            client_id=OAUTH_CLIENT["client_id"],
            client_secret=OAUTH_CLIENT["client_secret"],
        ),
    }


@pytest.mark.parametrize("auth", ["apikey", "oauth2-password"])
def test_dataset_attrs_encoding_and_dask_graph_hold_no_secrets(
    hexoskin_emulator, hexoskin_users, auth
):
    user = hexoskin_users["athlete"]
    client = _clients(hexoskin_emulator.url, user)[auth]
    with client:
        ds = xr.open_dataset(
            "hexoskin://record/37700",
            engine="hexoskin",
            client=client,
            datatypes=["hr", "ecg", "rr"],
            chunks={},
        )
        hr = ds["heart_rate"].isel(time_1hz=slice(0, 60)).load()  # requests were signed
        assert hr.size == 60 and int(hr.notnull().sum()) == 60
        secrets = _secrets(user, client)
        if auth == "oauth2-password":
            assert client.auth._access_token  # a token was fetched and is in the search
        texts = [repr(ds), str(ds.attrs)]
        for name, var in ds.variables.items():
            texts += [name, str(var.attrs), str(var.encoding)]
        blob = "\n".join(texts).encode()
        graph = ds["ecg_i"].data.__dask_graph__()
        blobs = {
            "repr/attrs/encoding": blob,
            "cloudpickled dataset": cloudpickle.dumps(ds),
            "cloudpickled dask graph": cloudpickle.dumps(dict(graph)),
            "pickled dataset": pickle.dumps(ds),
        }
        for what, data in blobs.items():
            for secret in secrets:
                assert secret not in data, f"a secret is in the {what}"
        ds.close()
