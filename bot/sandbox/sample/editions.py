"""The sample site's Russian and Kazakh editions, beside the English one in ``__init__``.

Each edition is an RSS feed with its own ``<language>`` and section names in
its own language (``<category>``), and article pages written in it. The texts
are short, original, and only look like news.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from importlib.resources import files
from string import Template

from bot.sandbox.feedserver import FeedServer

__all__ = ["EDITIONS", "EditionArticle", "serve_editions"]


@dataclass(frozen=True)
class EditionArticle:
    guid: str
    path: str
    title: str
    paragraphs: tuple[str, ...]
    section: str
    section_slug: str
    author: str
    credit: str  # the photo's caption, in the edition's language
    image: str
    color: tuple[int, int, int]
    age: timedelta


@dataclass(frozen=True)
class Edition:
    language: str
    channel_title: str
    description: str
    home: str
    share: str
    articles: tuple[EditionArticle, ...]

    @property
    def feed_path(self) -> str:
        return f"/rss/{self.language}.xml"


RU = Edition(
    language="ru",
    channel_title="Dala News — новости Казахстана",
    description="Последние новости Казахстана и Центральной Азии",
    home="Главная",
    share="Поделиться:",
    articles=(
        EditionArticle(
            guid="dala-ru-7311",
            path="/ru/news/politics/senat-odobril-popravki-v-vodnyj-kodeks-7311",
            title="Сенат одобрил поправки в Водный кодекс",
            paragraphs=(
                "Сенаторы одобрили поправки, по которым водопользователи будут платить "
                "за забор воды по счётчикам, а не по нормативам.",
                "Закон направлен Президенту на подпись. Новые правила вступят в силу "
                "через шесть месяцев после его опубликования.",
                "В Министерстве водных ресурсов ожидают, что переход на учёт по счётчикам "
                "сократит потери воды в сельском хозяйстве на десятую часть.",
            ),
            section="Политика",
            section_slug="politics",
            author="Ольга Ким",
            credit="Фото: пресс-служба Сената",
            image="/images/2026/11/senate-ru.jpg",
            color=(60, 40, 120),
            age=timedelta(minutes=35),
        ),
        EditionArticle(
            guid="dala-ru-7308",
            path="/ru/news/economy/nacbank-sohranil-bazovuyu-stavku-7308",
            title="Нацбанк сохранил базовую ставку на уровне 16,5%",
            paragraphs=(
                "Национальный банк сохранил базовую ставку на уровне 16,5% годовых, "
                "сославшись на замедление инфляции в октябре.",
                "Следующее решение по ставке будет объявлено в январе.",
                "По оценке регулятора, годовая инфляция по итогам года останется в "
                "коридоре 8,5–9,5%, а давление на цены со стороны тарифов ослабнет.",
            ),
            section="Экономика",
            section_slug="economy",
            author="Ержан Абенов",
            credit="Фото: Национальный банк Казахстана",
            image="/images/2026/11/nationalbank-ru.jpg",
            color=(30, 110, 60),
            age=timedelta(hours=3),
        ),
    ),
)

KK = Edition(
    language="kk",
    channel_title="Dala News — Қазақстан жаңалықтары",
    description="Қазақстан мен Орталық Азияның соңғы жаңалықтары",
    home="Басты бет",
    share="Бөлісу:",
    articles=(
        EditionArticle(
            guid="dala-kk-5120",
            path="/kz/news/sayasat/senat-su-kodeksine-tuzetulerdi-makuldady-5120",
            title="Сенат Су кодексіне түзетулерді мақұлдады",
            paragraphs=(
                "Сенаторлар су пайдаланушылар суды нормативпен емес, есептегіш "
                "бойынша төлейтін түзетулерді мақұлдады.",
                "Заң Президенттің қол қоюына жіберілді. Жаңа ережелер ресми "
                "жарияланғаннан кейін алты айдан соң күшіне енеді.",
                "Су ресурстары министрлігі есептегішке көшу ауыл шаруашылығындағы су "
                "шығынын оннан бір бөлікке азайтады деп күтеді.",
            ),
            section="Саясат",
            section_slug="sayasat",
            author="Айгүл Нұрланқызы",
            credit="Сурет: Сенаттың баспасөз қызметі",
            image="/images/2026/11/senate-kk.jpg",
            color=(120, 40, 60),
            age=timedelta(minutes=40),
        ),
        EditionArticle(
            guid="dala-kk-5117",
            path="/kz/news/ekonomika/ulttyk-bank-bazalyk-molsherleme-5117",
            title="Ұлттық банк базалық мөлшерлемені 16,5% деңгейінде сақтады",
            paragraphs=(
                "Ұлттық банк қазан айында инфляцияның баяулағанын ескеріп, базалық "
                "мөлшерлемені жылдық 16,5% деңгейінде қалдырды.",
                "Мөлшерлеме бойынша келесі шешім қаңтарда жарияланады.",
                "Реттеуші жыл қорытындысы бойынша жылдық инфляция 8,5–9,5% дәлізінде "
                "қалады деп болжайды.",
            ),
            section="Экономика",
            section_slug="ekonomika",
            author="Бауыржан Сейітов",
            credit="Сурет: Қазақстан Ұлттық банкі",
            image="/images/2026/11/nationalbank-kk.jpg",
            color=(150, 110, 20),
            age=timedelta(hours=4),
        ),
    ),
)

EDITIONS = (RU, KK)


def _template(name: str) -> Template:
    return Template(files(__package__).joinpath(name).read_text(encoding="utf-8"))


def _item(article: EditionArticle, base: str, now: datetime) -> str:
    return (
        f"  <item>\n    <title>{escape(article.title)}</title>\n"
        f"    <link>{base}{article.path}</link>\n"
        f'    <guid isPermaLink="false">{article.guid}</guid>\n'
        f"    <pubDate>{format_datetime(now - article.age, usegmt=True)}</pubDate>\n"
        f"    <dc:creator>{escape(article.author)}</dc:creator>\n"
        f"    <category>{escape(article.section)}</category>\n"
        f"    <description>{escape(article.paragraphs[0])}</description>\n"
        f'    <media:content url="{base}{article.image}" medium="image" type="image/jpeg"/>\n'
        "  </item>\n"
    )


def _feed(edition: Edition, base: str, now: datetime) -> str:
    items = "".join(_item(article, base, now) for article in edition.articles)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        f"  <title>{escape(edition.channel_title)}</title>\n"
        f"  <link>{base}/{edition.language}/</link>\n"
        f"  <description>{escape(edition.description)}</description>\n"
        f"  <language>{edition.language}</language>\n{items}</channel>\n</rss>\n"
    )


def serve_editions(server: FeedServer, now: datetime | None = None) -> dict[str, str]:
    """Put the ru and kk feeds, pages and photos on ``server``; return their URLs by language."""
    now = now or datetime.now(UTC)
    base = server.base_url
    page = _template("article-edition.html")
    urls = {}
    for edition in EDITIONS:
        for article in edition.articles:
            server.put_image(article.image, 1200, 675, color=article.color)
            published = now - article.age
            body = "\n    ".join(f"<p>{escape(text)}</p>" for text in article.paragraphs)
            html = page.substitute(
                lang=edition.language,
                base=base,
                path=article.path,
                title=escape(article.title),
                teaser=escape(article.paragraphs[0]),
                image=article.image,
                published=published.isoformat(timespec="seconds"),
                published_human=published.strftime("%d.%m.%Y, %H:%M"),
                home=edition.home,
                section=escape(article.section),
                section_slug=article.section_slug,
                author=escape(article.author),
                credit=escape(article.credit),
                body=body,
                share=edition.share,
            )
            server.put(article.path, html, content_type="text/html; charset=utf-8")
        server.put(edition.feed_path, _feed(edition, base, now))
        urls[edition.language] = server.url(edition.feed_path)
    return urls
