"""The supporter's walk in Chromium in Traditional Chinese and in French, with screenshots; and
how Chinese text breaks into lines on a phone.

Done means: a supporter with a French or Chinese browser meets no English sentence, apart from
officials' names (and their offices, districts and parties, as the provider writes them) and
what the organizer wrote only in English (the demo campaign ships its title and introduction
in French and Chinese too, so they must not appear in English).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from advocacy.models import ContactAction
from tests.conftest import DEMO_SLUG, FIXTURES, require

from .conftest import TIMEOUT_MS

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(os.environ.get("ADVOCACY_E2E_ARTIFACTS", Path(__file__).parent / "artifacts"))
MP = "Alexandra Placeholder"
CAMPAIGN_DIR = Path(__file__).parents[2] / "advocacy" / "letter_templates" / DEMO_SLUG

# Words that make a run of text English (none of them is also a French word: not "postal", "on").
ENGLISH = {
    "the", "your", "you", "we", "our", "please", "this", "that", "with", "have", "has", "letter",
    "letters", "officials", "official", "write", "send", "sent", "find", "from",
    "will", "what", "who", "which", "only", "into", "their", "they", "thank", "back", "here",
    "email", "address", "of", "to", "and", "is", "are", "it", "for", "in", "by", "or",
}  # fmt: skip


def allowed_texts(live_app) -> list[str]:
    """What may stay in English: the provider's and the organizer's own words."""
    texts = ["Advocacy", "English", "Français", "IP", "Gmail", "Outlook.com", "Yahoo"]
    body = json.loads((FIXTURES / "represent" / "K1P5G4.json").read_text(encoding="utf-8"))
    for key in ("representatives_centroid", "representatives_concordance"):
        for rep in body.get(key, []):
            texts += [rep["name"], rep["elected_office"], rep["district_name"]]
            texts += [rep.get("party_name") or "", rep.get("email") or ""]
            for office in rep.get("offices") or []:  # addresses, as the provider writes them
                texts += (office.get("postal") or "").split("\n")
    with (CAMPAIGN_DIR / "targets.csv").open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            texts += [row["name"], row["office"], row["district"], row["email"], row["url"]]
    # Not the demo campaign's title and introduction: it ships them in French and Chinese.
    return sorted({t.strip() for t in texts if t.strip()}, key=len, reverse=True)


def english_sentences(text: str, allowed: list[str]) -> list[str]:
    """Runs of text that read as English once the allowed texts are taken out."""
    text = re.sub(r"\s+", " ", text)
    for item in allowed:
        text = text.replace(re.sub(r"\s+", " ", item), " ")
    text = re.sub(r"\S+@\S+|https?://\S+|[A-Z]\d[A-Z] ?\d[A-Z]\d", " ", text)
    found = []
    for run in re.split(r"[\n.!?:;。！？：；，、（）()«»“”「」]+", text):
        words = re.findall(r"[A-Za-z’']+", run)
        if sum(w.lower() in ENGLISH for w in words) >= 2:
            found.append(run.strip())
    return found


def assert_no_english(page, allowed: list[str], step: str) -> None:
    text = page.locator("body").inner_text()
    assert english_sentences(text, allowed) == [], f"{step}: English left on {page.url}"


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"i18n-{name}.png"), full_page=True)


def cjk_font_installed() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    try:
        out = subprocess.run(  # noqa: S603 - a fixed command, no input
            [fc_list, ":lang=zh-tw", "family"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(out.strip())


def context(browser, locale: str, javascript: bool = False, width: int = 1024):
    ctx = browser.new_context(
        locale=locale,
        java_script_enabled=javascript,
        viewport={"width": width, "height": 800},
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    return ctx


def contact_actions(live_app) -> list[ContactAction]:
    with live_app.db.reader() as session:
        return list(session.scalars(select(ContactAction)))


def test_the_walk_in_traditional_chinese(live_app, browser):
    require(cjk_font_installed(), "no Traditional Chinese font (apt-get install fonts-noto-cjk)")
    allowed = allowed_texts(live_app)
    ctx = context(browser, "zh-TW")
    page = ctx.new_page()
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))

    page.goto(f"{live_app.url}/")  # the browser asks for zh-TW: no prefix needed
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page.get_by_role("heading", level=2, name="誰代表您？")).to_be_visible()
    assert_no_english(page, allowed, "campaign")
    shoot(page, "zh-Hant-1-campaign")

    page.get_by_label("您的郵遞區號").fill("k1p 5g4")
    page.get_by_role("button", name="查找我的民選代表").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("K1P 5G4 的民選代表")
    expect(page.get_by_role("heading", level=2, name="聯邦")).to_be_visible()
    assert_no_english(page, allowed, "officials")
    shoot(page, "zh-Hant-2-officials")

    page.get_by_role("link", name=f"寫信給 {MP}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"您寫給 {MP} 的信")
    # The MP prefers English (Represent says so): the letter is in English, clearly said,
    # and the Chinese version is shown alongside to read.
    expect(page.locator(".letter-language")).to_have_text("這封信以英文撰寫。")
    expect(page.get_by_label("您的信")).to_have_value(re.compile(rf"^Dear {MP},"))
    expect(page.locator("details.letter-translation")).to_contain_text("議員您好")
    assert_no_english(page, allowed, "letter (English letter)")
    shoot(page, "zh-Hant-3-letter-in-english")

    # The supporter chooses to write in Chinese.
    page.locator(".letter-languages").get_by_role("link", name="中文 (繁體)").click()
    expect(page.locator(".letter-language")).to_have_text("這封信以中文 (繁體)撰寫。")
    expect(page.get_by_label("您的信")).to_have_value(re.compile(rf"^{MP} 議員您好："))
    page.get_by_label("您的姓名").fill("陳美玲")
    page.get_by_label("您所在的城市或市鎮").fill("渥太華")
    assert_no_english(page, allowed, "letter (Chinese letter)")
    shoot(page, "zh-Hant-4-letter-in-chinese")
    page.get_by_role("button", name="繼續寄出").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"把您的信寄給 {MP}")
    # A Chinese letter is too long for a mailto: link (each character costs 9): copy it.
    subject_only = page.locator("a#mailto-subject").get_attribute("href")
    assert unquote(subject_only).endswith("subject=請問您對北京政府政策的立場")
    expect(page.locator("#copy-body")).to_have_value(re.compile("陳美玲\n渥太華 K1P( 5G4)?$"))
    assert_no_english(page, allowed, "send")
    shoot(page, "zh-Hant-5-send")
    page.locator("#confirm-sent").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("謝謝您")
    expect(page.locator("p.count")).to_have_text("這個行動至今已寄出 1 封信。")
    assert_no_english(page, allowed, "thanks")
    shoot(page, "zh-Hant-6-thanks")
    assert len(contact_actions(live_app)) == 1
    assert [url for url in seen if not url.startswith(live_app.url)] == []
    ctx.close()


def test_the_walk_in_french_from_the_language_switch(live_app, browser):
    allowed = allowed_texts(live_app)
    ctx = context(browser, "en-CA")  # an English browser: the supporter switches
    page = ctx.new_page()

    page.goto(f"{live_app.url}/c/{DEMO_SLUG}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Français").click()
    expect(page).to_have_url(f"{live_app.url}/fr/c/{DEMO_SLUG}/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert_no_english(page, allowed, "campaign")
    shoot(page, "fr-1-campaign")

    # A mistyped code: the explanation is in French too.
    page.get_by_label("Votre code postal").fill("K1P 5G")
    page.get_by_role("button", name="Trouver mes élus").click()
    expect(page.locator("#postcode-error")).to_contain_text("Un code postal canadien compte six")
    assert_no_english(page, allowed, "postal code error")

    page.get_by_label("Votre code postal").fill("K1P 5G4")
    page.get_by_role("button", name="Trouver mes élus").click()
    expect(page).to_have_url(f"{live_app.url}/fr/c/{DEMO_SLUG}/officials")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos élus pour K1P 5G4")
    assert_no_english(page, allowed, "officials")
    shoot(page, "fr-2-officials")

    page.get_by_role("link", name=f"Écrire à {MP}").click()
    expect(page.locator(".letter-language")).to_have_text("Votre lettre est en français.")
    body = page.get_by_label("Votre lettre")
    expect(body).to_have_value(re.compile(rf"^Bonjour {MP},"))
    body.fill(body.input_value() + "\nJ’habite le quartier depuis vingt ans.\n")
    page.get_by_label("Votre nom").fill("Mei Exemple")
    assert_no_english(page, allowed, "letter")
    shoot(page, "fr-3-letter")
    page.get_by_role("button", name="Continuer vers l’envoi").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Envoyez votre lettre à {MP}")
    link = page.locator("a#mailto, a#mailto-subject").first.get_attribute("href")
    assert "Votre position sur la politique du Canada" in unquote(link)
    assert_no_english(page, allowed, "send")
    shoot(page, "fr-4-send")
    page.locator("#confirm-sent").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Merci")
    expect(page.locator("p.count")).to_have_text(
        "1 lettre a été envoyée jusqu’ici dans cette campagne."
    )
    assert_no_english(page, allowed, "thanks")
    shoot(page, "fr-5-thanks")

    # The statement, where the campaign has one, in French as well.
    statement = page.locator("#sign-after-writing")
    if statement.count():
        statement.click()
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        assert_no_english(page, allowed, "statement")
        shoot(page, "fr-6-statement")
    ctx.close()


# Characters that must never start a line in Chinese (CLDR/JIS "kinsoku" rules).
LINE_START_FORBIDDEN = "，。、；：？！）」』》〉"

LINES = """(selector) => {
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let top = null, line = '';
    const lines = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.length; i++) {
        const range = document.createRange();
        range.setStart(node, i); range.setEnd(node, i + 1);
        const rect = range.getClientRects()[0];
        if (!rect || rect.width === 0) continue;
        if (top !== null && rect.top > top + 2) { lines.push(line); line = ''; }
        if (top === null || rect.top > top + 2) top = rect.top;
        line += node.data[i];
      }
    }
    if (line) lines.push(line);
    out.push(lines);
  }
  return out;
}"""


def test_chinese_breaks_between_characters_never_before_closing_punctuation(live_app, browser):
    require(cjk_font_installed(), "no Traditional Chinese font (apt-get install fonts-noto-cjk)")
    ctx = context(browser, "zh-TW", javascript=True, width=320)
    page = ctx.new_page()
    page.goto(f"{live_app.url}/zh-hant/c/{DEMO_SLUG}/")
    expect(page.get_by_role("heading", level=2, name="誰代表您？")).to_be_visible()
    # A CJK font of the system, not a download: the footer's glyphs are wider than Latin ones.
    paragraphs = page.evaluate(LINES, "footer.site p, #postcode-help")
    lines = [line for paragraph in paragraphs for line in paragraph]
    assert len(paragraphs) >= 2 and all(paragraphs), paragraphs
    assert len(lines) >= 6, lines  # the footer alone wraps several times at 320 px
    assert [line for line in lines if line[:1] in LINE_START_FORBIDDEN] == []
    wide = page.evaluate(
        "() => document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
    )
    assert wide <= 1, "the Chinese page scrolls sideways on a 320 px phone"
    shoot(page, "zh-Hant-phone-320")
    ctx.close()
