"""Property-based tests (hypothesis) for the code that reads untrusted text.

Sentence splitting, Markdown/HTML escaping, slugs, the question loader and the settings
loader are fed generated input: arbitrary unicode, binary, YAML built from a grammar of
keys, values, indentation, anchors, aliases and tags, alias chains ("billion laughs") and
files near the 1 MB limit. Every test is deterministic (`derandomize=True`, no example
database) and has no deadline, so a slow machine cannot make it flaky.
"""

from __future__ import annotations

import html
import re
import string
import tempfile
import time
from datetime import date
from pathlib import Path

import markdown
import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from generator.drafting.models import OwnerReview, Question
from generator.drafting.textutil import ABBREVIATIONS, split_sentences
from generator.inputs.questions import SLUG_RE, load_question
from generator.inputs.settings import SETTINGS_FILE, Settings, SettingsError, load_settings
from generator.inputs.yamlsrc import MAX_BYTES, YamlError, parse_yaml
from generator.publishing.render.escape import clean, md, url


def fast(max_examples: int) -> settings:
    """Deterministic hypothesis settings with no deadline and no example database."""
    return settings(
        derandomize=True,
        database=None,
        deadline=None,
        max_examples=max_examples,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder per module: hypothesis calls a test many times and function-scoped
    fixtures are not reset between its examples."""
    return tmp_path_factory.mktemp("properties")


# Lone surrogates are not text, but `json.loads("\"\\ud800\"")` and YAML's "\ud800" escape
# both produce them, so untrusted strings can hold them.
ANY_CHAR = st.characters(exclude_categories=())

# --- 1. split_sentences --------------------------------------------------------------------

PUNCTUATED = st.lists(
    st.sampled_from([*"aZ9 .!?\"')([]\n\t\u00a0\u2028Jé", "e.g.", "Fig.", "3.14"]),
    max_size=60,
).map("".join)


@fast(400)
@given(st.one_of(st.text(), st.text(alphabet=ANY_CHAR), PUNCTUATED))
@example("Hi.  \n\t Next one. ! Again")
def test_split_sentences_loses_and_reorders_nothing(text: str) -> None:
    sentences = split_sentences(text)
    assert " ".join(sentences) == " ".join(text.split())
    for sentence in sentences:
        assert sentence
        assert sentence == sentence.strip()


# Lowercase filler words that are not abbreviations (a sentence may legitimately end in
# "etc." or "no." without the splitter being able to tell; that is not tested here).
WORD = st.text(alphabet=string.ascii_lowercase, min_size=2, max_size=8).filter(
    lambda w: w not in ABBREVIATIONS
)
CAPITALISED = WORD.map(str.capitalize)


@st.composite
def simple_sentence(draw: st.DrawFn) -> str:
    words = [draw(CAPITALISED), *draw(st.lists(WORD, max_size=6))]
    return " ".join(words) + draw(st.sampled_from([".", ".", "!", "?"]))


SEPARATOR = st.sampled_from([" ", "  ", "\n", " \n\t", "\u00a0"])


@st.composite
def joined(draw: st.DrawFn, sentence: st.SearchStrategy[str]) -> tuple[list[str], str]:
    sentences = draw(st.lists(sentence, min_size=1, max_size=6))
    text = sentences[0]
    for item in sentences[1:]:
        text += draw(SEPARATOR) + item
    return sentences, draw(st.sampled_from(["", " ", "\n"])) + text + draw(SEPARATOR)


@fast(300)
@given(joined(simple_sentence()))
def test_simple_sentences_split_back_into_themselves(case: tuple[list[str], str]) -> None:
    sentences, text = case
    assert split_sentences(text) == sentences


# Each fragment ends in a period followed by a space and a capital or digit: exactly where a
# sentence could end, so every one of them must be recognised as not ending the sentence.
ABBREVIATION = st.sampled_from(
    ["e.g.", "i.e.", "et al.", "Fig.", "Figs.", "Eq.", "Sec.", "vs.", "cf.", "approx.", "E.g."]
)
INITIAL = st.sampled_from([*string.ascii_uppercase, "É", "Ł", "Ö", "Ø", "Ž"]).map(lambda c: c + ".")
FOLLOWER = st.one_of(
    CAPITALISED, st.integers(0, 999).map(str), st.integers(0, 9).map(lambda n: f"({n})")
)
OPENER = st.sampled_from(["", "", "(", '"', "["])


@st.composite
def abbreviation_fragment(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["abbreviation", "initial", "initials", "decimal"]))
    opener = draw(OPENER)
    if kind == "abbreviation":
        return f"{opener}{draw(ABBREVIATION)} {draw(FOLLOWER)}"
    if kind == "initial":
        return f"{opener}{draw(INITIAL)} {draw(CAPITALISED)}"
    if kind == "initials":
        return f"{opener}{draw(INITIAL)} {draw(INITIAL)} {draw(CAPITALISED)}"
    number = f"{draw(st.integers(0, 999))}.{draw(st.integers(0, 999))}"
    return f"{opener}{number} {draw(st.one_of(CAPITALISED, WORD))}"


@st.composite
def sentence_with_abbreviations(draw: st.DrawFn) -> str:
    parts = [draw(CAPITALISED)]
    for _ in range(draw(st.integers(1, 3))):
        parts += draw(st.lists(WORD, max_size=2))
        parts.append(draw(abbreviation_fragment()))
    parts += draw(st.lists(WORD, min_size=1, max_size=3))
    return " ".join(parts) + draw(st.sampled_from([".", "!", "?"]))


@fast(250)
@given(joined(st.one_of(sentence_with_abbreviations(), simple_sentence())))
@example((["Shown by (J. Smith) here.", "Next one."], "Shown by (J. Smith) here. Next one."))
@example((['As "J. Doe" says.', "Next one."], 'As "J. Doe" says. Next one.'))
@example(
    (["Proposed by Ł. Kaiser in 2017.", "Next one."], "Proposed by Ł. Kaiser in 2017. Next one.")
)
def test_abbreviations_decimals_and_initials_never_end_a_sentence(
    case: tuple[list[str], str],
) -> None:
    sentences, text = case
    assert split_sentences(text) == sentences


# --- 2. escape.md and escape.url -----------------------------------------------------------

MARKUP = "|\\`*_[]()<>#!~{}$^&\"'"
INVISIBLE = [
    *map(chr, range(0x200B, 0x2010)),
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
    "\ufeff",
]
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
HOSTILE = st.lists(
    st.one_of(
        st.sampled_from(
            [*MARKUP, *INVISIBLE, *LINE_BREAKS, *"+-:=.;/ \t\x00\x1b\x7f\xa0", "\ud800"]
        ),
        st.sampled_from(["1.", "<script>", "<img src=x>", "&amp;", "&#35;", "http://x"]),
        st.characters(codec="ascii"),
        ANY_CHAR,
    ),
    max_size=80,
).map("".join)
UNTRUSTED = st.one_of(st.text(), st.text(alphabet=ANY_CHAR), HOSTILE)
REFERENCE = re.compile(r"&#\d+;")


@fast(500)
@given(UNTRUSTED)
@example("1. item")
@example("| a | b |\n# heading\n- list")
@example("&#124; &amp; \\| `code` <script>alert(1)</script>")
def test_md_leaves_no_markup_and_loses_nothing_visible(text: str) -> None:
    escaped = md(text)
    bare = REFERENCE.sub("", escaped)
    assert not set(bare) & set(MARKUP)
    assert not set(escaped) & set(LINE_BREAKS)
    assert not set(escaped) & set(INVISIBLE)
    assert not set(clean(text)) & set(INVISIBLE)
    assert html.unescape(escaped) == clean(text)
    assert not re.match(r"\s*\d+\.", escaped)  # cannot open an ordered list


TABLE = "| h1 | h2 | h3 |\n| --- | --- | --- |\n| a | {} | b |\n"


@fast(250)
@given(UNTRUSTED)
@example("x | y | z")
@example("<script>alert(1)</script>")
@example('![x](javascript:alert(1)) [a](http://e.com) <http://e.com> <img src="x">')
@example("`|` \\| \\\\|")
def test_md_stays_in_one_table_cell(text: str) -> None:
    rendered = markdown.markdown(TABLE.format(md(text)), extensions=["tables"])
    assert len(re.findall(r"<td[ >]", rendered)) == 3
    assert len(re.findall(r"<th[ >]", rendered)) == 3
    assert "<script" not in rendered
    assert "<img" not in rendered
    assert "<a " not in rendered


URLISH = st.builds(
    str.__add__,
    st.sampled_from(
        [
            *["http://", "https://", "HTTP://", "hTtPs://", "javascript:", "ftp://", ""],
            *[" http://", "\u200bhttps://", "http:", "data:text/html,"],
        ]
    ),
    st.text(
        alphabet=st.one_of(
            st.sampled_from([*"[]@:/?#<>\"' )(%\n\t.-_=&;,+~`\\", "\ud800", "\ufe6d"]),
            st.characters(codec="ascii"),
        ),
        max_size=40,
    ),
)


@fast(400)
@given(st.one_of(URLISH, UNTRUSTED))
@example("http://[")
@example("https://[::1")
@example("HTTP://example.com/a b")
@example("http://example.com/\ud800")
@example('https://e.com/x") onmouseover=alert(1) ("')
def test_url_is_empty_or_a_safe_http_url(value: str) -> None:
    result = url(value)
    assert isinstance(result, str)
    if result:
        assert result.startswith(("http://", "https://"))
        assert not any(ch.isspace() for ch in result)
        assert not set(result) & set("\"'<>)")


# --- 3. slugs and the question loader ------------------------------------------------------

LOOKALIKES = (
    string.ascii_lowercase
    + string.digits
    + "-"
    + "аеорсхуіј"  # Cyrillic look-alikes
    + "ａｂｃ１２"  # fullwidth
    + "ıſKµ"  # dotless i, long s, Kelvin sign, micro sign
    + "ABCZ./\\ _\n\t\u200b\u00a0"
)
SLUGGISH = st.one_of(st.text(alphabet=LOOKALIKES, max_size=90), st.text(max_size=90))


@fast(500)
@given(SLUGGISH)
@example("a..b")
@example("abc\n")
@example("раper")  # Cyrillic "р" and "а"
@example("ｐａｐｅｒ")
def test_accepted_slugs_are_plain_ascii(slug: str) -> None:
    if SLUG_RE.fullmatch(slug):
        assert re.fullmatch(r"[a-z0-9-]+", slug, flags=re.ASCII)
        assert slug.isascii() and slug == slug.lower()
        assert ".." not in slug and "/" not in slug and not any(c.isspace() for c in slug)
        assert len(slug) <= 80 and not slug.startswith("-") and not slug.endswith("-")


OK = "question: How does expert load balancing affect MoE training stability?\n"


def check_outcome(path: Path, display: str) -> Question | None:
    """Load `path`: a Question, or a YamlError whose every problem names `display`."""
    try:
        question = load_question(path, display)
    except YamlError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.path == display
            assert str(problem).startswith(display)
        return None
    assert isinstance(question, Question)
    assert question.path == display
    return question


FILE_NAME = st.text(
    alphabet=st.one_of(st.sampled_from(LOOKALIKES), st.characters(exclude_characters="/\x00")),
    max_size=40,
)


@fast(200)
@given(FILE_NAME)
@example("")
@example(".")
@example("..")
@example("UPPER")
@example("ok-slug")
@example("ｐａｐｅｒ")
def test_file_names_either_load_or_name_the_file(workdir: Path, name: str) -> None:
    folder = workdir / "names"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yaml"
    try:
        path.write_text(OK, encoding="utf-8")
    except OSError:  # e.g. a name longer than the file system allows
        assume(False)
    try:
        display = f"questions/{path.name}"
        question = check_outcome(path, display)
        if SLUG_RE.fullmatch(path.stem):
            assert question is not None and question.slug == path.stem
        else:
            assert question is None
            with pytest.raises(YamlError) as raised:
                load_question(path, display)
            assert any(p.field == "file name" for p in raised.value.problems)
    finally:
        path.unlink()


SENTINEL = Path(tempfile.gettempdir()) / "sovereign-properties-yaml-executed"
KEYS = [
    *["question", "paper", "queries", "tags", "owner", "created", "review"],
    *["decision", "by", "date", "note", "draft_hash", "<<", "x", "1", "null", "true"],
    *['"question"', "'tags'", "? [a, b]", "? {a: 1}", "? *a", "question ", "? ", ":"],
]
TAGS = [
    *["", "", "", "!!str ", "!!int ", "!!float ", "!!bool ", "!!null ", "!!timestamp "],
    *["!!binary ", "!!set ", "!!omap ", "!!pairs ", "!!map ", "!!seq ", "!custom ", "! "],
    *["!!python/object/apply:os.system ", "!!python/object/new:builtins.str "],
    *["!!python/name:os.system ", "!!python/module:os ", "!!python/tuple "],
    *["!<tag:yaml.org,2002:python/object/apply:os.system> ", "!e!x "],
]
VALUES = [
    *["How does routing affect expert specialisation in MoE layers?", "2303.01610"],
    *["2303.01610v2", "hep-th/9901001", "1e3", "0x1F", "0o17", ".nan", "-.inf", "~", "null"],
    *["yes", "no", "approve", "2025-01-31", "2025-13-45", "2025-02-30 25:61:00", "''", '""'],
    *['"\\ud800 \\x00 \\u202e"', "'it''s'", "[a, b]", "{a: 1}", "[", "]", "{", "}", "|", ">-"],
    *[f'["touch {SENTINEL}"]', f"touch {SENTINEL}", "[[[[[[]]]]]]", "{a: {b: {c: ~}}}"],
    *["- a", "*a", "*b", "*missing", "1" * 5000, "9" * 400 + ".5", "!!int", "@", "`", "%"],
    *["aGVsbG8=", "a: b: c", "- - - x", "&a", "? x", "\t", "#", "'", '"'],
]
SPECIAL_LINES = ["---", "...", "%YAML 1.1", "%TAG !e! tag:example.com,2000:", "# c", ""]


@st.composite
def yaml_line(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(SPECIAL_LINES))
    line = " " * draw(st.integers(0, 6)) + draw(st.sampled_from(["", "", "- ", "- - "]))
    if draw(st.booleans()):
        line += draw(st.sampled_from(KEYS)) + draw(st.sampled_from([": ", ":", ":\n"]))
    line += draw(st.sampled_from(["", "", "&a ", "&b ", "&a &b "]))
    line += draw(st.sampled_from(TAGS))
    return line + draw(st.one_of(st.sampled_from(VALUES), st.text(max_size=12)))


GOOD_VALUES = [
    *["How does routing affect expert specialisation in MoE layers?", "2303.01610", "moe"],
    *["[moe, routing]", "[a, b]", "2025-01-31", "approve", "me", "'quoted: text'", "~", "12"],
    *["{decision: approve, by: me, date: 2025-01-31}", "*a", "Routing?", '"\\u202e text"'],
]


@st.composite
def yaml_value(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 7)):
        return draw(st.sampled_from(["", "", "", "", "&a "])) + draw(st.sampled_from(GOOD_VALUES))
    anchor = draw(st.sampled_from(["", "", "", "&a ", "&b "]))
    tag = draw(st.sampled_from(["", "", "", *TAGS]))
    return anchor + tag + draw(st.one_of(st.sampled_from(VALUES), st.text(max_size=12)))


@st.composite
def yaml_mapping(draw: st.DrawFn) -> str:
    """Mostly well-formed: top-level keys, some holding an indented list or mapping."""
    names = st.sampled_from(KEYS[:16])
    lines = []
    for key in draw(st.lists(names, min_size=1, max_size=6, unique=True)):
        if draw(st.booleans()):
            lines.append(f"{key}: {draw(yaml_value())}")
            continue
        lines.append(f"{key}:")
        indent = " " * draw(st.integers(1, 4))
        if draw(st.booleans()):
            children = ["- "] * draw(st.integers(0, 4))
        else:
            children = [f"{k}: " for k in draw(st.lists(names, max_size=4, unique=True))]
        lines += [indent + child + draw(yaml_value()) for child in children]
    return "\n".join(lines)


# Chaotic lines, or a mapping that often gets through to validation.
YAMLISH = st.one_of(
    st.lists(yaml_line(), max_size=12).map("\n".join),
    yaml_mapping(),
    st.builds("{}\n{}".format, st.just(OK), yaml_mapping()),
)
SAFE_TYPES = (dict, list, set, tuple, str, bytes, int, float, bool, type(None), date)


def assert_plain_data(data: object, seen: set[int] | None = None) -> None:
    """Only YAML's own types (no Python objects), following recursive aliases once."""
    seen = set() if seen is None else seen
    assert isinstance(data, SAFE_TYPES), type(data)
    if id(data) in seen:
        return
    seen.add(id(data))
    if isinstance(data, dict):
        for key, value in data.items():
            assert_plain_data(key, seen)
            assert_plain_data(value, seen)
    elif isinstance(data, list | set | tuple):
        for item in data:
            assert_plain_data(item, seen)


def check_question_bytes(workdir: Path, raw: bytes) -> None:
    path = workdir / "probe.yaml"
    path.write_bytes(raw)
    question = check_outcome(path, "questions/probe.yaml")
    if question is not None:
        assert isinstance(question.question, str)
        assert all(isinstance(q, str) for q in question.queries)
        assert all(isinstance(t, str) for t in question.tags)
        assert question.review is None or isinstance(question.review, OwnerReview)
    try:
        loaded = parse_yaml(raw.decode("utf-8"), "questions/probe.yaml")
    except (UnicodeDecodeError, YamlError):
        pass
    else:
        assert_plain_data(loaded.data)
    assert not SENTINEL.exists()


@fast(150)
@given(st.one_of(st.binary(max_size=400), YAMLISH.map(str.encode)))
@example(b"\xff\xfe\x00q")
@example(b"question: \xc3(")
@example(f'question: !!python/object/apply:os.system ["touch {SENTINEL}"]\n'.encode())
@example(b"question: !!python/name:os.system\n")
@example(b"a: &a [*a]\nquestion: *a\n")
@example(b"review: &m {decision: approve, by: me, date: 2025-01-01, note: *m}\n")
@example(b"? [a, b]\n: c\n")
@example(b"created: 2025-13-45\nquestion: x\n")
@example(b"question: !!bool How does routing work?\n")
@example(b"question: !!timestamp How does routing work?\n")
@example(b"question: !!int\ntags: !!float ''\n")
@example(b"question: !!int " + b"1" * 5000 + b"\n")
@example(b"question: " + b"[" * 5000 + b"\n")
@example(b"- " * 5000 + b"x\n")
def test_question_loader_only_returns_a_question_or_raises_yaml_error(
    workdir: Path, raw: bytes
) -> None:
    check_question_bytes(workdir, raw)


@st.composite
def alias_chain(draw: st.DrawFn) -> str:
    """`a0: &a0 [...]`, `a1: &a1 [*a0, *a0, ...]`, ...: each level multiplies the expansion,
    then the top anchor is used as a value, as a key or in a merge key."""
    depth = draw(st.integers(1, 14))
    width = draw(st.integers(2, 9))
    merge = draw(st.booleans())
    lines = ["a0: &a0 {x: 1, y: [lol]}" if merge else "a0: &a0 [lol, lol]"]
    for level in range(1, depth + 1):
        refs = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} " + (f"{{<<: [{refs}]}}" if merge else f"[{refs}]"))
    top = f"*a{depth}"
    use = draw(
        st.sampled_from(
            [
                *[f"question: {top}", f"queries: {top}", f"tags: {top}", f"review: {top}"],
                *[f"? {top}\n: v", f"? [{top}, {top}]\n: v", f"z: {{<<: {top}}}"],
                *[f"z: {{<<: [{top}, {top}]}}", f"review: {{<<: {top}}}"],
            ]
        )
    )
    return "\n".join([*lines, use, OK])


@fast(60)
@given(alias_chain())
@example(
    "a0: &a0 [lol, lol]\n"
    + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9))
    + "? [*a8, *a8]\n: v\n"
)
@example(
    "a0: &a0 {x: 1}\n"
    + "".join(f"a{i}: &a{i} {{<<: [{', '.join([f'*a{i - 1}'] * 9)}]}}\n" for i in range(1, 9))
)
def test_alias_chains_are_cheap_and_never_escape(workdir: Path, text: str) -> None:
    started = time.perf_counter()
    check_question_bytes(workdir, text.encode())
    # Exponential expansion takes a minute for the explicit examples (and years for the
    # deepest generated ones); the linear work of the fixed loader takes milliseconds.
    assert time.perf_counter() - started < 5


NEAR_LIMIT_KINDS = ["comment", "string", "nested", "binary"]


def near_limit(offset: int, kind: str) -> bytes:
    """A file `offset` bytes from the limit: a long comment or string, deep nesting, or
    invalid UTF-8."""
    size = MAX_BYTES + offset
    if kind == "comment":
        body = OK.encode() + b"#" * size
    elif kind == "string":
        body = b"question: " + b"x" * size
    elif kind == "nested":
        body = b"question: " + b"[" * size
    else:
        body = OK.encode() + b"\n# \xff" * (size // 4)
    return body[:size].ljust(size, b" ")


@fast(3)
@given(st.sampled_from([-64, -1, 0, 1, 64]), st.sampled_from(NEAR_LIMIT_KINDS))
@example(0, "comment")
@example(1, "string")
@example(0, "nested")
@example(-1, "binary")
def test_files_near_the_size_limit(workdir: Path, offset: int, kind: str) -> None:
    raw = near_limit(offset, kind)
    path = workdir / "big.yaml"
    path.write_bytes(raw)
    question = check_outcome(path, "questions/big.yaml")
    if len(raw) > MAX_BYTES:
        assert question is None
    if kind == "comment" and offset <= 0:
        assert question is not None


# --- 4. load_settings ----------------------------------------------------------------------


def key_names(data: object) -> set[str]:
    """Every key of a nested mapping."""
    if not isinstance(data, dict):
        return set()
    return set(data).union(*(key_names(value) for value in data.values()))


# Real section and option names, so that generated files also reach the field validators.
FIELDS = sorted(key_names(Settings().model_dump()))
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.dates(),
    st.sampled_from(["local", "arxiv", "bm25", "llm", "rules", "nim", "tfidf", "keyphrases"]),
)
KEY = st.one_of(st.sampled_from(FIELDS), st.text(max_size=8), st.integers(), st.none())
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEY, inner, max_size=4),
    max_leaves=12,
)
SECTION = st.dictionaries(KEY, VALUE, max_size=5)
SETTINGS_DATA = st.dictionaries(
    st.one_of(st.sampled_from(sorted(Settings.model_fields)), KEY),
    st.one_of(st.none(), SECTION, VALUE),
    max_size=5,
)


def check_settings(root: Path, text: str) -> None:
    (root / SETTINGS_FILE).write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        loaded = load_settings(root)
    except SettingsError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.path == SETTINGS_FILE
            assert str(problem).startswith(SETTINGS_FILE)
        return
    assert isinstance(loaded, Settings)


@fast(200)
@given(SETTINGS_DATA)
@example({"review": {"approve_at": 3.0, "reject_below": 5.0}})
@example({"verify": {"threshold": float("nan")}, "services": {"llm": {"timeout": 1e309}}})
@example({"search": {"local_corpus": "rel/\x00corpus.jsonl", "sources": ["local", "x"]}})
@example({1: {None: 2}, "plan": [1, 2], "verify": None})
def test_settings_load_or_raise_settings_error(workdir: Path, data: dict) -> None:
    root = workdir / "settings"
    root.mkdir(exist_ok=True)
    check_settings(root, yaml.safe_dump(data, allow_unicode=True))


@fast(200)
@given(st.one_of(YAMLISH, st.text(max_size=200)))
@example("verify: &v {threshold: 0.2}\nreview: *v\n")
@example("paths: [" * 3000)
@example(
    "a0: &a0 {x: 1}\n"
    + "".join(f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}]}}\n" for i in range(1, 25))
)
def test_settings_from_yamlish_text(workdir: Path, text: str) -> None:
    root = workdir / "settings-text"
    root.mkdir(exist_ok=True)
    check_settings(root, text)
