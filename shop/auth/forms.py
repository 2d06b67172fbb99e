from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length

# What shop/domain/password_policy.py checks, said before the shopper types.
CHOOSING_HINT = ("At least 10 characters; not a common password, and not your e-mail "
                 "address.")


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    email = EmailField("Email", filters=[strip], validators=[
        InputRequired("Enter your email address."), Length(max=254),
        Email("Enter an email address like name@example.com.")])
    password = PasswordField("Password", validators=[
        InputRequired("Enter your password."), Length(max=200)])
    next = HiddenField()


class LogoutForm(FlaskForm):
    """Only a CSRF token: signing out is a POST so that a link elsewhere cannot do it."""


class RegisterForm(FlaskForm):
    name = StringField("Your name", filters=[strip], validators=[
        InputRequired("Enter your name."), Length(max=120)])
    email = EmailField("Email", filters=[strip], validators=[
        InputRequired("Enter your email address."), Length(max=254),
        Email("Enter an email address like name@example.com.")])
    password = PasswordField("Password", description=CHOOSING_HINT, validators=[
        InputRequired("Choose a password."), Length(max=200)])
    confirm = PasswordField("Repeat the password", validators=[
        InputRequired("Repeat the password."),
        EqualTo("password", "The two passwords are not the same.")])
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", filters=[strip], validators=[
        InputRequired("Enter your email address."), Length(max=254),
        Email("Enter an email address like name@example.com.")])


class VerifyRequestForm(FlaskForm):
    """Ask for a new verification link (the account page's banner sends its own address)."""

    email = EmailField("Email", filters=[strip], validators=[
        InputRequired("Enter your email address."), Length(max=254),
        Email("Enter an email address like name@example.com.")])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", description=CHOOSING_HINT,
                             validators=[InputRequired("Choose a new password."),
                                         Length(max=200)])
    confirm = PasswordField("Repeat the new password", validators=[
        InputRequired("Repeat the new password."),
        EqualTo("password", "The two passwords are not the same.")])


class AcceptInviteForm(FlaskForm):
    password = PasswordField("Choose a password", description="At least 10 characters.",
                             validators=[InputRequired("Choose a password."),
                                         Length(max=200)])
    confirm = PasswordField("Repeat the password", validators=[
        InputRequired("Repeat the password."),
        EqualTo("password", "The two passwords are not the same.")])


class JoinForm(FlaskForm):
    """Only a CSRF token: accepting an invitation as the signed-in account."""
