"""Demo customers: names, companies, contact details, places, channels and consent, as column arrays.

Built by indexing small word lists with random integer arrays, so 100k customers take milliseconds and the
same seed always gives the same people. Addresses use reserved example domains and fictional phone ranges.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

from customers.demo.profiles import CHANNELS, PROFILES, Calendar, profile_array
from customers.demo.words import (
    COMPANY_FAMILY,
    COMPANY_NOUNS,
    COMPANY_SUFFIXES,
    COMPANY_WORDS,
    COUNTRIES,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
)


def _slug(word: str) -> str:
    """Lower-case ASCII for email addresses: "O'Brien" -> "obrien", "Müller" -> "muller"."""
    ascii_word = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_word.lower() if ch.isalnum())


def _objects(words) -> np.ndarray:
    """Words as an object array, so that indexing and `+` build Python strings of any length."""
    return np.array(list(words), dtype=object)


def _digits(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    """Zero-padded random digit strings, as an object array."""
    return pd.Series(rng.integers(0, 10**width, n)).astype(str).str.zfill(width).to_numpy(dtype=object)


def make_customers(
    rng: np.random.Generator,
    group: np.ndarray,
    first_day: np.ndarray,
    calendar: Calendar,
    n_owners: int,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The customers table (ids 1..n, in the order of `group`) and each customer's first name.

    `owner_index` is a round-robin index into the demo reps (or -1 when there are none); the loader maps it
    to user ids. Customers were created in the CRM up to two months before their first order.
    """
    n = len(group)
    ids = np.arange(1, n + 1)
    first_i = rng.integers(len(FIRST_NAMES), size=n)
    last_i = rng.integers(len(LAST_NAMES), size=n)
    first = _objects(FIRST_NAMES)[first_i]
    last = _objects(LAST_NAMES)[last_i]
    names = first + " " + last

    slug_first = _objects(_slug(w) for w in FIRST_NAMES)[first_i]
    slug_last = _objects(_slug(w) for w in LAST_NAMES)[last_i]
    domain = _objects(EMAIL_DOMAINS)[rng.integers(len(EMAIL_DOMAINS), size=n)]
    # The customer number keeps addresses unique without looking machine-made.
    emails = slug_first + "." + slug_last + ids.astype(str).astype(object) + "@" + domain
    emails = np.where(rng.random(n) < 0.97, emails, "")

    company_share = profile_array("company_share")[group]
    has_company = rng.random(n) < company_share
    pattern = rng.random(n) < 0.6
    word = _objects(COMPANY_WORDS)[rng.integers(len(COMPANY_WORDS), size=n)]
    noun = _objects(COMPANY_NOUNS)[rng.integers(len(COMPANY_NOUNS), size=n)]
    family = _objects(COMPANY_FAMILY)[rng.integers(len(COMPANY_FAMILY), size=n)]
    suffix = _objects(COMPANY_SUFFIXES)[rng.integers(len(COMPANY_SUFFIXES), size=n)]
    company = np.where(pattern, word + " " + noun, last + " & " + family) + " " + suffix
    company = np.where(has_company, pd.Series(company).str.strip().to_numpy(dtype=object), "")

    weights = np.array([c[1] for c in COUNTRIES], dtype=float)
    country_i = rng.choice(len(COUNTRIES), n, p=weights / weights.sum())
    country = _objects(c[0] for c in COUNTRIES)[country_i]
    city = np.empty(n, dtype=object)
    phone_code = _objects(c[2] for c in COUNTRIES)[country_i]
    for code, (_, _, _, cities) in enumerate(COUNTRIES):
        mask = country_i == code
        city[mask] = _objects(cities)[rng.integers(len(cities), size=int(mask.sum()))]
    # UK numbers from Ofcom's drama range; elsewhere a 555 number.
    uk = country_i == 0
    phone = np.where(
        uk, "+44 7700 900" + _digits(rng, n, 3), phone_code + " 555 " + _digits(rng, n, 3) + " " + _digits(rng, n, 4)
    )
    phone = np.where(rng.random(n) < 0.75, phone, "")

    channel = np.empty(n, dtype=np.int64)
    for code, profile in enumerate(PROFILES):
        mask = group == code
        w = np.array(profile.channel_weights, dtype=float)
        channel[mask] = rng.choice(len(CHANNELS), int(mask.sum()), p=w / w.sum())

    marketing = rng.random(n) < profile_array("marketing_share")[group]
    profiling = rng.random(n) >= 0.04
    lead_days = rng.integers(0, 60, n)
    created_at = calendar.timestamps(first_day - lead_days, rng.integers(8 * 3600, 18 * 3600, n))

    customers = pd.DataFrame(
        {
            "id": ids,
            "external_id": "DEMO-C" + pd.Series(ids).astype(str).str.zfill(7),
            "name": names,
            "email": emails,
            "phone": phone,
            "company": company,
            "country": country,
            "city": city,
            "acquisition_channel": np.array(CHANNELS, dtype=object)[channel],
            "owner_index": (ids - 1) % n_owners if n_owners > 0 else np.full(n, -1),
            "marketing_consent": marketing,
            "profiling_consent": profiling,
            "created_at": created_at,
            "updated_at": created_at,
        }
    )
    return customers, first
