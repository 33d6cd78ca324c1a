"""Synthetic people: names, dates of birth, identifiers and addresses. Deterministic per seed."""

import random
from datetime import date, timedelta

from faker import Faker

from registry.identifiers import upn_check_letter
from registry.school_age import academic_year_start

# A few names with accents, apostrophes and hyphens, so search and matching meet them.
ACCENTED_FORENAMES = [
    "Zoë",
    "Chloé",
    "Siân",
    "Seán",
    "Aoife",
    "José",
    "Renée",
    "Björn",
    "Anaïs",
    "Oisín",
]
HYPHENATED_SURNAMES = [
    "Ashworth-Brown",
    "O'Brien",
    "Smith-Jones",
    "D'Souza",
    "Lloyd-Davies",
    "McAllister",
]
OUTWARD_CODES = (
    [f"BN{n}" for n in range(1, 46)]
    + [f"RH{n}" for n in range(10, 21)]
    + [f"PO{n}" for n in range(18, 23)]
)
TOWNS = [
    "Worthing",
    "Crawley",
    "Horsham",
    "Chichester",
    "Bognor Regis",
    "Littlehampton",
    "Burgess Hill",
    "East Grinstead",
    "Haywards Heath",
    "Shoreham-by-Sea",
]


class PeopleFactory:
    def __init__(self, rng: random.Random, faker: Faker, la_code: str):
        self.rng = rng
        self.faker = faker
        self.la_code = la_code
        self._upn_serials: dict[str, int] = {}

    def forename(self, sex: str) -> str:
        if self.rng.random() < 0.03:
            return self.rng.choice(ACCENTED_FORENAMES)
        return self.faker.first_name_female() if sex == "F" else self.faker.first_name_male()

    def surname(self) -> str:
        if self.rng.random() < 0.06:
            return self.rng.choice(HYPHENATED_SURNAMES)
        return self.faker.last_name()

    def date_of_birth_for_nc_year(self, nc_year: int, on: date) -> date:
        """A birthday that puts the child in ``nc_year`` (0 = Reception) on ``on``."""
        cohort_start = academic_year_start(on) - 5 - nc_year
        return date(cohort_start, 9, 1) + timedelta(days=self.rng.randrange(365))

    def upn(self, estab: str, allocated: date) -> str:
        # Serials run per school and year, as schools allocate them; past 999 the year moves on.
        year = allocated.year % 100
        prefix = f"{self.la_code}{estab}{year:02d}"
        serial = self._upn_serials.get(prefix, 0) + 1
        while serial > 999:
            year = (year + 1) % 100
            prefix = f"{self.la_code}{estab}{year:02d}"
            serial = self._upn_serials.get(prefix, 0) + 1
        self._upn_serials[prefix] = serial
        body = f"{prefix}{serial:03d}"
        return upn_check_letter(body) + body

    def uln(self) -> str:
        while True:
            digits = [self.rng.randrange(1, 10)] + [self.rng.randrange(10) for _ in range(8)]
            total = sum(w * d for w, d in zip(range(10, 1, -1), digits, strict=True))
            check = (10 - total) % 11
            if check < 10:
                return "".join(map(str, digits)) + str(check)

    def nhs_number(self) -> str:
        while True:
            digits = [self.rng.randrange(10) for _ in range(9)]
            check = 11 - sum(w * d for w, d in zip(range(10, 1, -1), digits, strict=True)) % 11
            check = 0 if check == 11 else check
            if check != 10:
                return "".join(map(str, digits)) + str(check)

    def postcode(self) -> str:
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        inward = f"{self.rng.randrange(10)}{self.rng.choice(letters)}{self.rng.choice(letters)}"
        return f"{self.rng.choice(OUTWARD_CODES)} {inward}"

    def street_address(self) -> tuple[str, str]:
        return f"{self.rng.randrange(1, 200)} {self.faker.street_name()}", self.rng.choice(TOWNS)

    def phone(self) -> str:
        return f"07{self.rng.randrange(100, 999)} {self.rng.randrange(100000, 999999)}"
