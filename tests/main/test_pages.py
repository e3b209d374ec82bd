"""The public pages, error pages, headers and health check."""

from __future__ import annotations

from bs4 import BeautifulSoup


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_home_lists_councils(client, council, other_council):
    page = soup(client.get("/"))
    links = {a.get_text(strip=True): a["href"] for a in page.select("main a")}
    assert links["Testshire District Council"] == "/c/testshire"
    assert links["Elsewhere Borough Council"] == "/c/elsewhere"


def test_council_home_shows_its_name_in_the_header(client, council):
    response = client.get("/c/testshire")
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one(".govuk-header").get_text(" ", strip=True).startswith("Testshire District Council")
    assert page.h1.get_text(strip=True) == "Testshire District Council"
    assert "Testing intro" in page.get_text()


def test_pages_have_skip_link_phase_banner_and_footer_links(client, app_ctx):
    page = soup(client.get("/"))
    assert page.select_one("a.govuk-skip-link")["href"] == "#main-content"
    assert page.select_one(".govuk-phase-banner")
    footer = {a.get_text(strip=True): a["href"] for a in page.select("footer a")}
    assert footer["Accessibility statement"] == "/accessibility"
    assert footer["Privacy notice"] == "/privacy"
    for path in ("/accessibility", "/privacy"):
        assert client.get(path).status_code == 200


def test_no_crown_or_gds_transport(client, app_ctx):
    html = client.get("/").get_data(as_text=True)
    assert "govuk-crest" not in html and "crown" not in html.lower()
    css = client.get("/static/engage.css")
    assert css.status_code == 200
    text = css.get_data(as_text=True)
    assert "GDS Transport" not in text
    assert "arial" in text


def test_unknown_url_gets_the_404_page(client, app_ctx):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert soup(response).h1.get_text(strip=True) == "Page not found"
    assert client.get("/c/no-such-council").status_code == 404


def test_security_headers_and_csp(client, app_ctx):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_no_cookie_for_a_visitor_who_only_reads(client, app_ctx):
    response = client.get("/")
    assert "Set-Cookie" not in response.headers


def test_healthz_reports_the_database(client, app_ctx):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_a_broken_database():
    from engage import create_app

    broken = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent-folder/engage.sqlite"})
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error"


def test_unhandled_error_gets_the_500_page():
    from engage import create_app

    fresh = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})

    @fresh.route("/test-boom")
    def boom():
        raise RuntimeError("kaboom")

    response = fresh.test_client().get("/test-boom")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.get_data(as_text=True)
    assert "kaboom" not in response.get_data(as_text=True)


def test_dev_outbox_only_in_development(app_ctx):
    from engage import create_app

    production_like = create_app({"SHOW_DEV_OUTBOX": False, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert production_like.test_client().get("/dev/outbox").status_code == 404


def test_database_failure_gets_a_503_page_even_for_a_signed_in_user(client, make_user, council, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from engage.auth import services as auth_services
    from tests.conftest import sign_in

    sign_in(client, make_user("officer", council))

    def database_down(user_id):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(auth_services, "load_user", database_down)
    response = client.get("/account")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = soup(response)
    assert page.h1.get_text(strip=True) == "Sorry, the service is unavailable"
    assert "your response was not saved" in page.get_text()
    assert "server closed the connection" not in response.get_data(as_text=True)
