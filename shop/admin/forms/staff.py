from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, SelectField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange

from ...domain.numbers import MAX_ID
from ...models import Role
from . import strip

ROLES = {Role.STAFF.value: "Staff: orders, payments, stock",
         Role.OWNER.value: "Owner: everything, including settings and staff"}


class AddMemberForm(FlaskForm):
    email = EmailField("E-mail", filters=[strip], validators=[
        DataRequired("Enter the person's e-mail address."), Length(max=254),
        Email("Enter an e-mail address like name@example.com.")])
    role = SelectField("Role", choices=ROLES, default=Role.STAFF.value,
                       validators=[InputRequired("Choose a role.")])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices={r.value: r.value.capitalize() for r in Role},
                       validators=[InputRequired("Choose a role.")])


class StoreSwitchForm(FlaskForm):
    store_id = IntegerField("Store", validators=[InputRequired("Choose a store."),
                                                NumberRange(1, MAX_ID, "Choose a store.")])
