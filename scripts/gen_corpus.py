"""Write a synthetic site of posts shaped like the bundled content, for tests and benchmarks.

Usage::

    python scripts/gen_corpus.py OUT_DIR --posts N [--seed S] [--jekyll] [--bracket-titles F]
                                 [--korean-share F] [--markdown-share F]

The default layout is a feedkit site: ``OUT_DIR/feedkit.toml`` and the posts under
``OUT_DIR/content/``. About two thirds of the posts are Korean, the rest English; each is
about 5 KB, with YAML front matter (title, categories, tags, excerpt, image) and a body
that is mostly HTML like ``content/000_5bc091069e92d6b7.txt`` (paragraphs, ``h2``, lists
and a timeline table with a 날짜 column), sometimes Markdown with a pipe table. Half the
posts have a front-matter ``date`` (in several formats) and, independently, half have a
Jekyll-style dated file name; the others have hashed names like ``000_5bc091069e92d6b7.txt``.
A post with neither gets its date from its file time, as the seed post does.

With ``--jekyll`` the layout is a Jekyll site instead: ``_config.yml`` and ``_posts/``,
every post named ``YYYY-MM-DD-slug.md`` and none with a ``date`` key. With
``--bracket-titles F``, a fraction F of the titles is written unquoted and starting with
a bracketed tag (``title: [속보] ...``), which is invalid YAML that feedkit recovers.

The output depends only on the arguments: file contents come from ``random.Random(seed)``
and every file's modification time is set from the post's date. Posts are spread over
``YYYY/MM/`` folders (``_posts/YYYY/`` in Jekyll mode) when there are more than 1,000.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import NamedTuple, TypeVar

__all__ = ["generate_site", "main"]

T = TypeVar("T")

KST = timezone(timedelta(hours=9))
# Every post is dated before the benchmark's clock (2026-01-01T00:00:00+09:00).
FIRST_DAY = datetime(2015, 1, 1, tzinfo=KST)
LAST_DAY = datetime(2025, 12, 20, tzinfo=KST)
FOLDER_THRESHOLD = 1000
KOREAN_SHARE = 2 / 3
MARKDOWN_SHARE = 0.25
TIMELINE_SHARE = 0.8
TARGET_BYTES = (3700, 5300)
IMAGES = (
    "/assets/img/newsdao_breakingnews.jpg",
    "/assets/img/news/politics.jpg",
    "/assets/img/news/weather.jpg",
    "/assets/img/news/sports.jpg",
    "/assets/img/news/economy.jpg",
)
EXTERNAL_IMAGE = "https://cdn.example.com/images/{n}.jpg"

CATEGORIES_KO = (
    "News", "국제", "정치", "경제", "사회", "스포츠", "날씨", "문화", "IT", "과학",
    "건강", "연예", "부동산", "증권", "여행", "교육", "생활", "자동차", "게임", "속보",
)  # fmt: skip
CATEGORIES_EN = (
    "World", "Politics", "Business", "Tech", "Sports", "Culture", "Science", "Health",
    "Opinion", "Releases",
)  # fmt: skip
TAG_STEMS_KO = (
    "러시아", "북한", "외교", "태풍", "예보", "금리", "반도체", "수출", "선거", "부동산",
    "올림픽", "양궁", "축구", "야구", "물가", "환율", "전기차", "배터리", "인공지능", "우주",
    "지진", "폭염", "교육", "의료", "저출산", "관광", "게임", "영화", "음악", "드라마",
)  # fmt: skip
TAG_SUFFIXES_KO = ("", "정책", "전망", "시장", "속보")
TAG_STEMS_EN = (
    "russia", "diplomacy", "typhoon", "rates", "chips", "exports", "election", "housing",
    "olympics", "archery", "football", "baseball", "inflation", "currency", "ev", "battery",
    "ai", "space", "earthquake", "heatwave", "education", "health", "tourism", "games",
    "film",
)  # fmt: skip
TAG_SUFFIXES_EN = ("", "-policy")

TOPICS_KO = (
    ("푸틴 북한 방문", "putin-visit"), ("태풍 북상", "typhoon"), ("기준금리 동결", "rate-freeze"),
    ("양궁 단체전", "archery"), ("반도체 수출", "chip-exports"), ("총선 판세", "election"),
    ("부동산 대책", "housing-policy"), ("폭염 특보", "heatwave"),
    ("신작 게임 출시", "game-release"), ("의대 증원", "medical-school"),
    ("환율 급등", "exchange-rate"), ("전기차 보조금", "ev-subsidy"),
    ("K리그 개막", "k-league"), ("AI 반도체", "ai-chips"), ("한미 정상회담", "summit"),
    ("물가 상승", "inflation"), ("지진 발생", "earthquake"), ("우주 발사체", "rocket-launch"),
    ("수능 일정", "suneung"), ("저출산 대책", "birth-rate"),
)  # fmt: skip
TITLE_DETAILS_KO = (
    "이틀간 공식 방문 예정", "공식 발표 임박", "일정 공개", "전문가 전망은", "시장 반응 엇갈려",
    "정부 대응 착수", "현장 분위기 전해", "핵심 쟁점 정리", "향후 과제는", "관심 집중",
)  # fmt: skip
TOPICS_EN = (
    ("Putin visits Pyongyang", "putin-visit"), ("Typhoon heads north", "typhoon"),
    ("Central bank holds rates", "rate-freeze"), ("Archery team wins gold", "archery"),
    ("Chip exports rebound", "chip-exports"), ("Election race tightens", "election"),
    ("New housing measures", "housing-policy"), ("Heatwave warning issued", "heatwave"),
    ("Release notes", "release-notes"), ("Currency slides", "exchange-rate"),
)  # fmt: skip
TITLE_DETAILS_EN = (
    "what we know", "the timeline", "five things to watch", "reactions so far",
    "what changes next week", "the details",
)  # fmt: skip
BRACKET_TAGS_KO = ("[속보]", "[단독]", "[종합]", "[포토]", "[영상]", "[2보]", "[인터뷰]")
BRACKET_TAGS_EN = ("[Breaking]", "[Update]", "[Exclusive]")

SUBJECTS_KO = (
    "정부는", "러시아 대통령 푸틴은", "기상청은", "한국은행은", "국회는", "전문가들은", "서울시는",
    "대표팀은", "업계 관계자는", "교육부는", "북한은", "미국 국무부는", "금융당국은", "소비자들은",
    "연구진은",
)  # fmt: skip
OBJECTS_KO = (
    "이번 방문의 의미를", "금리 인하 가능성을", "태풍 북상에 따른 피해를", "반도체 수출 실적을",
    "새 정책의 효과를", "올림픽 준비 상황을", "부동산 시장의 흐름을", "안보 협력 강화 방안을",
    "물가 상승 압력을", "최첨단 기술 협력의 가능성을", "선거 판세를", "신작 게임의 흥행을",
)  # fmt: skip
VERBS_KO = (
    "강조했다.", "주목하고 있다.", "발표했다.", "예의주시해야 합니다.", "전망했다.", "밝혔습니다.",
    "분석했다.", "우려하고 있다.", "언급했다.", "점검할 계획이다.",
    "중요한 의미를 지니고 있습니다.",
)  # fmt: skip
ADVERBIALS_KO = (
    "24년 만에", "이번 주", "지난달", "올해 들어", "오는 18일", "최근", "이틀간", "내일 새벽부터",
    "사상 처음으로", "이에 따라", "또한,", "한편",
)  # fmt: skip
HEADINGS_KO = (
    "방문의 의미", "안보 협력의 강화", "무기 및 기술 협력", "시장 반응", "향후 전망", "전문가 분석",
    "주요 일정", "배경", "피해 현황", "정부 대응", "쟁점 정리", "현장 분위기",
)  # fmt: skip
EVENTS_KO = (
    "평양 도착 및 정상회담", "포괄적 전략 동반자 협정 서명", "이전 방북", "공식 발표",
    "기자회견", "현장 점검", "결승전", "8강전", "특보 발효", "정책 시행", "후속 협의",
)  # fmt: skip
SUBJECTS_EN = (
    "The government", "Officials", "Analysts", "The weather service", "The central bank",
    "Lawmakers", "The national team", "Industry insiders", "Researchers", "Consumers",
)  # fmt: skip
VERBS_EN = (
    "said on Tuesday that", "warned that", "expect that", "noted that", "announced that",
    "are watching whether",
)  # fmt: skip
CLAUSES_EN = (
    "the visit could reshape regional security", "rates will stay on hold until autumn",
    "the storm will reach the southern coast by dawn", "exports are recovering faster than hoped",
    "the new rules take effect next month", "prices are still rising in most categories",
    "the schedule may change at short notice", "turnout could set a record this year",
)  # fmt: skip
HEADINGS_EN = ("Background", "What happened", "Reactions", "What comes next", "Key dates")
EVENTS_EN = ("Arrival and talks", "Agreement signed", "Press conference", "Final", "Launch")
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
CELL_STYLE = ' style="text-align: center; height: 17px;"'
JPEG_STUB = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


class _Pools(NamedTuple):
    """Sentences and names drawn once per site from the seeded generator.

    A NamedTuple rather than a dataclass: a dataclass needs its module in ``sys.modules``,
    and this script is loaded by file path (``importlib.util.spec_from_file_location``).
    """

    sentences_ko: tuple[str, ...]
    sentences_en: tuple[str, ...]
    tags_ko: tuple[str, ...]
    tags_en: tuple[str, ...]


def _pick(rng: random.Random, items: Sequence[T]) -> T:
    """``rng.choice``, but from one ``random()`` call: ``choice``'s exact integer sampling
    was the largest share of the generator's run time."""
    return items[int(rng.random() * len(items))]


def _between(rng: random.Random, low: int, high: int) -> int:
    """``rng.randint``, the same way as :func:`_pick`."""
    return low + int(rng.random() * (high - low + 1))


def _build_pools(rng: random.Random) -> _Pools:
    sentences_ko = tuple(
        " ".join(
            (
                _pick(rng, ADVERBIALS_KO),
                _pick(rng, SUBJECTS_KO),
                _pick(rng, OBJECTS_KO),
                _pick(rng, VERBS_KO),
            )
        )
        for _ in range(600)
    )
    sentences_en = tuple(
        f"{_pick(rng, SUBJECTS_EN)} {_pick(rng, VERBS_EN)} {_pick(rng, CLAUSES_EN)}."
        for _ in range(300)
    )
    tags_ko = tuple(stem + suffix for stem in TAG_STEMS_KO for suffix in TAG_SUFFIXES_KO)
    tags_en = tuple(stem + suffix for stem in TAG_STEMS_EN for suffix in TAG_SUFFIXES_EN)
    return _Pools(sentences_ko, sentences_en, tags_ko, tags_en)


def _yaml_scalar(text: str) -> str:
    """Return ``text`` as a YAML scalar: plain when that is safe, else double-quoted."""
    if (
        text[0] in "[]{}#&*!|>'\"%@`-?:,"
        or ": " in text
        or " #" in text
        or text.endswith(":")
        or text != text.strip()
    ):
        # A JSON string is a valid YAML double-quoted scalar.
        return json.dumps(text, ensure_ascii=False)
    return text


def _paragraph(rng: random.Random, pool: Sequence[str], low: int, high: int) -> str:
    return " ".join(rng.choices(pool, k=_between(rng, low, high)))


def _timeline_rows(rng: random.Random, when: datetime, *, korean: bool) -> list[tuple[str, str]]:
    day = min(when.day, 26)
    if korean:
        cells = [
            f"{day}-{day + 1}일",
            f"{when.month}월 {day}일~{day + 2}일",
            f"{when.year - _between(rng, 1, 24)}년 {_between(rng, 1, 12)}월",
            f"{day + 1}일 오후 {_between(rng, 1, 9)}시",
            f"{when.year}년 {when.month}월 {day}일",
        ]
        events: tuple[str, ...] = EVENTS_KO
    else:
        month = MONTHS_EN[when.month - 1]
        cells = [
            f"{month} {day}-{day + 1}",
            f"{month} {day}, {when.year}",
            f"{MONTHS_EN[_between(rng, 0, 11)]} {when.year - _between(rng, 1, 10)}",
        ]
        events = EVENTS_EN
    count = _between(rng, 2, min(4, len(cells)))
    return [(cell, _pick(rng, events)) for cell in rng.sample(cells, count)]


def _html_body(
    rng: random.Random, pools: _Pools, when: datetime, image: str, *, korean: bool
) -> str:
    pool = pools.sentences_ko if korean else pools.sentences_en
    headings = HEADINGS_KO if korean else HEADINGS_EN
    alt = "adskorea 속보" if korean else "news photo"
    parts = [
        f'<p><img src="{image}" alt="{alt}" /></p>\n\n',
        f"<h1>{_pick(rng, headings)}</h1>\n\n",
        '<p data-ke-size="size16">&nbsp;</p>\n\n',
        f"<p>{_paragraph(rng, pool, 3, 5)}</p>\n\n",
    ]
    target = _between(rng, *TARGET_BYTES)
    size = sum(len(p.encode()) for p in parts)
    has_table = rng.random() < TIMELINE_SHARE
    while size < target:
        section = [
            f'<h2 data-ke-size="size26">{_pick(rng, headings)}</h2>\n\n',
            f'<p data-ke-size="size16">{_paragraph(rng, pool, 1, 1)}</p>\n\n',
            f"<p>{_paragraph(rng, pool, 2, 4)}</p>\n\n",
        ]
        if rng.random() < 0.5:
            items = "".join(f"<li>{s}</li>" for s in rng.choices(pool, k=_between(rng, 1, 3)))
            section.append(f"<ul>{items}</ul>\n\n")
        if has_table:
            has_table = False
            header = ("날짜", "내용") if korean else ("Date", "Event")
            rows = "".join(
                f"<tr>\n<td{CELL_STYLE}>{cell}</td>\n<td{CELL_STYLE}>{event}</td>\n</tr>\n"
                for cell, event in _timeline_rows(rng, when, korean=korean)
            )
            section.append(
                "<table>\n<thead>\n<tr>\n"
                + "".join(f"<th{CELL_STYLE}><b>{h}</b></th>\n" for h in header)
                + f"</tr>\n</thead>\n<tbody>\n{rows}</tbody>\n</table>\n\n"
            )
        parts.extend(section)
        size += sum(len(p.encode()) for p in section)
    return "".join(parts)


def _markdown_body(rng: random.Random, pools: _Pools, when: datetime, *, korean: bool) -> str:
    pool = pools.sentences_ko if korean else pools.sentences_en
    headings = HEADINGS_KO if korean else HEADINGS_EN
    parts = [f"{_paragraph(rng, pool, 2, 4)}\n\n"]
    target = _between(rng, *TARGET_BYTES)
    size = len(parts[0].encode())
    has_table = rng.random() < TIMELINE_SHARE
    link = "이전 기사" if korean else "earlier story"
    while size < target:
        section = [f"## {_pick(rng, headings)}\n\n", f"{_paragraph(rng, pool, 2, 5)}\n\n"]
        if rng.random() < 0.5:
            items = "".join(f"- {s}\n" for s in rng.choices(pool, k=_between(rng, 2, 4)))
            section.append(items + "\n")
        if has_table:
            has_table = False
            header = "| 날짜 | 내용 |" if korean else "| Date | Event |"
            rows = "".join(
                f"| {cell} | {event} |\n"
                for cell, event in _timeline_rows(rng, when, korean=korean)
            )
            section.append(f"{header}\n| --- | --- |\n{rows}\n")
        if rng.random() < 0.3:
            section.append(f"**{_pick(rng, pool)}** [{link}](/news/{when:%Y/%m/%d}/story.html)\n\n")
        parts.extend(section)
        size += sum(len(p.encode()) for p in section)
    return "".join(parts)


def _date_value(rng: random.Random, when: datetime) -> str:
    style = rng.randrange(4)
    if style == 0:
        return when.strftime("%Y-%m-%d %H:%M:%S %z")
    if style == 1:
        return when.strftime("%Y-%m-%d")
    if style == 2:
        return when.isoformat()
    return when.strftime("%Y-%m-%d %H:%M")


def _spread(rng: random.Random, count: int, share: float) -> list[bool]:
    """Return ``count`` flags, ``round(count * share)`` of them true, in a seeded order."""
    chosen = round(count * share)
    flags = [index < chosen for index in range(count)]
    rng.shuffle(flags)
    return flags


def _post_text(
    rng: random.Random,
    pools: _Pools,
    index: int,
    when: datetime,
    *,
    has_date_key: bool,
    bracket_title: bool,
    korean_share: float = KOREAN_SHARE,
    markdown_share: float = MARKDOWN_SHARE,
) -> tuple[str, str]:
    """Return the front matter plus body of one post, and its slug."""
    korean = rng.random() < korean_share
    if korean:
        topic, slug = _pick(rng, TOPICS_KO)
        title = f"{topic} {when.day}일 {_pick(rng, TITLE_DETAILS_KO)}"
        categories = rng.sample(CATEGORIES_KO, _between(rng, 1, 2))
        tags = rng.sample(pools.tags_ko, _between(rng, 1, 4))
        bracket = _pick(rng, BRACKET_TAGS_KO)
    else:
        topic, slug = _pick(rng, TOPICS_EN)
        title = f"{topic}: {_pick(rng, TITLE_DETAILS_EN)}"
        categories = rng.sample(CATEGORIES_EN + CATEGORIES_KO[:1], _between(rng, 1, 2))
        tags = rng.sample(pools.tags_en, _between(rng, 1, 4))
        bracket = _pick(rng, BRACKET_TAGS_EN)
    pool = pools.sentences_ko if korean else pools.sentences_en
    excerpt = _paragraph(rng, pool, 2, 3)
    if rng.random() < 0.8:
        image = IMAGES[0] if rng.random() < 0.5 else _pick(rng, IMAGES)
    else:
        image = EXTERNAL_IMAGE.format(n=index)

    if bracket_title:
        # Unquoted on purpose: YAML reads "[tag]" as a flow sequence and then fails.
        title_line = f"title: {bracket} {title.replace(': ', ' - ')}"
    else:
        title_line = f"title: {_yaml_scalar(title)}"
    lines = ["---", title_line]
    if has_date_key:
        lines.append(f"date: {_date_value(rng, when)}")
    if rng.random() < 0.5:
        lines.append("categories:")
        lines.extend(f"  - {name}" for name in categories)
    else:
        lines.append(f"categories: [{', '.join(categories)}]")
    if rng.random() < 0.7:
        lines.append(f"tags: [{', '.join(tags)}]")
    else:
        lines.append(f"tags: {' '.join(tags)}")
    lines.extend(("excerpt: >", f"  {excerpt}"))
    if korean and rng.random() < 0.3:
        lines.extend(
            ("feature_text: >", "  ## adskorea 실시간 뉴스 속보입니다.", "", f"  {excerpt}")
        )
    lines.append(f"image: '{image}'")
    lines.append("---")
    if rng.random() < markdown_share:
        body = _markdown_body(rng, pools, when, korean=korean)
    else:
        body = _html_body(rng, pools, when, image, korean=korean)
    return "\n".join(lines) + "\n\n" + body, f"{slug}-{index}"


def _hashed_name(seed: int, index: int) -> str:
    digest = hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=8).hexdigest()
    return f"{index % 1000:03d}_{digest}.txt"


def _write(path: Path, data: bytes, stamp: float) -> None:
    path.write_bytes(data)
    os.utime(path, (stamp, stamp))


def generate_site(
    out_dir: Path,
    posts: int,
    *,
    seed: int = 1,
    jekyll: bool = False,
    bracket_titles: float = 0.0,
    korean_share: float = KOREAN_SHARE,
    markdown_share: float = MARKDOWN_SHARE,
) -> None:
    """Write a synthetic site of ``posts`` posts into ``out_dir`` (created if missing).

    The same arguments always give the same files, bytes and modification times.
    ``jekyll`` writes ``_config.yml`` and ``_posts/`` instead of ``feedkit.toml`` and
    ``content/``; ``bracket_titles`` is the fraction of titles written as unquoted
    ``[tag] ...`` (invalid YAML). ``korean_share`` and ``markdown_share`` are the
    fractions of Korean posts and of Markdown bodies (the others are HTML); with
    ``korean_share=1, markdown_share=0`` every post is of the seed post's kind, a Korean
    news post with an HTML body. The defaults give the same files as before. Existing
    files of an earlier run are overwritten, but files it wrote that this run does not
    are left in place: use a fresh folder.

    Raises ValueError for a negative ``posts`` or a fraction outside 0..1.
    """
    if posts < 0:
        raise ValueError(f"posts must be at least 0, got {posts}")
    for name, share in (
        ("bracket_titles", bracket_titles),
        ("korean_share", korean_share),
        ("markdown_share", markdown_share),
    ):
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1, got {share}")
    rng = random.Random(seed)
    pools = _build_pools(rng)
    out_dir.mkdir(parents=True, exist_ok=True)
    content = out_dir if jekyll else out_dir / "content"
    posts_dir = out_dir / "_posts" if jekyll else content
    posts_dir.mkdir(parents=True, exist_ok=True)
    epoch = FIRST_DAY.timestamp()

    if jekyll:
        config = (
            "title: 합성 뉴스\n"
            "url: https://example.com\n"
            "timezone: Asia/Seoul\n"
            "lang: ko\n"
            "permalink: date\n"
        )
        _write(out_dir / "_config.yml", config.encode(), epoch)
    else:
        config = (
            "# A synthetic site written by scripts/gen_corpus.py.\n\n"
            "[site]\n"
            'title = "합성 뉴스"\n'
            'url = "https://example.com"\n'
            'language = "ko"\n'
            'timezone = "Asia/Seoul"\n\n'
            "[content]\n"
            'dir = "content"\n\n'
            "[feeds]\n"
            'output = "public"\n'
        )
        _write(out_dir / "feedkit.toml", config.encode(), epoch)
    images = content / "assets" / "img"
    (images / "news").mkdir(parents=True, exist_ok=True)
    for image in IMAGES:
        _write(content / image.lstrip("/"), JPEG_STUB, epoch)

    dated_names = [True] * posts if jekyll else _spread(rng, posts, 0.5)
    date_keys = [False] * posts if jekyll else _spread(rng, posts, 0.5)
    brackets = _spread(rng, posts, bracket_titles)
    span = int((LAST_DAY - FIRST_DAY).total_seconds())
    made: set[Path] = set()
    for index in range(posts):
        # Whole minutes, so that every date format names the same instant.
        when = datetime.fromtimestamp(epoch + rng.randrange(span // 60) * 60, KST)
        text, slug = _post_text(
            rng,
            pools,
            index,
            when,
            has_date_key=date_keys[index],
            bracket_title=brackets[index],
            korean_share=korean_share,
            markdown_share=markdown_share,
        )
        if posts > FOLDER_THRESHOLD:
            folder = posts_dir / f"{when:%Y}" if jekyll else posts_dir / f"{when:%Y/%m}"
        else:
            folder = posts_dir
        if folder not in made:
            folder.mkdir(parents=True, exist_ok=True)
            made.add(folder)
        name = f"{when:%Y-%m-%d}-{slug}.md" if dated_names[index] else _hashed_name(seed, index)
        _write(folder / name, text.encode(), when.timestamp())


def _fraction(value: str) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, got {value}")
    return number


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, write the site and return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    parser.add_argument("--posts", type=int, required=True, metavar="N")
    parser.add_argument("--seed", type=int, default=1, metavar="S")
    parser.add_argument("--jekyll", action="store_true", help="write _config.yml and _posts/")
    parser.add_argument(
        "--bracket-titles",
        type=_fraction,
        default=0.0,
        metavar="FRACTION",
        help="fraction of titles written as unquoted '[tag] ...' (invalid YAML)",
    )
    parser.add_argument(
        "--korean-share",
        type=_fraction,
        default=KOREAN_SHARE,
        metavar="FRACTION",
        help="fraction of Korean posts (default: %(default).2f)",
    )
    parser.add_argument(
        "--markdown-share",
        type=_fraction,
        default=MARKDOWN_SHARE,
        metavar="FRACTION",
        help="fraction of Markdown bodies, the others HTML (default: %(default).2f)",
    )
    args = parser.parse_args(argv)
    if args.posts < 0:
        parser.error("--posts must be at least 0")
    started = time.perf_counter()
    generate_site(
        args.out_dir,
        args.posts,
        seed=args.seed,
        jekyll=args.jekyll,
        bracket_titles=args.bracket_titles,
        korean_share=args.korean_share,
        markdown_share=args.markdown_share,
    )
    seconds = time.perf_counter() - started
    print(f"gen_corpus: {args.posts} posts in {args.out_dir} ({seconds:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
