"""ISO 11649 transfer references: made from the order number, checked, typos refused."""

import pytest

from shop.domain.payment_methods.bank_reference import (
    InvalidReference,
    grouped,
    is_valid,
    make_reference,
    order_number_of,
)


def test_iso_11649_published_example_checks():
    # The standard's own example, as printed.
    assert is_valid("RF18 5390 0754 7034")
    assert not is_valid("RF19 5390 0754 7034")


@pytest.mark.parametrize("number", [1, 42, 999, 123456, 2**31 - 1])
def test_made_reference_is_valid_and_names_the_order(number):
    ref = make_reference(number)
    assert ref.startswith("RF") and ref.endswith(f"SO{number}")
    assert is_valid(ref)
    assert order_number_of(ref) == number
    assert order_number_of(grouped(ref).lower()) == number


def test_references_are_unique_per_order():
    refs = {make_reference(n) for n in range(1, 5001)}
    assert len(refs) == 5000


@pytest.mark.parametrize("number", [0, -1, 2**31, True, "42"])
def test_bad_order_numbers_are_refused(number):
    with pytest.raises(InvalidReference):
        make_reference(number)


def _alphabet(ch):
    return "0123456789" if ch.isdigit() else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@pytest.mark.parametrize("number", [7, 4711, 20261207])
def test_every_single_changed_character_is_refused(number):
    ref = make_reference(number)
    for i in range(2, len(ref)):
        for other in _alphabet(ref[i]):
            if other == ref[i]:
                continue
            typo = ref[:i] + other + ref[i + 1:]
            assert not is_valid(typo), typo
            with pytest.raises(InvalidReference):
                order_number_of(typo)


@pytest.mark.parametrize("number", [7, 4711, 20261207, 1203])
def test_every_swap_of_neighbours_is_refused(number):
    ref = make_reference(number)
    for i in range(2, len(ref) - 1):
        if ref[i] == ref[i + 1]:
            continue
        typo = ref[:i] + ref[i + 1] + ref[i] + ref[i + 2:]
        assert not is_valid(typo), typo


@pytest.mark.parametrize("raw", ["", "RF", "RF12", "XX18539007547034", "RF1A SO1",
                                 "RF18 5390 0754 7034 0000 0000 0000 0000"])
def test_malformed_references_are_refused(raw):
    assert not is_valid(raw)
    with pytest.raises(InvalidReference):
        order_number_of(raw)


def test_valid_reference_that_is_not_ours_is_refused():
    with pytest.raises(InvalidReference, match="not one of this store's"):
        order_number_of("RF18539007547034")
