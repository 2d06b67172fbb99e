"""Extensions created without an app; ``create_app`` binds them."""

from typing import TYPE_CHECKING, ClassVar

from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase

from .limiter import ShopLimiter

# Named constraints so that Alembic can alter them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)

    if TYPE_CHECKING:
        # Every model maps a Table (SQLAlchemy types it as any FromClause), so that
        # insert(Model.__table__) type-checks.
        __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:
    # mypy takes no attribute of an instance as a base class (mypy issue 8603), so the models
    # subclass this name; db.Model, built by Flask-SQLAlchemy at run time, derives from Base.
    Model = Base
else:
    Model = db.Model

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Storage, limits and 429 responses are configured in shop/ratelimit.py.
limiter = ShopLimiter(key_func=get_remote_address)
