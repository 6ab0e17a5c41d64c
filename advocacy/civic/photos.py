"""Officials' photos, fetched by the server so that a supporter's browser never contacts a
third-party site (which would learn their IP address and whose page they were looking at)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from .errors import UpstreamUnavailable

IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


@dataclass(frozen=True)
class Photo:
    content_type: str
    data: bytes


class PhotoCache:
    """A small in-memory LRU of fetched photos (they are public and change rarely)."""

    def __init__(
        self,
        session: requests.Session,
        timeout: float,
        max_bytes: int = 512 * 1024,
        entries: int = 512,
    ) -> None:
        self.session = session
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.entries = entries
        self._items: OrderedDict[str, Photo] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, url: str) -> Photo:
        with self._lock:
            if url in self._items:
                self._items.move_to_end(url)
                return self._items[url]
        photo = self._fetch(url)
        with self._lock:
            self._items[url] = photo
            while len(self._items) > self.entries:
                self._items.popitem(last=False)
        return photo

    def _fetch(self, url: str) -> Photo:
        if urlsplit(url).scheme not in {"http", "https"}:
            raise UpstreamUnavailable("not a web address")
        try:
            with self.session.get(
                url, timeout=self.timeout, stream=True, headers={"Accept": "image/*"}
            ) as response:
                content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
                if response.status_code != 200 or content_type not in IMAGE_TYPES:
                    raise UpstreamUnavailable(f"photo answered {response.status_code}")
                data = b""
                for chunk in response.iter_content(64 * 1024):
                    data += chunk
                    if len(data) > self.max_bytes:
                        raise UpstreamUnavailable("photo too large")
        except requests.RequestException as exc:
            raise UpstreamUnavailable(f"photo failed: {exc.__class__.__name__}") from exc
        return Photo(content_type, data)
