"""axe on every admin page, at desktop width and on a 375 px phone: no serious or critical
violations. The pages come from the URL map, so a new admin page is checked too."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from .conftest import DESKTOP, PHONE, shot

pytestmark = pytest.mark.e2e

SKIP = {"admin.export_orders", "admin.document_pdf"}  # downloads (CSV, PDF), not pages


def admin_pages():
    from shop import create_app

    app = create_app({"SHOP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted({(rule.endpoint, rule.rule) for rule in app.url_map.iter_rules()
                   if rule.rule.startswith("/admin") and "GET" in rule.methods
                   and rule.endpoint not in SKIP})


def serious(results) -> list[str]:
    return [f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes'][0]['target']}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("admin_page", [DESKTOP, PHONE], indirect=True,
                         ids=["desktop", "phone"])
@pytest.mark.parametrize("endpoint,rule", admin_pages())
def test_no_serious_accessibility_violations(admin_page, admin_site, money_site, endpoint,
                                             rule):
    url = (rule.replace("<int:order_id>", str(admin_site.order_id))
           .replace("<int:product_id>", str(admin_site.product_id))
           .replace("<int:attempt_id>", str(money_site.attempt_id))
           .replace("<int:alert_id>", str(admin_site.alert_id)))
    assert "<" not in url, f"no test value for {rule}"
    response = admin_page.goto(admin_site.base_url + url)
    assert response.status == 200, f"{url}: {response.status}"
    width = admin_page.viewport_size["width"]
    shot(admin_page, f"admin-{endpoint.split('.')[-1]}-{width}")
    assert serious(Axe().run(admin_page)) == []
    # Usable on a phone: nothing wider than the screen except inside scrollable tables.
    overflow = admin_page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"{url} is {overflow}px wide at {width}px"
