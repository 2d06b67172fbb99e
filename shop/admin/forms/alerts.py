"""Resolving an alert, and the owner's alert thresholds and webhook (a form of its own, in
its own section of /admin/settings)."""

from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ...domain.alert_rules import Thresholds
from ...services.platform.alerts import NOTE_MAX
from . import strip


class ResolveAlertForm(FlaskForm):
    note = TextAreaField(
        "What was done", filters=[strip],
        description="Kept with the alert and in the audit log.",
        validators=[InputRequired("Say what was done about it."),
                    Length(3, NOTE_MAX, "Write between %(min)d and %(max)d characters.")])


def _percent(label: str, description: str) -> IntegerField:
    return IntegerField(label, description=description, validators=[
        InputRequired("Enter a whole percentage."),
        NumberRange(0, 100, "Choose between %(min)s and %(max)s.")])


def _http_url(form, field) -> None:
    if not field.data:
        return
    parts = urlsplit(field.data)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username \
            or parts.password:
        raise ValidationError("Enter an address starting with https://, without a password.")


class AlertSettingsForm(FlaskForm):
    alert_success_rate_min = _percent(
        "Alert when payment success falls below (%)",
        "Over the last hour: declines, failed 3-D Secure and abandoned payments count.")
    alert_min_sample = IntegerField(
        "Only with at least this many payments, events or holds",
        description="Below this a ratio is noise: a quiet shop is not alerted for one decline.",
        validators=[InputRequired("Enter a number."),
                    NumberRange(1, 10000, "Choose between %(min)s and %(max)s.")])
    alert_webhook_failure_max = _percent(
        "Alert when webhook failures rise above (%)", "Stripe events of the last hour.")
    alert_hold_lapse_max = _percent(
        "Alert when lapsed holds rise above (%)",
        "Stock holds of the last day that ran out unpaid.")
    alert_webhook_url = StringField(
        "Alert webhook URL", filters=[strip],
        description="Optional: alerts are also POSTed here as signed JSON.",
        validators=[Optional(), Length(max=500, message="At most %(max)d characters."),
                    _http_url])
    alert_new_secret = BooleanField("Make a new signing secret (the old one stops working)")


def alert_settings_form(thresholds: Thresholds, webhook_url: str | None) -> AlertSettingsForm:
    """The section as saved (never bound to a request: the page's other form may be posted)."""
    return AlertSettingsForm(formdata=None, data={
        "alert_success_rate_min": thresholds.success_rate_min,
        "alert_min_sample": thresholds.min_sample,
        "alert_webhook_failure_max": thresholds.webhook_failure_max,
        "alert_hold_lapse_max": thresholds.hold_lapse_max,
        "alert_webhook_url": webhook_url or "",
    })


def to_thresholds(form: AlertSettingsForm) -> Thresholds:
    return Thresholds(success_rate_min=form.alert_success_rate_min.data,
                      min_sample=form.alert_min_sample.data,
                      webhook_failure_max=form.alert_webhook_failure_max.data,
                      hold_lapse_max=form.alert_hold_lapse_max.data)
