"""French and Traditional Chinese: every supporter-facing string translated with the same
placeholders, the language from the URL's prefix or the browser's header, the switch, and the
letter's own language."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import unquote

import pytest

from advocacy import create_app, locales, mail
from tests.conftest import DEMO_SLUG, test_config
from tests.helpers import csrf_token, field_value, letter_form_data, textarea
from tests.i18n_catalogues import LANGUAGES, catalogue, marked, placeholder_set


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    """One app (demo campaign seeded) for this module's tests: each gets its own client."""
    app = create_app(test_config(tmp_path_factory.mktemp("i18n")))
    runner = app.test_cli_runner()
    for command in (["init-db"], ["seed-demo"]):
        assert runner.invoke(args=command).exit_code == 0
    yield app
    app.extensions["advocacy_db"].engine.dispose()


@pytest.fixture
def app(shared_app):
    return shared_app


@pytest.fixture
def client(shared_app):
    return shared_app.test_client()


TEMPLATES = sorted((Path(__file__).parent.parent / "advocacy" / "templates").rglob("*.html"))
MP = "Alexandra Placeholder"


def bare_text(source: str) -> list[str]:
    """Words left in a page template once Jinja tags, comments and HTML tags are removed."""
    source = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", source, flags=re.S)
    source = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.S)
    source = re.sub(r"<[^>]*>", " ", source, flags=re.S)
    return [w for w in source.split() if re.search(r"[^\W\d_]{2,}", w)]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_have_no_untranslated_text(template):
    assert bare_text(template.read_text(encoding="utf-8")) == []


def test_the_check_finds_bare_text():
    assert bare_text("<p>Hello {{ _('x') }}</p>") == ["Hello"]


# -- the catalogues -----------------------------------------------------------------------------

HOW_TO_FIX = (
    "run `make update`, then translate these in advocacy/translations/{lang}/LC_MESSAGES/"
    "messages.po (and remove any `#, fuzzy` line above them):\n"
)


@pytest.fixture(scope="module")
def strings():
    return marked()


def untranslated(strings, cat) -> list[str]:
    """Supporter-facing strings marked in the source with no (or only a fuzzy) translation."""
    missing = []
    for key, found in strings.items():
        if not found.supporter_facing:
            continue
        message = cat.get(key if isinstance(key, str) else key[0])
        forms = [] if message is None else message.string
        forms = [forms] if isinstance(forms, str) else list(forms)
        if message is None or message.fuzzy or not forms or not all(forms):
            missing.append(key if isinstance(key, str) else key[0])
    return sorted(missing)


def placeholder_mismatches(cat) -> list[str]:
    """Translations whose placeholders (%(name)s, %s, {x}) differ from the source's."""
    wrong = []
    for message in cat:
        if not message.id or not message.string:
            continue
        if isinstance(message.id, str):
            pairs = [(message.id, message.string)]
        else:
            singular, plural = message.id
            # A language with one form (Chinese) writes it with the plural's placeholders.
            sources = [singular] + [plural] * (len(message.string) - 1)
            if len(message.string) == 1:
                sources = [plural]
            pairs = list(zip(sources, message.string, strict=False))
        for source, text in pairs:
            if text and placeholder_set(source) != placeholder_set(text):
                wrong.append(f"{source!r} -> {text!r}")
    return wrong


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_supporter_facing_string_is_translated(strings, lang):
    missing = untranslated(strings, catalogue(lang))
    assert not missing, HOW_TO_FIX.format(lang=lang) + "\n".join(missing)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders(lang):
    wrong = placeholder_mismatches(catalogue(lang))
    assert not wrong, "\n".join(wrong)


def test_the_catalogue_checks_can_fail(strings):
    from babel.messages.catalog import Catalog

    cat = Catalog(locale="fr")
    cat.add("Your letter to %(name)s", "Votre lettre à %(nom)s")
    cat.add("Find my officials", "")
    assert placeholder_mismatches(cat) == ["'Your letter to %(name)s' -> 'Votre lettre à %(nom)s'"]
    missing = untranslated(strings, cat)
    assert "Find my officials" in missing and "Your letter to %(name)s" not in missing


# -- choosing the language ----------------------------------------------------------------------


def page_text(response) -> str:
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


BROWSERS = [
    ("fr-CA,fr;q=0.9,en;q=0.5", "fr", "Qui vous représente?"),
    ("zh-TW,zh;q=0.9", "zh-Hant", "誰代表您？"),
    ("zh-HK", "zh-Hant", "誰代表您？"),
    ("en-CA", "en", "Who represents you?"),
]


def test_the_browser_language_chooses_the_page_language(client):
    for header, lang, heading in BROWSERS:
        response = client.get(f"/c/{DEMO_SLUG}/", headers={"Accept-Language": header})
        assert response.status_code == 200
        assert html_lang(response) == lang, header
        assert heading in page_text(response), header
        assert "Accept-Language" in response.headers.get("Vary", "")


def test_a_prefix_chooses_the_language_whatever_the_header(client):
    response = client.get(f"/zh-hant/c/{DEMO_SLUG}/", headers={"Accept-Language": "fr-CA"})
    assert html_lang(response) == "zh-Hant"
    assert "查找我的民選代表" in page_text(response)
    # The URL alone says the language: caches need not vary on the header.
    assert "Accept-Language" not in response.headers.get("Vary", "")
    html = response.get_data(as_text=True)
    assert f'action="/zh-hant/c/{DEMO_SLUG}/lookup"' in html
    assert 'href="/zh-hant/static/style.css"' in html


def test_the_switch_links_to_this_page_in_each_language_without_a_cookie(app):
    client = app.test_client()
    html = client.get(f"/c/{DEMO_SLUG}/").get_data(as_text=True)
    nav = re.search(r'<nav class="languages".*?</nav>', html, re.S).group(0)
    assert f'href="/fr/c/{DEMO_SLUG}/" hreflang="fr" lang="fr">Français</a>' in nav
    assert (
        f'href="/zh-hant/c/{DEMO_SLUG}/" hreflang="zh-Hant" lang="zh-Hant">中文 (繁體)</a>' in nav
    )
    assert '<span lang="en" aria-current="true">English</span>' in nav
    # Followed by a browser that keeps no cookie at all, the link still gives French.
    fresh = app.test_client(use_cookies=False)
    response = fresh.get(f"/fr/c/{DEMO_SLUG}/", headers={"Accept-Language": "en"})
    assert html_lang(response) == "fr"
    # And /en/ gives English back to a browser that asks for French.
    response = fresh.get(f"/en/c/{DEMO_SLUG}/", headers={"Accept-Language": "fr"})
    assert html_lang(response) == "en"
    assert "Who represents you?" in page_text(response)


def test_the_language_stays_through_the_lookup_and_its_errors(client, represent):
    represent.add("K1P5G4")
    page = client.get(f"/fr/c/{DEMO_SLUG}/").get_data(as_text=True)
    response = client.post(
        f"/fr/c/{DEMO_SLUG}/lookup", data={"csrf_token": csrf_token(page), "postcode": "k1p 5g4"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/fr/c/{DEMO_SLUG}/officials")
    officials = client.get(f"/fr/c/{DEMO_SLUG}/officials")
    text = page_text(officials)
    assert "Vos élus pour K1P 5G4" in text and "Fédéral" in text and "Provincial" in text
    assert f"Écrire à {MP}" in text
    assert re.search(rf'href="/fr/c/{DEMO_SLUG}/write/[0-9a-f]+"', officials.get_data(as_text=True))

    bad = client.post(
        f"/zh-hant/c/{DEMO_SLUG}/lookup", data={"csrf_token": csrf_token(page), "postcode": "123"}
    )
    assert bad.status_code == 422
    assert "加拿大郵遞區號有六個字元" in page_text(bad)
    # A form's answer switches language through the campaign's page (a link cannot post).
    assert f'href="/fr/c/{DEMO_SLUG}/"' in bad.get_data(as_text=True)


def test_error_pages_are_translated(client):
    for url, lang, expected in [
        ("/fr/c/no-such-campaign/", "fr", "Aucune campagne en cours à cette adresse."),
        ("/zh-hant/no/such/page", "zh-Hant", "這個網址沒有任何內容。"),
    ]:
        response = client.get(url)
        assert response.status_code == 404
        assert html_lang(response) == lang
        assert expected in page_text(response)


def test_counts_follow_the_locale(client):
    # The demo campaign's goal is 1000: "1 000" in French (a narrow no-break space), "1,000"
    # in Chinese, "1,000" in English.
    fr = page_text(client.get(f"/fr/c/{DEMO_SLUG}/thanks"))
    zh = page_text(client.get(f"/zh-hant/c/{DEMO_SLUG}/thanks"))
    assert "Notre objectif\u00a0: 1\u202f000." in fr
    assert "0 lettre a été envoyée" in fr  # French: zero takes the singular
    assert "我們的目標是 1,000。" in zh
    assert "這個行動至今已寄出 0 封信。" in zh


# -- the letter's language ------------------------------------------------------------------


def write_page(client, represent, prefix: str, name: str = MP, query: str = ""):
    represent.add("K1P5G4")
    page = client.get(f"{prefix}/c/{DEMO_SLUG}/").get_data(as_text=True)
    client.post(
        f"{prefix}/c/{DEMO_SLUG}/lookup",
        data={"csrf_token": csrf_token(page), "postcode": "K1P5G4"},
    )
    officials = client.get(f"{prefix}/c/{DEMO_SLUG}/officials").get_data(as_text=True)
    card = officials[officials.index(f"<h3>{name}</h3>") :]
    href = re.search(r'href="([^"]*/write/[0-9a-f]+)"', card).group(1)
    return client.get(href + query), href


def test_a_chinese_reader_writes_in_english_to_an_mp_who_prefers_english(client, represent):
    # Represent says the MP prefers English and French: the letter is in English, the Chinese
    # version is shown alongside to read, and the Chinese letter is one link away.
    response, href = write_page(client, represent, "/zh-hant")
    html = response.get_data(as_text=True)
    text = page_text(response)
    assert "這封信以英文撰寫。" in text
    assert textarea(html, "body").startswith(f"Dear {MP},")
    assert 'name="body" lang="en"' in html or re.search(r'<textarea[^>]*lang="en"', html)
    alongside = re.search(r'<details class="letter-translation".*?</details>', html, re.S).group(0)
    assert "議員您好" in alongside and "請問您對北京政府政策的立場" in alongside
    links = re.search(r'<section class="letter-languages">.*?</section>', html, re.S).group(0)
    # The official's languages first, marked, then the page's.
    assert links.index(">英文<") < links.index(">法文<") < links.index(">中文 (繁體)<")
    assert f'href="{href}?letter=zh-Hant"' in links

    chinese = client.get(f"{href}?letter=zh-Hant").get_data(as_text=True)
    assert textarea(chinese, "body").startswith(f"{MP} 議員您好：")
    assert field_value(chinese, "subject") == "請問您對北京政府政策的立場"
    assert "letter-translation" not in chinese  # already in the page's language


def test_a_french_reader_gets_the_french_letter(client, represent):
    response, _href = write_page(client, represent, "/fr")
    html = response.get_data(as_text=True)
    assert textarea(html, "body").startswith(f"Bonjour {MP},")
    assert field_value(html, "subject").startswith("Votre position sur la politique du Canada")
    assert "Votre lettre est en français." in page_text(response)

    # The form it posts keeps the letter's version, so the send page is the French letter.
    posted = client.post(response.request.path, data=letter_form_data(html), follow_redirects=True)
    assert posted.status_code == 200
    href = re.search(r'href="(mailto:[^"]+)" id="mailto', posted.get_data(as_text=True))
    assert href is not None
    assert "Votre position sur la politique" in unquote(unescape(href.group(1)))


def test_without_preferences_the_letter_follows_the_page(client, represent):
    # The Prime Minister (a custom target) has no preferred language: the page's is used.
    response, _href = write_page(client, represent, "/zh-hant", name="Prime Minister of Canada")
    html = response.get_data(as_text=True)
    assert textarea(html, "body").startswith("總理閣下：")
    assert "letter-translation" not in html


def test_letter_offer_orders_and_chooses():
    offer = locales.letter_offer(["en", "fr", "zh-Hant"], "zh-Hant", ["en", "fr"], None)
    assert offer == locales.LetterOffer(["en", "fr", "zh-Hant"], "en", ["en", "fr"])
    assert locales.letter_offer(["en", "fr", "zh-Hant"], "fr", ["en", "fr"], None).chosen == "fr"
    assert locales.letter_offer(["en", "zh-Hant"], "zh-Hant", [], None).chosen == "zh-Hant"
    assert locales.letter_offer(["en"], "fr", [], None).chosen == "en"
    assert locales.letter_offer(["en", "fr"], "fr", ["en"], "fr").chosen == "fr"
    assert locales.letter_offer(["en", "fr"], "fr", [], "xx").chosen == "fr"
    tags = ["en", "fr", "zh-Hant"]
    assert [locales.tag_of(x, tags) for x in ("English", "French", "Français", "fr-CA")] == [
        "en",
        "fr",
        "fr",
        "fr",
    ]
    assert locales.tag_of("Klingon", tags) is None


# -- CJK in mailto: links -------------------------------------------------------------------


def cjk_capacity(limit: int, address: str, subject: str) -> int:
    """How many CJK characters of body fit in a mailto: link of at most ``limit`` characters."""
    n = 0
    while len(mail.mailto_link(address, subject, "中" * (n + 1))) <= limit:
        n += 1
    return n


def test_cjk_letters_are_percent_encoded_utf8_and_fit_about_160_characters():
    body = "總理閣下：\n\n懇請您以書面回覆。"
    link = mail.mailto_link("pm@pm.gc.ca", "請問貴政府對北京的政策", body)
    assert link.isascii() and "+" not in link
    assert "%E7%B8%BD%E7%90%86" in link  # 總理, each character three UTF-8 bytes
    assert "%0D%0A%0D%0A" in link
    assert unquote(link.split("&body=", 1)[1]) == body.replace("\n", "\r\n")
    # README ("Languages"): each CJK character costs 9 link characters, Latin letters 1.
    capacity = cjk_capacity(1600, "alexandra.placeholder@parl.gc.ca", "請問您對北京政府政策的立場")
    assert 150 <= capacity <= 160, capacity
    latin = len(mail.mailto_link("alexandra.placeholder@parl.gc.ca", "Your policy", "a" * 1000))
    assert latin < 1600


# -- emails -------------------------------------------------------------------------------------


def test_a_failure_notice_is_in_the_letters_language_then_in_the_others(db, app):
    # The worker does not know the supporter's language (it is not stored): the notice is in
    # the letter's language first, its subject too, then in every other language offered.
    from advocacy import campaigns, delivery
    from advocacy.civic.represent import parse_postcode
    from tests.conftest import represent_body
    from tests.smtp import SmtpServer
    from tests.test_delivery import RULES, request, sender_for

    official = next(
        o
        for o in parse_postcode(represent_body("K1P5G4"), "K1P 5G4").officials
        if o.elected_office == "MP"
    )
    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    french = campaigns.letter_version(db, campaign, "fr", official)
    assert french.language == "fr"
    with SmtpServer() as smtp:
        smtp.inbox.refuse = {official.email: "550 no such user"}
        row = request(db, (campaign, french), official)
        delivery.confirm(db, RULES, campaign, row.id)
        with app.app_context():
            report = delivery.process_queue(
                db, sender_for(smtp, app), lambda d: f"https://advocacy.example/letters/{d.id}"
            )
        assert report.failed == 1
        notice = smtp.inbox.messages[-1]
    assert notice.message["Subject"] == "Votre lettre n’a pas pu être livrée"
    text = notice.message.get_content()
    fr = text.index(f"Nous n’avons pas pu livrer votre lettre à {official.name}.")
    en = text.index(f"We could not deliver your letter to {official.name}.")
    zh = text.index(f"我們未能把您寫給 {official.name} 的信送達。")
    assert fr < en < zh
    assert text.count(f"https://advocacy.example/letters/{row.id}") == 3


def test_the_confirmation_email_is_in_the_supporters_language(tmp_path, represent):
    from tests.smtp import SmtpServer
    from tests.test_delivery_pages import ask, make_app, send_page

    with SmtpServer() as smtp:
        app = make_app(tmp_path, smtp, represent)
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-TW"
        link, page = send_page(client)
        assert "或由我們代您寄出" in page
        response = ask(client, link, page)
        assert "請查看您的電郵" in page_text(response)
        [confirmation] = smtp.inbox.messages
    assert confirmation.message["Subject"] == f"確認您寫給 {MP} 的信"
    text = confirmation.message.get_content()
    assert f"如要把您的信寄給 {MP}，請在 24 小時內打開以下連結" in text
    assert "如果您沒有提出這個要求，請不必理會這封電郵" in text


def test_organizer_pages_stay_in_english_and_say_so(client):
    response = client.get("/fr/admin/login", headers={"Accept-Language": "zh-TW"})
    assert response.status_code == 200
    assert html_lang(response) == "en"
    assert '<nav class="languages"' not in response.get_data(as_text=True)


def test_the_letters_date_is_in_the_letters_language(app):
    from types import SimpleNamespace

    from advocacy.views.public import letter_today

    def version(language):
        return SimpleNamespace(version=SimpleNamespace(language=language))

    with app.test_request_context("/", headers={"Accept-Language": "zh-TW"}):
        english = letter_today(version("en"))
        chinese = letter_today(version("zh-Hant"))
        unknown = letter_today(version("english!"))
        french = letter_today(version("fr"))
    assert re.fullmatch(r"[A-Z][a-z]+ \d{1,2}, \d{4}", english), english
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", chinese), chinese
    assert re.fullmatch(r"\d{1,2}(er)? \w+ \d{4}", french), french
    assert unknown == chinese  # a language Babel does not know: the page's


ODD_PATHS = ["/fr", "/FR/c/canada-beijing-policy/", "/zh-hant//", "/fr/%00", "/fr/zh-hant/",
             "/zh-HANT", "/en/static/style.css", "/fr/c/%E4%B8%AD/",
             "/fr/c/canada-beijing-policy/lookup"]  # fmt: skip


def test_odd_prefixed_addresses_never_fail(client):
    for path in ODD_PATHS:
        response = client.get(path)
        assert response.status_code < 500, path
        if response.mimetype == "text/html":
            assert '<nav class="languages"' in response.get_data(as_text=True), path
