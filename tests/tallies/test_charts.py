"""Server-drawn SVG charts: well-formed, escaped, labelled for assistive technology, CSP-safe."""

import itertools
import logging
import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any

import pytest
from markupsafe import Markup

from engagement.geography.operations import slugify
from engagement.tallies import charts
from tests.geography.city_data import city_neighborhoods

SVG = "{http://www.w3.org/2000/svg}"
POSITIONS = ["Support", "Oppose", "Mixed or unsure"]
TOPICS = [
    ("Privacy", [12, 30, 4]),
    ("Accuracy and bias", [5, 41, 0]),
    ("Cost", [0, 0, 0]),
]
LANGUAGES = [("English", 1200), ("Español", 340), ("Soomaali", 210), ("Hmoob", 95)]
HOSTILE = '<script>alert("x")</script> & Co\'s "best"'


def parse(chart: Markup) -> ET.Element:
    """The chart as XML, which also proves it well-formed."""
    root = ET.fromstring(str(chart))  # noqa: S314 - our own output, parsed to check it
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def titles(root: ET.Element, kind: str) -> list[str]:
    """The tooltip of each element of class ``kind`` (bar, segment, column)."""
    found = []
    for element in root.iter():
        if element.get("class") == kind:
            title = element.find(f"{SVG}title")
            assert title is not None, f"a {kind} without a title"
            found.append(title.text or "")
    return found


def grouped(number: float) -> str:
    return f"{number:,.0f}"


def square(lon: float, lat: float, size: float = 0.02) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


SHAPES = {
    "seward": square(-93.24, 44.95),
    "howe": square(-93.22, 44.95),
    "cooper": square(-93.2, 44.95),
}
NAMES = {"seward": "Seward", "howe": "Howe", "cooper": "Cooper"}


def every_chart(**keywords: Any) -> list[Markup]:
    return [
        charts.stacked_bars("By topic", "Topics by position.", POSITIONS, TOPICS, **keywords),
        charts.bars("By language", "Comments by language.", LANGUAGES, **keywords),
        charts.columns_by_day(
            "By day", "Comments per day.", [("Mar 1", 3), ("Mar 2", 0)], **keywords
        ),
        charts.choropleth(
            "Map",
            "Comments by neighborhood.",
            SHAPES,
            NAMES,
            {"seward": 4, "howe": None},
            scale="sequential",
            legend=["0", "4"],
            no_data="No data",
            **keywords,
        ),
    ]


@pytest.mark.parametrize("index", range(4), ids=["stacked", "bars", "columns", "map"])
def test_each_chart_is_an_image_named_by_its_title_and_description(index: int) -> None:
    chart = every_chart()[index]
    root = parse(chart)

    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox", ""))
    assert root.get("height") is None
    title, desc = root[0], root[1]
    assert (title.tag, desc.tag) == (f"{SVG}title", f"{SVG}desc")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text in {"By topic", "By language", "By day", "Map"}
    assert (desc.text or "").endswith(".")
    # The font comes from the page, so the PDF and the site use the site's font.
    assert "font-family" not in chart


def test_no_chart_has_an_inline_style() -> None:
    """The site's Content-Security-Policy forbids inline styles: presentation attributes only."""
    for chart in every_chart():
        root = parse(chart)
        assert "style" not in chart
        assert not [element for element in root.iter() if element.tag == f"{SVG}style"]
        assert not [element for element in root.iter() if "style" in element.attrib]
        assert not [element for element in root.iter() if element.tag == f"{SVG}script"]


def test_labels_are_escaped_everywhere() -> None:
    made = [
        charts.bars(HOSTILE, HOSTILE, [(HOSTILE, 3)]),
        charts.stacked_bars(HOSTILE, HOSTILE, [HOSTILE, "b"], [(HOSTILE, [40, 2])]),
        charts.columns_by_day(HOSTILE, HOSTILE, [(HOSTILE, 1)]),
        charts.choropleth(
            HOSTILE,
            HOSTILE,
            SHAPES,
            {"seward": HOSTILE},
            {"seward": 1},
            scale="diverging",
            legend=[HOSTILE],
            no_data=HOSTILE,
        ),
    ]
    for chart in made:
        assert "<script>" not in chart
        root = parse(chart)
        assert root[0].text == HOSTILE
        assert root[1].text == HOSTILE
        everything = "\n".join(element.text or "" for element in root.iter())
        assert HOSTILE in everything


def test_control_characters_in_a_label_do_not_break_the_xml() -> None:
    root = parse(charts.bars("Title\x00", "Desc\x1b", [("Bad\x08label", 1)]))

    assert "Badlabel" in texts(root)


def test_every_bar_has_its_label_and_number() -> None:
    root = parse(charts.bars("By language", "…", LANGUAGES, number_format=grouped))

    assert titles(root, "bar") == ["English: 1,200", "Español: 340", "Soomaali: 210", "Hmoob: 95"]
    assert {"English", "Español", "1,200", "340", "210", "95"} <= set(texts(root))
    widths = [float(rect.get("width", 0)) for rect in root.iter(f"{SVG}rect")]
    assert widths == sorted(widths, reverse=True)
    assert max(widths) <= charts.WIDTH


def test_stacked_bars_show_each_segment_and_the_totals() -> None:
    root = parse(charts.stacked_bars("By topic", "…", POSITIONS, TOPICS, chart_id="topics"))

    assert titles(root, "bar") == ["Privacy: 46", "Accuracy and bias: 46", "Cost: 0"]
    # Zero counts draw no segment; every other one has its own tooltip.
    assert titles(root, "segment") == [
        "Privacy, Support: 12",
        "Privacy, Oppose: 30",
        "Privacy, Mixed or unsure: 4",
        "Accuracy and bias, Support: 5",
        "Accuracy and bias, Oppose: 41",
    ]
    words = texts(root)
    assert words.count("46") == 2
    assert "0" in words
    assert {"30", "41"} <= set(words)  # printed inside the segments that have room
    assert set(POSITIONS) <= set(words)  # the legend


def test_stacked_bars_mark_each_series_with_more_than_color() -> None:
    root = parse(charts.stacked_bars("By topic", "…", POSITIONS, TOPICS, chart_id="topics"))
    patterns = {pattern.get("id") for pattern in root.iter(f"{SVG}pattern")}
    legend_fills = [rect.get("fill") for rect in root if rect.tag == f"{SVG}rect"]

    # Support is plain, Oppose hatched and Mixed dotted, in the legend as on the bars.
    assert patterns == {"topics-hatch-d55e00", "topics-dots-009e73"}
    assert legend_fills == [
        "#0072B2",
        "#D55E00",
        "url(#topics-hatch-d55e00)",
        "#009E73",
        "url(#topics-dots-009e73)",
    ]


def test_stacked_bars_need_one_count_per_series() -> None:
    with pytest.raises(ValueError, match="2 counts for 3 series"):
        charts.stacked_bars("t", "d", POSITIONS, [("Privacy", [1, 2])])


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        charts.bars("t", "d", [("English", -1)])


def test_columns_label_every_day_when_there_is_room() -> None:
    days = [(f"Mar {day}", day) for day in range(1, 6)]
    root = parse(charts.columns_by_day("By day", "…", days))

    assert titles(root, "column") == [f"Mar {day}: {day}" for day in range(1, 6)]
    assert [text for text in texts(root) if text.startswith("Mar")] == [d for d, _ in days]


def test_crowded_columns_label_every_nth_day_without_overlap() -> None:
    days = [(f"April {day}", (day * 7) % 23) for day in range(1, 61)]
    root = parse(charts.columns_by_day("By day", "…", days))

    assert len(titles(root, "column")) == 60
    labels = [
        element for element in root.iter(f"{SVG}text") if (element.text or "").startswith("April")
    ]
    assert 3 <= len(labels) < 20
    assert labels[0].text == "April 1"
    spans = sorted(
        (float(label.get("x", 0)), charts._text_width(label.text or "", 12)) for label in labels
    )
    for (x, width), (next_x, next_width) in itertools.pairwise(spans):
        assert x + width / 2 <= next_x - next_width / 2
    axis = [text for text in texts(root) if text.isdigit()]
    assert axis == ["0", "10", "20", "30"]


def test_a_map_gives_every_neighborhood_its_name_and_number() -> None:
    root = parse(
        charts.choropleth(
            "Map",
            "…",
            SHAPES,
            NAMES,
            {"seward": 12, "howe": 1234, "cooper": None},
            scale="sequential",
            legend=["0", "1,234"],
            no_data="No comments",
            number_format=grouped,
        )
    )
    paths = list(root.iter(f"{SVG}path"))
    areas = [path for path in paths if path.find(f"{SVG}title") is not None]

    assert sorted(path.find(f"{SVG}title").text for path in areas) == [  # type: ignore[union-attr]
        "Cooper: No comments",
        "Howe: 1,234",
        "Seward: 12",
    ]
    assert all(path.get("d", "").startswith("M") for path in areas)
    assert {"0", "1,234", "No comments"} <= set(texts(root))


def fills_by_name(root: ET.Element) -> dict[str, str]:
    """Each neighborhood's fill, inherited from the group that holds its path."""
    fills = {}
    for group in root.iter(f"{SVG}g"):
        for inner in group.findall(f"{SVG}g"):
            for path in inner.findall(f"{SVG}path"):
                name = path.find(f"{SVG}title").text.split(":")[0]  # type: ignore[union-attr]
                fills[name] = group.get("fill", "")
    return fills


def test_the_sequential_scale_runs_light_to_dark_from_zero_to_the_largest_value() -> None:
    values = {"seward": 0, "howe": 50, "cooper": 100}
    root = parse(
        charts.choropleth(
            "Map", "…", SHAPES, NAMES, values, scale="sequential", legend=["0", "100"], no_data="-"
        )
    )
    ramp = [
        rect.get("fill") for rect in root if rect.tag == f"{SVG}rect" and rect.get("height") == "14"
    ]

    assert fills_by_name(root) == {
        "Seward": charts.SEQUENTIAL[0],
        "Howe": charts.SEQUENTIAL[2],
        "Cooper": charts.SEQUENTIAL[-1],
    }
    assert ramp[: len(charts.SEQUENTIAL)] == list(charts.SEQUENTIAL)
    legend = list(root.iter(f"{SVG}text"))
    assert [(t.text, t.get("text-anchor")) for t in legend] == [("0", None), ("100", "end")]
    assert not list(root.iter(f"{SVG}pattern"))  # lightness alone carries it, and no "no data"


def test_the_diverging_scale_hatches_the_oppose_side() -> None:
    values = {"seward": -0.9, "howe": 0.05, "cooper": 0.8}
    root = parse(
        charts.choropleth(
            "Map",
            "…",
            SHAPES,
            NAMES,
            values,
            scale="diverging",
            legend=["All oppose", "Even", "All support"],
            no_data="No comments",
            chart_id="lean",
            number_format=lambda share: f"{share:+.0%}",
        )
    )

    assert fills_by_name(root) == {
        "Seward": charts.DIVERGING[0],
        "Howe": charts.DIVERGING[3],
        "Cooper": charts.DIVERGING[-1],
    }
    [overlay] = root.iter(f"{SVG}use")
    assert overlay.get("fill") == "url(#lean-hatch-8a3c00)"
    assert overlay.get("pointer-events") == "none"
    legend = {t.text: t.get("text-anchor") for t in root.iter(f"{SVG}text")}
    assert legend == {"All oppose": None, "Even": "middle", "All support": "end"}
    titles_ = sorted(p.find(f"{SVG}title").text for p in root.iter(f"{SVG}path") if len(p))  # type: ignore[union-attr]
    assert titles_ == ["Cooper: +80%", "Howe: +5%", "Seward: -90%"]


def test_neighborhoods_without_data_are_hatched_gray_and_in_the_legend() -> None:
    root = parse(
        charts.choropleth(
            "Map",
            "…",
            SHAPES,
            NAMES,
            {"seward": 3},
            scale="sequential",
            legend=["0", "3"],
            no_data="No data",
            chart_id="counted",
        )
    )

    assert fills_by_name(root)["Howe"] == charts.NO_DATA[0]
    assert "url(#counted-cross-dcdcdc)" in {use.get("fill") for use in root.iter(f"{SVG}use")}
    assert "No data" in texts(root)


def test_the_map_projection_keeps_shapes_true() -> None:
    """At 60° north a degree of longitude is half as long as a degree of latitude."""
    one_degree = square(10, 59.5, size=1)
    root = parse(
        charts.choropleth(
            "Map", "…", {"x": one_degree}, {}, {"x": 1}, scale="sequential", legend=[], no_data="-"
        )
    )
    [path] = [p for p in root.iter(f"{SVG}path") if len(p)]
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.get("d", ""))]
    (x0, y0), deltas = numbers[:2], list(zip(numbers[2::2], numbers[3::2], strict=True))
    width = max(abs(dx) for dx, _ in deltas)
    height = max(abs(dy) for _, dy in deltas)

    assert width / height == pytest.approx(math.cos(math.radians(60)), abs=0.01)
    assert height == pytest.approx(charts.MAP_HEIGHT, abs=0.1)
    assert (x0, y0) != (0, 0)


def test_holes_and_several_polygons_are_drawn() -> None:
    outer = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
    hole = [[0.4, 0.4], [0.4, 0.6], [0.6, 0.6], [0.6, 0.4], [0.4, 0.4]]
    island = [[2, 0], [2.5, 0], [2.5, 0.5], [2, 0.5], [2, 0]]
    geometry = {"type": "MultiPolygon", "coordinates": [[outer, hole], [island]]}
    root = parse(
        charts.choropleth(
            "Map", "…", {"x": geometry}, {}, {"x": 1}, scale="sequential", legend=[], no_data="-"
        )
    )
    [path] = [p for p in root.iter(f"{SVG}path") if len(p)]
    areas = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "areas")

    assert path.get("d", "").count("M") == 3
    assert path.get("d", "").count("z") == 3
    assert areas.get("fill-rule") == "evenodd"


def test_a_map_shape_must_be_a_polygon() -> None:
    point = {"type": "Point", "coordinates": [-93.2, 44.9]}
    with pytest.raises(ValueError, match="Polygon or MultiPolygon"):
        charts.choropleth("t", "d", {"x": point}, {}, {}, scale="sequential", legend=[], no_data="")


def test_ids_are_unique_across_charts_on_one_page() -> None:
    page = every_chart() + every_chart() + every_chart(chart_id="given")[:1]
    ids = Counter(
        element.get("id") for chart in page for element in parse(chart).iter() if element.get("id")
    )

    assert ids
    assert [name for name, count in ids.items() if count > 1] == []


def test_every_reference_points_inside_its_own_chart() -> None:
    for chart in every_chart(chart_id="here"):
        root = parse(chart)
        ids = {element.get("id") for element in root.iter() if element.get("id")}
        assert all(name.startswith("here") for name in ids)
        references = set(re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', str(chart)))
        assert {a or b for a, b in references} <= ids
        assert set(root.get("aria-labelledby", "").split()) <= ids


def test_a_given_id_must_be_a_valid_id() -> None:
    with pytest.raises(ValueError, match="not a valid id"):
        charts.bars("t", "d", LANGUAGES, chart_id='x" onload="alert(1)')


def test_nothing_to_draw_gives_nothing() -> None:
    """With no rows there is no chart: the empty Markup is falsy, and the template skips it."""
    made = [
        charts.bars("t", "d", []),
        charts.stacked_bars("t", "d", POSITIONS, []),
        charts.stacked_bars("t", "d", [], []),
        charts.columns_by_day("t", "d", []),
        charts.choropleth("t", "d", {}, {}, {}, scale="diverging", legend=["a"], no_data="-"),
    ]

    assert made == [Markup()] * 5
    assert not any(made)


def test_all_zero_counts_are_drawn_as_zeros() -> None:
    bars = parse(charts.bars("t", "d", [("English", 0), ("Español", 0)]))
    stacked = parse(charts.stacked_bars("t", "d", POSITIONS, [("Privacy", [0, 0, 0])]))
    columns = parse(charts.columns_by_day("t", "d", [("Mar 1", 0), ("Mar 2", 0)]))
    counted = parse(
        charts.choropleth(
            "t", "d", SHAPES, NAMES, {"seward": 0}, scale="sequential", legend=[], no_data="-"
        )
    )
    unknown = parse(
        charts.choropleth("t", "d", SHAPES, NAMES, {}, scale="diverging", legend=[], no_data="-")
    )

    assert titles(bars, "bar") == ["English: 0", "Español: 0"]
    assert texts(bars).count("0") == 2
    assert titles(stacked, "bar") == ["Privacy: 0"]
    assert titles(stacked, "segment") == []
    assert titles(columns, "column") == ["Mar 1: 0", "Mar 2: 0"]
    assert [t for t in texts(columns) if t.isdigit()] == ["0", "1"]
    assert fills_by_name(counted)["Seward"] == charts.SEQUENTIAL[0]
    assert set(fills_by_name(unknown).values()) == {charts.NO_DATA[0]}


def test_the_colors_reach_three_to_one_against_white_and_print_in_order() -> None:
    white = "#ffffff"
    for color in (*charts.CATEGORY_COLORS, charts.OUTLINE):
        assert charts.contrast(color, white) >= 3
    lightness = [charts._luminance(color) for color in charts.SEQUENTIAL]
    assert lightness == sorted(lightness, reverse=True)
    oppose, support = charts.DIVERGING[:3], charts.DIVERGING[4:][::-1]
    for a, b in zip(oppose, support, strict=True):  # same lightness, told apart by the hatching
        assert charts.contrast(a, b) < 1.6
    assert charts.DIVERGING_MARKS[:3] == ("hatch",) * 3
    assert set(charts.DIVERGING_MARKS[3:]) == {"solid"}


def test_the_city_map_stays_small() -> None:
    city = city_neighborhoods()
    shapes = {slugify(f["properties"]["BDNAME"]): f["geometry"] for f in city["features"]}
    names = {
        slugify(f["properties"]["BDNAME"]): f["properties"]["BDNAME"] for f in city["features"]
    }
    values: dict[str, float | None] = {
        slug: (index % 9 - 4) / 4 if index % 10 else None for index, slug in enumerate(shapes)
    }

    chart = charts.choropleth(
        "Support and opposition by neighborhood",
        "Orange and hatched: more oppose; blue: more support.",
        shapes,
        names,
        values,
        scale="diverging",
        legend=["All oppose", "Even", "All support"],
        no_data="No comments",
        number_format=lambda share: f"{share:+.0%}",
    )
    root = parse(chart)
    areas = [path for path in root.iter(f"{SVG}path") if len(path)]

    assert len(shapes) == 87
    assert len(areas) == 87
    assert all(len(path.get("d", "")) > 20 for path in areas)
    assert len(chart.encode()) < 60_000


def test_weasyprint_draws_every_chart(caplog: pytest.LogCaptureFixture) -> None:
    """The hearing report's PDF is drawn by WeasyPrint, whose SVG renderer is its own.

    It passes over SVG it can't draw in silence, so this proves only that nothing breaks it;
    the look was checked on PDF pages turned into pictures.
    """
    weasyprint = pytest.importorskip("weasyprint")
    page = "".join(f"<figure>{chart}</figure>" for chart in every_chart())

    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = weasyprint.HTML(string=f"<!doctype html><title>t</title>{page}").write_pdf()

    assert pdf.startswith(b"%PDF")
    assert [record.getMessage() for record in caplog.records] == []
