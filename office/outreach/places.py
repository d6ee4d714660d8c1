"""The places the outreach conversation knows, and which scheduled events are nearest to a place.

Citizens name a kecamatan inside a longer message, often misspelt ("layanan keliling di tumijajr?",
"near gunung agung"). `match_place` finds it with a typo-tolerant comparison (difflib, standard
library) over every window of words, ignoring case, spaces and punctuation, so "tumi jajar" and
"Tumijajar" are the same place. The places live in places.yml next to this module, which an
administrator may edit (aliases, other kecamatan). Centre coordinates there are approximate and
serve only to order suggestions ("the nearest scheduled service days"); without them, suggestions
are ordered by date.
"""
from __future__ import annotations

import difflib
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence, TypeVar

import yaml

PLACES_FILE = Path(__file__).with_name("places.yml")
# Similarity (difflib ratio on the text without spaces) a window of words needs to count as a place.
MATCH_THRESHOLD = 0.86
MIN_FUZZY_LENGTH = 5  # shorter names and aliases must match exactly


@dataclass(frozen=True)
class Place:
    """A kecamatan (or other area) the office serves."""

    name: str
    kabupaten: str
    aliases: tuple[str, ...] = ()
    centre: tuple[float, float] | None = None  # approximate (lat, lon), only for ordering suggestions

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def fold(text: str) -> str:
    """Lowercase, accents and punctuation removed, single spaces: "Tumi-Jajar!" -> "tumi jajar"."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.findall(r"[a-z0-9]+", text))


def _compact(text: str) -> str:
    return fold(text).replace(" ", "")


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[Place, ...]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    places = []
    for item in data.get("places") or []:
        centre = item.get("centre")
        places.append(Place(
            name=str(item["name"]).strip(),
            kabupaten=str(item.get("kabupaten") or "").strip(),
            aliases=tuple(str(a).strip() for a in item.get("aliases") or [] if str(a).strip()),
            centre=(float(centre[0]), float(centre[1])) if centre else None,
        ))
    return tuple(places)


def load_places(path: Path | None = None) -> tuple[Place, ...]:
    """The known places (cached per file)."""
    return _load(str(path or PLACES_FILE))


@lru_cache(maxsize=4)
def _load_kabupaten(path: str) -> tuple[Place, ...]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return tuple(Place(name=str(k["name"]).strip(), kabupaten=str(k["name"]).strip(),
                       aliases=tuple(str(a).strip() for a in k.get("aliases") or []))
                 for k in data.get("kabupaten") or [])


def match_kabupaten(text: str, path: Path | None = None) -> str | None:
    """The kabupaten a text names ("di Tubaba" -> "Tulang Bawang Barat"), or None: a question about a
    whole kabupaten is not about an unknown place."""
    found = match_place_span(text, _load_kabupaten(str(path or PLACES_FILE)))
    return found[0].name if found else None


def _score(window: str, key: str) -> float:
    if window == key:
        return 1.0
    if len(key) < MIN_FUZZY_LENGTH or abs(len(window) - len(key)) > 3:
        return 0.0
    return difflib.SequenceMatcher(None, window, key).ratio()


def match_place_span(text: str, places: Sequence[Place] | None = None) -> tuple[Place, str] | None:
    """The place a message names and the words that named it, or None. The best-scoring window wins;
    a tie between two different places is no match (better to ask than to guess)."""
    words = fold(text).split()
    if not words:
        return None
    best: tuple[float, int, Place, str] | None = None
    tied = False
    for place in places if places is not None else load_places():
        for name in place.names():
            key_words = fold(name).split()
            key = "".join(key_words)
            if not key:
                continue
            for size in {max(1, len(key_words) - 1), len(key_words), len(key_words) + 1}:
                for start in range(0, max(0, len(words) - size) + 1):
                    window_words = words[start:start + size]
                    score = _score("".join(window_words), key)
                    if score < MATCH_THRESHOLD:
                        continue
                    candidate = (score, len(key), place, " ".join(window_words))
                    if best is None or (score, len(key)) > (best[0], best[1]):
                        tied = False
                        best = candidate
                    elif (score, len(key)) == (best[0], best[1]) and place.name != best[2].name:
                        tied = True
    if best is None or tied:
        return None
    return best[2], best[3]


def match_place(text: str, places: Sequence[Place] | None = None) -> Place | None:
    """The known place a text names ("kapan ada layanan keliling di tumijajr?" -> Tumijajar), or None."""
    found = match_place_span(text, places)
    return found[0] if found else None


def same_place(kecamatan: str, place: Place) -> bool:
    """Whether an event's kecamatan (as staff typed it) is this place."""
    folded = _compact(kecamatan)
    if folded in {_compact(n) for n in place.names()}:
        return True
    matched = match_place(kecamatan)
    return matched is not None and matched.name == place.name


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


T = TypeVar("T")


def order_by_nearness(events: Iterable[T], place: Place | None, *, kecamatan_of=lambda e: e.kecamatan,
                      day_of=lambda e: e.day) -> list[T]:
    """Events in the place first, then by approximate distance of their kecamatan's centre, then by date.
    Events whose kecamatan (or the asked place) has no known centre come after, by date."""
    items = list(events)
    if place is None:
        return sorted(items, key=lambda e: day_of(e))
    known = load_places()

    def key(event: T) -> tuple[int, float, object]:
        if same_place(kecamatan_of(event), place):
            return (0, 0.0, day_of(event))
        other = match_place(kecamatan_of(event), known)
        if place.centre and other is not None and other.centre:
            return (1, distance_km(place.centre, other.centre), day_of(event))
        return (2, 0.0, day_of(event))

    return sorted(items, key=key)
