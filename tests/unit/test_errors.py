"""One error model: every error a service or the domain raises carries its public code and
its HTTP status; "not found" is a class, not a naming convention."""

import importlib
import pkgutil

import pytest

import shop
from shop.domain.errors import DomainError, NotFound


def all_errors() -> list[type[DomainError]]:
    for module in pkgutil.walk_packages(shop.__path__, "shop."):
        importlib.import_module(module.name)
    found, todo = [], [DomainError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(set(found), key=lambda c: f"{c.__module__}.{c.__qualname__}")


@pytest.mark.parametrize("cls", all_errors(), ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_each_error_has_a_code_and_a_status(cls):
    assert isinstance(cls.code, str) and cls.code == cls.code.lower()
    assert cls.status in {403, 404, 409, 422, 429, 502, 503}
    if issubclass(cls, NotFound):
        assert cls.status == 404
    if cls.code.endswith("_not_found"):
        assert issubclass(cls, NotFound), "name it NotFound's subclass, not by its code"
