"""Country and state/province fields, shared by the checkout and address-book forms.

The region's rule is the domain's (``domain.regions.check_region``); this module only turns
its refusal into a message beside the field.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField
from wtforms.validators import InputRequired, ValidationError

from .domain.errors import InvalidRegion
from .domain.pricing import RateTable
from .domain.regions import SERVED_KINDS, check_region, country_name, regions_of


def region_choices() -> list[SelectChoice]:
    """"None" first, then one group per country with regions (names from pycountry)."""
    choices = [SelectChoice("", "None (other countries)")]
    for country in SERVED_KINDS:
        group = country_name(country)
        choices += [SelectChoice(region.code, region.name, optgroup=group)
                    for region in regions_of(country)]
    return choices


class CountryRegionForm(FlaskForm):
    """Base of a form with an address: its country and, where it has them, its region."""

    country = SelectField("Country", validators=[InputRequired("Choose a country.")])
    region = SelectField(
        "State / province", choices=region_choices(), default="",
        description="For addresses in the United States and Canada.",
        invalid_choice_message="Choose a state or province from the list.")

    def set_countries(self, rates: RateTable, home: str | None = None) -> None:
        """The served countries by name; a blank form (not a post) starts on ``home``,
        the store's own country."""
        self.country.choices = sorted(rates.countries.items(), key=lambda item: item[1])
        if home in rates.countries and not self.is_submitted() and not self.country.data:
            self.country.data = home

    def validate_region(self, field: SelectField) -> None:
        country = self.country.data
        if country not in {code for code, _ in self.country.choices or ()}:
            return  # the country's own error says what to fix first
        try:
            field.data = check_region(country, field.data)
        except InvalidRegion as exc:
            raise ValidationError(str(exc)) from exc
