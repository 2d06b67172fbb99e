"""Default sales tax rates per US state and Canadian province, in basis points (1 % = 100).

They are defaults an owner reviews and edits in /admin/settings, not tax advice.

- United States: each state's base rate as of January 2026 (Tax Foundation, "State and
  Local Sales Tax Rates, 2026", the "state tax rate" column; Utah and Virginia include the
  rate every locality adds statewide, as that table does). Local rates (counties, cities,
  districts) are not included. DC's general rate stayed at 6 % (the rise planned for
  October 2025 was repealed); a rise to 7 % was scheduled for 1 October 2026: check it.
- Canada: GST 5 %, or the HST that replaces it, plus the provincial tax where one is charged
  separately (Canada Revenue Agency, "GST/HST rates", and the provinces' own PST pages;
  Nova Scotia's HST is 14 % since 1 April 2025). Shops registered for GST/HST charge the
  provincial part only where they are registered for it; the owner edits that here.

Basis points hold two decimals of a percent. Five rates have a third: Minnesota 6.875 %,
New Jersey 6.625 %, Missouri 4.225 %, New Mexico 4.875 % and Quebec 5 % GST + 9.975 % QST;
they are rounded down (half a cent on 100 dollars), so the default never charges more than
the law does.
"""

from __future__ import annotations

US_STATE_BP: dict[str, int] = {
    "US-AL": 400, "US-AK": 0, "US-AZ": 560, "US-AR": 650, "US-CA": 725, "US-CO": 290,
    "US-CT": 635, "US-DE": 0, "US-DC": 600, "US-FL": 600, "US-GA": 400, "US-HI": 400,
    "US-ID": 600, "US-IL": 625, "US-IN": 700, "US-IA": 600, "US-KS": 650, "US-KY": 600,
    "US-LA": 500, "US-ME": 550, "US-MD": 600, "US-MA": 625, "US-MI": 600, "US-MN": 687,
    "US-MS": 700, "US-MO": 422, "US-MT": 0, "US-NE": 550, "US-NV": 685, "US-NH": 0,
    "US-NJ": 662, "US-NM": 487, "US-NY": 400, "US-NC": 475, "US-ND": 500, "US-OH": 575,
    "US-OK": 450, "US-OR": 0, "US-PA": 600, "US-RI": 700, "US-SC": 600, "US-SD": 420,
    "US-TN": 700, "US-TX": 625, "US-UT": 610, "US-VT": 600, "US-VA": 530, "US-WA": 650,
    "US-WV": 600, "US-WI": 500, "US-WY": 400,
}

# Province → (federal part, provincial part, how the province's receipts name them).
CANADA_PARTS: dict[str, tuple[int, int, str]] = {
    "CA-AB": (500, 0, "GST 5%"),
    "CA-BC": (500, 700, "GST 5% + PST 7%"),
    "CA-MB": (500, 700, "GST 5% + RST 7%"),
    "CA-NB": (1500, 0, "HST 15%"),
    "CA-NL": (1500, 0, "HST 15%"),
    "CA-NS": (1400, 0, "HST 14%"),
    "CA-NT": (500, 0, "GST 5%"),
    "CA-NU": (500, 0, "GST 5%"),
    "CA-ON": (1300, 0, "HST 13%"),
    "CA-PE": (1500, 0, "HST 15%"),
    "CA-QC": (500, 997, "GST 5% + QST 9.975%, rounded down"),
    "CA-SK": (500, 600, "GST 5% + PST 6%"),
    "CA-YT": (500, 0, "GST 5%"),
}
CANADA_BP: dict[str, int] = {code: federal + provincial
                             for code, (federal, provincial, _) in CANADA_PARTS.items()}

REGION_BP: dict[str, int] = {**US_STATE_BP, **CANADA_BP}


def default_breakdown(region: str) -> str:
    """What the default rate of a Canadian province is made of ("" elsewhere)."""
    parts = CANADA_PARTS.get(region)
    return parts[2] if parts else ""
