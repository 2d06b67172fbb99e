"""Every route of the app with placeholder arguments, for the tests that walk them all."""

from werkzeug.routing.converters import AnyConverter, IntegerConverter


def placeholder(converter, int_value=1):
    """A value the rule accepts: ``int_value`` for an integer, one of an ``any(...)``'s
    words (the provider in ``/orders/<token>/return/<provider>``), "x" otherwise."""
    if isinstance(converter, IntegerConverter):
        return int_value
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return "x"


def arguments(rule, int_value=1) -> dict:
    return {arg: placeholder(rule._converters[arg], int_value) for arg in rule.arguments}
