"""The supporter's officials page, served from the lookup cache, against the static CSS file
(the cheapest page the app serves), both through the Flask test client."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import responses

from . import DEMO_SLUG, POSTCODE, REPRESENT, Result, compare, demo_app, represent_body


def run(seconds: float) -> Result:
    with (
        tempfile.TemporaryDirectory(prefix="advocacy-bench-") as directory,
        responses.RequestsMock(assert_all_requests_are_fired=True) as upstream,
    ):
        # Stubbed once for the lookup that fills the cache; any other request would fail.
        upstream.get(f"{REPRESENT}/postcodes/{POSTCODE.replace(' ', '')}/", json=represent_body())
        app = demo_app(Path(directory))
        client = app.test_client()
        page = client.get(f"/c/{DEMO_SLUG}/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        found = client.post(
            f"/c/{DEMO_SLUG}/lookup", data={"csrf_token": token, "postcode": POSTCODE}
        )
        assert found.status_code == 303, found.status_code

        def officials() -> None:
            response = client.get(f"/c/{DEMO_SLUG}/officials")
            response.get_data()
            response.close()

        def stylesheet() -> None:
            response = client.get("/static/style.css")
            response.get_data()
            response.close()

        check = client.get(f"/c/{DEMO_SLUG}/officials")
        assert check.status_code == 200 and "Alexandra Placeholder" in check.get_data(as_text=True)
        assert client.get("/static/style.css").status_code == 200
        result = compare(
            "officials page (cached lookup)", officials, "static CSS file", stylesheet, seconds
        )
        assert len(upstream.calls) == 1  # everything after the first lookup came from the cache
        app.extensions["advocacy_db"].engine.dispose()
        return result
