"""Charts for the council dashboard and the hearing report, drawn on the server as accessible SVG.

Pure functions: plain, already-translated strings and numbers in, one ``<svg>`` element out as
``Markup``, ready to place next to the chart's data table in a page or in the WeasyPrint PDF.
Nothing here touches the database, the request or the translation catalogs, so the same chart
renders the same way in the browser, in the PDF and in a test.

The four charts::

    stacked_bars(title, description, series, rows)       # e.g. topics split by position
    bars(title, description, rows)                       # by language, channel, community, ward
    columns_by_day(title, description, days)             # comments per day
    choropleth(title, description, shapes, names, values,
               scale="sequential" | "diverging", legend=[...], no_data="...")

Every chart also takes these keywords:

- ``chart_id``: the id of the ``<svg>``; its ``<title>``, ``<desc>`` and patterns get ids derived
  from it, so two charts on one page never share an id. Pass a stable one (``"chart-topics"``)
  where the output should be reproducible; left out, a process-wide counter makes one up.
- ``number_format``: turns a number into text for the printed counts, the axis and the
  tooltips, e.g. ``flask_babel.format_decimal``; the default prints plain digits.

What the reader gets:

- ``role="img"`` named by the chart's ``<title>`` and ``<desc>`` (``aria-labelledby``); the
  caller's description should say what the chart shows, since the data table next to it carries
  the numbers for screen-reader users. Each bar, column, segment and neighborhood has its own
  ``<title>`` with its label and number, which mouse users see on hover.
- Real ``<text>``, so words stay selectable and searchable in the PDF; the font is inherited
  from the page, and sizes are presentation attributes. No ``style`` attribute and no
  ``<style>`` element anywhere: the site's Content-Security-Policy forbids inline styles.
- A ``viewBox`` and ``width="100%"``: the chart scales to its column and the browser derives the
  height. The bar charts are laid out for a narrow box (360 units), with each label on its own
  line above its bar, so their text stays legible on a 320 px phone; the page's stylesheet
  should cap the width on wide screens, or the text grows with the chart (at 30rem it is about
  the size of body text), and keep a chart on one printed page (``break-inside: avoid``).
- Colors that survive color-blindness and black-and-white printing: the categories use the
  Okabe-Ito colors that reach 3:1 against white, and every category after the first also gets a
  pattern (hatching, dots, cross-hatching, lines); the sequential map scale is a single-hue
  blue ramp (lightness alone carries it in gray), and the diverging one runs orange (more
  oppose, also hatched) to blue (more support), so its sign survives printing. Outlines and
  axes are dark gray (7:1). Patterns hold only their marks, painted over a solid fill, because a
  pattern tile with its own background shows seams in PDF viewers.

Empty data: with no rows, no days or no shapes there is nothing to draw, and the function
returns an empty ``Markup`` (falsy), so the template skips the chart and shows its table or a
"no comments yet" sentence instead. Rows whose counts are all zero are drawn, with zero-length
bars and their zeros printed, because then the zero is the information.
"""

import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from markupsafe import Markup

NumberFormat = Callable[[float], str]
Mark = Literal["solid", "hatch", "dots", "cross", "lines"]

#: Width of the bar charts' viewBox, small enough that text stays readable on a phone.
WIDTH = 360
#: The box the map is fitted into, in viewBox units (its longer side sets the scale).
MAP_WIDTH = 352
MAP_HEIGHT = 520
PAD = 4
FONT_SIZE = 14
SMALL_FONT_SIZE = 12
LINE_HEIGHT = 18
BAR_HEIGHT = 18
ROW_GAP = 10
#: Roughly how wide a character is, in ems, for laying out labels without font metrics. A bit
#: wide for most sans-serif fonts, so a label never runs into its neighbor.
CHAR_WIDTH = 0.6

INK = "#1b1b1b"
#: Axes, outlines and tick marks: 7:1 against white.
OUTLINE = "#595959"
GRID = "#d4d4d4"

#: The Okabe-Ito colors with at least 3:1 contrast against white (WCAG 1.4.11): blue 5.2,
#: vermillion 3.9, bluish green 3.4, reddish purple 3.1, black. Orange, sky blue and yellow
#: fall below 3:1 and are left out.
CATEGORY_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000")
#: The mark each category wears, so that categories differ in gray print too.
CATEGORY_MARKS: tuple[Mark, ...] = ("solid", "hatch", "dots", "cross", "lines")

#: Counted comments, light to dark: one blue hue, so gray print keeps the order.
SEQUENTIAL = ("#e4eef8", "#abcbe7", "#6a9fd0", "#2f6aa8", "#0c3b70")
#: Support share minus oppose share, from -1 (all oppose) to 1 (all support): orange to blue
#: through a near-white middle. Orange and blue stay apart for every common color-vision
#: deficiency; the oppose side is hatched as well, since the two halves have the same lightness.
DIVERGING = ("#8a3c00", "#cf6a1a", "#f2bb8a", "#f2f2f2", "#a8c8e6", "#5b97cc", "#1d5a99")
DIVERGING_MARKS: tuple[Mark, ...] = ("hatch", "hatch", "hatch", "solid", "solid", "solid", "solid")
#: Neighborhoods without data: light gray, cross-hatched, unlike any value.
NO_DATA = ("#dcdcdc", "cross")

#: Douglas-Peucker tolerance for the map, in viewBox units: well under a pixel at 600 px.
SIMPLIFY_TOLERANCE = 0.35

_generated_ids = itertools.count(1)
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain_number(value: float) -> str:
    """Digits without grouping: the default for ``number_format``."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


# -- Public charts -------------------------------------------------------------------------------


def bars(
    title: str,
    description: str,
    rows: Sequence[tuple[str, float]],
    *,
    chart_id: str | None = None,
    number_format: NumberFormat = plain_number,
) -> Markup:
    """Horizontal bars, one per row, its label above it and its number after it.

    Raises:
        ValueError: a count is negative, or ``chart_id`` is not a valid id.
    """
    if not rows:
        return Markup()
    _check_counts(value for _, value in rows)
    drawing = _Drawing(chart_id)
    numbers = [number_format(value) for _, value in rows]
    track = _track(numbers)
    top = max(value for _, value in rows) or 1
    fill = _category(0)
    y = PAD
    for (label, value), number in zip(rows, numbers, strict=True):
        lines = _wrap(label, WIDTH - 2 * PAD, FONT_SIZE)
        bar_y = y + len(lines) * LINE_HEIGHT + 2
        end = PAD + track * value / top
        drawing.add(
            Markup('<g class="bar"><title>{}</title>').format(_label_and_number(label, number)),
            *_text_lines(lines, PAD, y),
            _axis_tick(bar_y),
            drawing.rect(PAD, bar_y, end - PAD, BAR_HEIGHT, fill) if value else Markup(),
            _text(end + PAD, _middle(bar_y, BAR_HEIGHT), number),
            Markup("</g>"),
        )
        y = bar_y + BAR_HEIGHT + ROW_GAP
    return drawing.svg("bars", title, description, y - ROW_GAP + PAD)


def stacked_bars(
    title: str,
    description: str,
    series: Sequence[str],
    rows: Sequence[tuple[str, Sequence[float]]],
    *,
    chart_id: str | None = None,
    number_format: NumberFormat = plain_number,
) -> Markup:
    """One horizontal bar per row, split into the series, on one scale so totals compare.

    A legend of the series comes first. Each bar's total is printed after it, and each
    segment's count inside it when it fits (on a white label, legible over any fill or pattern);
    every segment's count is also in its tooltip and, of course, in the data table.

    Raises:
        ValueError: a row has not one count per series, a count is negative, or ``chart_id``
            is not a valid id.
    """
    if not rows or not series:
        return Markup()
    for label, counts in rows:
        if len(counts) != len(series):
            raise ValueError(f"row {label!r} has {len(counts)} counts for {len(series)} series")
        _check_counts(counts)
    drawing = _Drawing(chart_id)
    fills = [_category(i) for i in range(len(series))]
    y = _legend_row(drawing, list(zip(series, fills, strict=True)), PAD) + ROW_GAP
    totals = [sum(counts) for _, counts in rows]
    total_texts = [number_format(total) for total in totals]
    track = _track(total_texts)
    top = max(totals) or 1
    for (label, counts), total_text in zip(rows, total_texts, strict=True):
        lines = _wrap(label, WIDTH - 2 * PAD, FONT_SIZE)
        bar_y = y + len(lines) * LINE_HEIGHT + 2
        drawing.add(
            Markup('<g class="bar"><title>{}</title>').format(_label_and_number(label, total_text)),
            *_text_lines(lines, PAD, y),
            _axis_tick(bar_y),
        )
        running = 0.0
        for name, count, fill in zip(series, counts, fills, strict=True):
            if not count:
                continue
            start = PAD + track * running / top
            running += count
            end = PAD + track * running / top
            number = number_format(count)
            drawing.add(
                Markup('<g class="segment"><title>{}</title>').format(
                    _label_and_number(f"{label}, {name}", number)
                ),
                drawing.rect(start, bar_y, end - start, BAR_HEIGHT, fill, stroke="#fff"),
                _inside_label(start, end, bar_y, number),
                Markup("</g>"),
            )
        drawing.add(
            _text(PAD + track * running / top + PAD, _middle(bar_y, BAR_HEIGHT), total_text),
            Markup("</g>"),
        )
        y = bar_y + BAR_HEIGHT + ROW_GAP
    return drawing.svg("stacked-bars", title, description, y - ROW_GAP + PAD)


def columns_by_day(
    title: str,
    description: str,
    days: Sequence[tuple[str, float]],
    *,
    chart_id: str | None = None,
    number_format: NumberFormat = plain_number,
) -> Markup:
    """Vertical columns in the order given, one per day, with a labelled count axis.

    The labels are the caller's formatted dates. When they would collide, only every n-th
    day is labelled (n chosen so labels keep a gap), starting with the first; every column
    keeps its own tooltip.

    Raises:
        ValueError: a count is negative, or ``chart_id`` is not a valid id.
    """
    if not days:
        return Markup()
    _check_counts(value for _, value in days)
    drawing = _Drawing(chart_id)
    step, top = _nice_scale(max(value for _, value in days))
    ticks = [step * i for i in range(round(top / step) + 1)]
    tick_texts = [number_format(tick) for tick in ticks]
    left = PAD + _widest(tick_texts, SMALL_FONT_SIZE) + 6
    right = WIDTH - PAD
    plot_top = PAD + SMALL_FONT_SIZE / 2
    plot_height = 180
    bottom = plot_top + plot_height
    for tick, text in zip(ticks, tick_texts, strict=True):
        y = bottom - plot_height * tick / top
        drawing.add(
            _line(left, y, right, y, OUTLINE if tick == 0 else GRID),
            _text(left - 4, _middle(y, 0, SMALL_FONT_SIZE), text, SMALL_FONT_SIZE, anchor="end"),
        )
    pitch = (right - left) / len(days)
    width = max(pitch * 0.75, 0.5)
    label_width = _widest([label for label, _ in days], SMALL_FONT_SIZE) + 8
    every = max(1, math.ceil(label_width / pitch))
    labelled_up_to = -math.inf
    fill = _category(0)
    for index, (label, value) in enumerate(days):
        x = left + pitch * index + (pitch - width) / 2
        height = plot_height * value / top
        centre = x + width / 2
        drawing.add(
            Markup('<g class="column"><title>{}</title>').format(
                _label_and_number(label, number_format(value))
            ),
            # An invisible full-height target, so short and zero columns have a tooltip too.
            Markup(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="none" pointer-events="all"/>'
            ).format(_n(left + pitch * index), _n(plot_top), _n(pitch), _n(plot_height)),
            drawing.rect(x, bottom - height, width, height, fill) if value else Markup(),
            Markup("</g>"),
        )
        half = label_width / 2
        x_label = min(max(centre, PAD + half), WIDTH - PAD - half)
        # Near the right edge a label is pushed left, and may then meet the one before it.
        if index % every == 0 and x_label - half >= labelled_up_to:
            labelled_up_to = x_label + half
            drawing.add(
                _line(centre, bottom, centre, bottom + 4, OUTLINE),
                _text(x_label, bottom + 6 + SMALL_FONT_SIZE, label, SMALL_FONT_SIZE, "middle"),
            )
    return drawing.svg("columns", title, description, bottom + 10 + SMALL_FONT_SIZE + PAD)


def choropleth(
    title: str,
    description: str,
    shapes: Mapping[str, Mapping[str, Any]],
    names: Mapping[str, str],
    values: Mapping[str, float | None],
    *,
    scale: Literal["sequential", "diverging"],
    legend: Sequence[str],
    no_data: str,
    domain: tuple[float, float] | None = None,
    chart_id: str | None = None,
    number_format: NumberFormat = plain_number,
) -> Markup:
    """A map of neighborhoods, each filled by its value's class, with a legend below.

    ``shapes`` maps a neighborhood's slug to its GeoJSON geometry (Polygon or MultiPolygon, WGS
    84 longitude/latitude); ``names`` gives the name shown in its tooltip (the slug if missing);
    ``values`` its number, where ``None`` (or a missing slug) means no data, drawn
    cross-hatched gray and labelled ``no_data`` in the tooltip and the legend.

    ``scale="sequential"`` is for counted comments: five classes of blue from the bottom to the
    top of ``domain``, by default from 0 to the largest value. ``scale="diverging"`` is for the
    support share minus the oppose share: seven classes over ``domain``, by default -1 to 1,
    with the middle class for "about even". Values outside the domain take the end classes.

    ``legend`` labels are spread evenly under the color ramp, the first at its left end (the
    bottom of the domain) and the last at its right end; format them to match the domain, e.g.
    ``[format_decimal(0), format_decimal(largest)]`` or
    ``["All oppose", "Even", "All support"]``.

    The projection is equirectangular with the longitudes shrunk by the cosine of the middle
    latitude, which is true to shape at a city's scale, fitted to the box; outlines are
    simplified below the width of a pixel and rounded to a tenth of a unit, which brings the
    City's 87 neighborhoods (900 KB of GeoJSON) down to about 17 KB of SVG, drawn in some 60 ms.

    Raises:
        ValueError: a geometry is not a Polygon or MultiPolygon, the domain is empty, or
            ``chart_id`` is not a valid id.
    """
    outlines = {slug: _polygons(geometry) for slug, geometry in shapes.items()}
    if not outlines:
        return Markup()
    numbers = {
        slug: value
        for slug in outlines
        if (value := values.get(slug)) is not None and not math.isnan(value)
    }
    if domain is None:
        domain = (
            (0.0, max(numbers.values(), default=0) or 1.0) if scale == "sequential" else (-1, 1)
        )
    low, high = domain
    if not high > low:
        raise ValueError(f"empty domain {domain!r}")
    classes = (
        list(zip(SEQUENTIAL, ["solid"] * len(SEQUENTIAL), strict=True))
        if scale == "sequential"
        else list(zip(DIVERGING, DIVERGING_MARKS, strict=True))
    )
    fills = [_Fill(color, mark) for color, mark in classes]
    missing = _Fill(*NO_DATA)
    drawing = _Drawing(chart_id)
    project, map_height = _fit(outlines.values())

    groups: dict[_Fill, list[Markup]] = {}
    for slug in sorted(outlines, key=lambda slug: names.get(slug, slug)):
        name = names.get(slug, slug)
        value = numbers.get(slug)
        if value is None:
            fill, number = missing, no_data
        else:
            position = (value - low) / (high - low) * len(fills)
            fill, number = (
                fills[min(len(fills) - 1, max(0, math.floor(position)))],
                number_format(value),
            )
        path = _path_data(outlines[slug], project)
        groups.setdefault(fill, []).append(
            Markup('<path d="{}"><title>{}</title></path>').format(
                path, _label_and_number(name, number)
            )
        )
    drawing.add(
        Markup(
            '<g class="areas" stroke="{}" stroke-width="0.5" stroke-linejoin="round" '
            'fill-rule="evenodd">'
        ).format(OUTLINE)
    )
    for index, (fill, paths) in enumerate(groups.items()):
        group_id = f"{drawing.id}-areas-{index}"
        drawing.add(
            Markup('<g fill="{}"><g id="{}">').format(fill.color, group_id),
            *paths,
            Markup("</g></g>"),
        )
        if fill.mark != "solid":
            drawing.add(
                Markup('<use href="#{}" fill="{}" stroke="none" pointer-events="none"/>').format(
                    group_id, drawing.marks(fill)
                )
            )
    drawing.add(Markup("</g>"))

    y = _legend_ramp(drawing, fills, legend, PAD + map_height + 16)
    if missing in groups:
        y = _legend_row(drawing, [(no_data, missing)], y + 8)
    return drawing.svg("map", title, description, y + PAD)


# -- Drawing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fill:
    color: str
    mark: Mark = "solid"


class _Drawing:
    """One chart being drawn: its id, its elements, and the patterns they use."""

    def __init__(self, chart_id: str | None) -> None:
        if chart_id is None:
            chart_id = f"chart-{next(_generated_ids)}"
        elif not _ID.match(chart_id):
            raise ValueError(
                f"{chart_id!r} is not a valid id (a letter, then letters, digits, -, _)"
            )
        self.id = chart_id
        self.parts: list[Markup] = []
        self.patterns: dict[str, Markup] = {}

    def add(self, *parts: Markup) -> None:
        self.parts.extend(parts)

    def marks(self, fill: _Fill) -> str:
        """A ``fill`` value that paints the fill's marks (hatching, dots...) with no background."""
        pattern_id = f"{self.id}-{fill.mark}-{fill.color.lstrip('#').lower()}"
        if pattern_id not in self.patterns:
            self.patterns[pattern_id] = _pattern(pattern_id, fill)
        return f"url(#{pattern_id})"

    def rect(
        self, x: float, y: float, width: float, height: float, fill: _Fill, stroke: str = "none"
    ) -> Markup:
        """A rectangle in a fill: its color, then its marks over it, then its outline on top."""
        box = Markup('x="{}" y="{}" width="{}" height="{}"').format(
            _n(x), _n(y), _n(width), _n(height)
        )
        if fill.mark == "solid":
            return Markup('<rect {} fill="{}" stroke="{}"/>').format(box, fill.color, stroke)
        return Markup(
            '<rect {box} fill="{color}"/>'
            '<rect {box} fill="{marks}" stroke="{stroke}" pointer-events="none"/>'
        ).format(box=box, color=fill.color, marks=self.marks(fill), stroke=stroke)

    def svg(self, kind: str, title: str, description: str, height: float) -> Markup:
        defs = (
            Markup("<defs>{}</defs>").format(Markup("").join(self.patterns.values()))
            if self.patterns
            else Markup()
        )
        return Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" id="{id}" class="chart chart-{kind}" '
            'viewBox="0 0 {width} {height}" width="100%" role="img" '
            'aria-labelledby="{id}-title {id}-desc" font-size="{size}" fill="{ink}">'
            '<title id="{id}-title">{title}</title><desc id="{id}-desc">{description}</desc>'
            "{defs}{body}</svg>"
        ).format(
            id=self.id,
            kind=kind,
            width=WIDTH,
            height=_n(math.ceil(height)),
            size=FONT_SIZE,
            ink=INK,
            title=_clean(title),
            description=_clean(description),
            defs=defs,
            body=Markup("").join(self.parts),
        )


def _category(index: int) -> _Fill:
    return _Fill(
        CATEGORY_COLORS[index % len(CATEGORY_COLORS)], CATEGORY_MARKS[index % len(CATEGORY_MARKS)]
    )


def _pattern(pattern_id: str, fill: _Fill) -> Markup:
    """A 6-unit tile of marks in a darker (or, on black, lighter) shade of the fill's color."""
    ink = _mix(fill.color, "#ffffff" if _luminance(fill.color) < 0.05 else "#000000", 0.55)
    marks = {
        "hatch": Markup('<path d="M-1 1l2-2M0 6l6-6M5 7l2-2" stroke="{}" stroke-width="1.5"/>'),
        "cross": Markup(
            '<path d="M-1 1l2-2M0 6l6-6M5 7l2-2M-1 5l2 2M0 0l6 6M5-1l2 2" stroke="{}" '
            'stroke-width="1"/>'
        ),
        "dots": Markup('<circle cx="3" cy="3" r="1.4" fill="{}"/>'),
        "lines": Markup('<path d="M0 3h6" stroke="{}" stroke-width="1.5"/>'),
    }[fill.mark].format(ink)
    return Markup(
        '<pattern id="{}" patternUnits="userSpaceOnUse" width="6" height="6">{}</pattern>'
    ).format(pattern_id, marks)


def _legend_row(drawing: _Drawing, items: Sequence[tuple[str, _Fill]], y: float) -> float:
    """Swatches with their names, flowing onto new lines; returns the bottom of the last line."""
    swatch = 14
    x = PAD
    for name, fill in items:
        width = swatch + 6 + _text_width(name, FONT_SIZE)
        if x > PAD and x + width > WIDTH - PAD:
            x, y = PAD, y + LINE_HEIGHT + 4
        drawing.add(
            drawing.rect(x, y + 2, swatch, swatch, fill, stroke=OUTLINE),
            _text(x + swatch + 6, _middle(y + 2, swatch), name),
        )
        x += width + 16
    return y + LINE_HEIGHT


def _legend_ramp(
    drawing: _Drawing, fills: Sequence[_Fill], labels: Sequence[str], y: float
) -> float:
    """The color classes side by side, with the labels spread evenly under them."""
    left, width, height = PAD, WIDTH - 2 * PAD, 14
    step = width / len(fills)
    for index, fill in enumerate(fills):
        drawing.add(drawing.rect(left + step * index, y, step, height, fill))
    drawing.add(
        Markup('<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="{}"/>').format(
            _n(left), _n(y), _n(width), _n(height), OUTLINE
        )
    )
    y += height
    bottom = y
    count = len(labels)
    for index, (label, room) in enumerate(zip(labels, _label_rooms(labels, width), strict=True)):
        if count == 1:
            x, anchor = left + width / 2, "middle"
        else:
            x = left + width * index / (count - 1)
            anchor = "start" if index == 0 else "end" if index == count - 1 else "middle"
        drawing.add(_line(x, y, x, y + 4, OUTLINE))
        lines = _wrap(label, room, FONT_SIZE)
        drawing.add(*_text_lines(lines, x, y + 4, anchor))
        bottom = max(bottom, y + 4 + len(lines) * LINE_HEIGHT)
    return bottom


def _label_rooms(labels: Sequence[str], width: float) -> list[float]:
    """How wide each of the evenly spread legend labels may be before it wraps.

    The first label grows rightwards from the left end, the last one leftwards from the right
    end, and the others both ways from their tick. Between two neighbors, each may take at
    least half the gap, and more when the other needs less.
    """
    count = len(labels)
    if count < 2:
        return [width] * count
    gap = width / (count - 1)
    wanted = [_text_width(label, FONT_SIZE) for label in labels]

    def reach(index: int) -> float:
        """How far a label extends towards its neighbors, if it stays on one line."""
        return wanted[index] if index in (0, count - 1) else wanted[index] / 2

    def share(index: int, neighbor: int) -> float:
        return max(gap / 2 - 4, gap - 8 - reach(neighbor))

    rooms = [share(0, 1), *([0.0] * (count - 2)), share(count - 1, count - 2)]
    for index in range(1, count - 1):
        rooms[index] = 2 * min(share(index, index - 1), share(index, index + 1))
    return rooms


def _track(numbers: Sequence[str]) -> float:
    """The length of the longest bar: the width left once the widest number has its room."""
    return max(WIDTH - 3 * PAD - _widest(numbers, FONT_SIZE), WIDTH / 2)


def _axis_tick(y: float) -> Markup:
    """The start of a bar: shows where zero is, even when the bar has no length."""
    return _line(PAD, y - 2, PAD, y + BAR_HEIGHT + 2, OUTLINE, 1.5)


def _inside_label(start: float, end: float, y: float, number: str) -> Markup:
    """A segment's count on a small white label, if the segment is wide enough to hold it."""
    width = _text_width(number, SMALL_FONT_SIZE) + 6
    if end - start < width + 4:
        return Markup()
    centre = (start + end) / 2
    return Markup(
        '<rect x="{}" y="{}" width="{}" height="{}" rx="3" fill="#fff" pointer-events="none"/>'
    ).format(_n(centre - width / 2), _n(y + 2), _n(width), _n(BAR_HEIGHT - 4)) + _text(
        centre, _middle(y, BAR_HEIGHT, SMALL_FONT_SIZE), number, SMALL_FONT_SIZE, "middle"
    )


def _text(x: float, y: float, content: str, size: int = FONT_SIZE, anchor: str = "start") -> Markup:
    size_attribute = Markup("") if size == FONT_SIZE else Markup(' font-size="{}"').format(size)
    anchor_attribute = (
        Markup("") if anchor == "start" else Markup(' text-anchor="{}"').format(anchor)
    )
    return Markup('<text x="{}" y="{}"{}{}>{}</text>').format(
        _n(x), _n(y), size_attribute, anchor_attribute, _clean(content)
    )


def _text_lines(lines: Sequence[str], x: float, top: float, anchor: str = "start") -> list[Markup]:
    """Lines of text under ``top``, one ``<text>`` each (simple for every SVG renderer)."""
    return [
        _text(x, top + LINE_HEIGHT * index + FONT_SIZE, line, anchor=anchor)
        for index, line in enumerate(lines)
    ]


def _line(x1: float, y1: float, x2: float, y2: float, color: str, width: float = 1) -> Markup:
    return Markup('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="{}"/>').format(
        _n(x1), _n(y1), _n(x2), _n(y2), color, _n(width)
    )


# -- Text and numbers ----------------------------------------------------------------------------


def _label_and_number(label: str, number: str) -> str:
    return _clean(f"{label}: {number}")


def _clean(text: str) -> str:
    """Text without control characters, which no XML document may contain, even escaped."""
    return _CONTROL_CHARACTERS.sub("", str(text))


def _text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_WIDTH


def _widest(texts: Iterable[str], size: float) -> float:
    return max((_text_width(text, size) for text in texts), default=0)


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Words in lines no wider than ``width`` (a single long word gets a line of its own)."""
    lines: list[str] = []
    line = ""
    for word in _clean(text).split():
        candidate = f"{line} {word}" if line else word
        if line and _text_width(candidate, size) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line] if line or not lines else lines


def _middle(top: float, height: float, size: float = FONT_SIZE) -> float:
    """The baseline that centers a line of text of ``size`` on a band."""
    return top + height / 2 + size * 0.35


def _n(value: float) -> str:
    """A coordinate with at most one decimal: a tenth of a unit is finer than any screen."""
    text = f"{value:.1f}"
    text = text[:-2] if text.endswith(".0") else text
    return "0" if text == "-0" else text


def _check_counts(values: Iterable[float]) -> None:
    if any(value < 0 for value in values):
        raise ValueError("counts cannot be negative")


def _nice_scale(maximum: float, ticks: int = 4) -> tuple[float, float]:
    """A round step (1, 2 or 5 times a power of ten, at least 1) and the axis top it gives."""
    if maximum <= 0:
        return 1, 1
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(step, 1)
    return step, math.ceil(maximum / step) * step


# -- Colors --------------------------------------------------------------------------------------


def _rgb(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _luminance(color: str) -> float:
    """Relative luminance as WCAG defines it, for contrast ratios."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(channel) for channel in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colors (1 to 21)."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _mix(color: str, other: str, amount: float) -> str:
    mixed = (round(a + (b - a) * amount) for a, b in zip(_rgb(color), _rgb(other), strict=True))
    return "#" + "".join(f"{channel:02x}" for channel in mixed)


# -- Maps ----------------------------------------------------------------------------------------

Ring = list[tuple[float, float]]
Polygon = list[Ring]
Projection = Callable[[float, float], tuple[float, float]]


def _polygons(geometry: Mapping[str, Any]) -> list[Polygon]:
    """The polygons of a GeoJSON Polygon or MultiPolygon, each a list of rings of (lon, lat)."""
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        polygons = [coordinates]
    elif kind == "MultiPolygon":
        polygons = coordinates
    else:
        raise ValueError(f"a map shape must be a Polygon or MultiPolygon, not {kind!r}")
    return [
        [[(float(point[0]), float(point[1])) for point in ring] for ring in polygon]
        for polygon in polygons or []
    ]


def _fit(outlines: Iterable[list[Polygon]]) -> tuple[Projection, float]:
    """An equirectangular projection of all the outlines into the map box, and its height.

    Longitudes are multiplied by the cosine of the middle latitude, so that a kilometre east
    is as long as a kilometre north; the result is centered horizontally in the chart.
    """
    points = [
        point for polygons in outlines for polygon in polygons for ring in polygon for point in ring
    ]
    if not points:
        return (lambda lon, lat: (0.0, 0.0)), 0.0
    west = min(lon for lon, _ in points)
    east = max(lon for lon, _ in points)
    south = min(lat for _, lat in points)
    north = max(lat for _, lat in points)
    shrink = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * shrink, 1e-9)
    span_y = max(north - south, 1e-9)
    scale = min(MAP_WIDTH / span_x, MAP_HEIGHT / span_y)
    offset = (WIDTH - span_x * scale) / 2

    def project(lon: float, lat: float) -> tuple[float, float]:
        return offset + (lon - west) * shrink * scale, PAD + (north - lat) * scale

    return project, span_y * scale


def _path_data(polygons: list[Polygon], project: Projection) -> str:
    """SVG path data for the polygons: simplified, in tenths of a unit, relative after each M.

    Rings that shrink below three points vanish, except a polygon's outer ring, which is then
    kept unsimplified so that no neighborhood disappears from the map.
    """
    commands = []
    for polygon in polygons:
        for index, ring in enumerate(polygon):
            projected = [project(lon, lat) for lon, lat in ring]
            tenths = _quantized(_simplify_ring(projected))
            if len(tenths) < 3 and index == 0:
                tenths = _quantized(projected)
            if len(tenths) < 3:
                continue
            commands.append(_ring_commands(tenths))
    return "".join(commands)


def _quantized(ring: Ring) -> list[tuple[int, int]]:
    """The ring in whole tenths of a unit, without repeated points or the closing point."""
    points: list[tuple[int, int]] = []
    for x, y in ring:
        point = (round(x * 10), round(y * 10))
        if not points or point != points[-1]:
            points.append(point)
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    return points


def _ring_commands(points: list[tuple[int, int]]) -> str:
    (x0, y0), rest = points[0], points[1:]
    deltas: list[int] = []
    previous = (x0, y0)
    for point in rest:
        deltas += [point[0] - previous[0], point[1] - previous[1]]
        previous = point
    return f"M{_numbers([x0, y0])}l{_numbers(deltas)}z"


def _numbers(tenths: Sequence[int]) -> str:
    """Numbers for path data, separated by a space unless a minus sign already separates them."""
    text = ""
    for value in tenths:
        number = _tenth(value)
        text += number if not text or number.startswith("-") else " " + number
    return text


def _tenth(value: int) -> str:
    sign = "-" if value < 0 else ""
    whole, tenth = divmod(abs(value), 10)
    return f"{sign}{whole}" if tenth == 0 else f"{sign}{whole}.{tenth}"


def _simplify_ring(ring: Ring) -> Ring:
    """Douglas-Peucker for a closed ring: split it at the point farthest from its start."""
    if len(ring) < 4:
        return ring
    x0, y0 = ring[0]
    far = max(range(len(ring)), key=lambda i: (ring[i][0] - x0) ** 2 + (ring[i][1] - y0) ** 2)
    if far in (0, len(ring) - 1):
        return ring
    return _simplify(ring[: far + 1]) + _simplify(ring[far:])[1:]


def _simplify(points: Ring, tolerance: float = SIMPLIFY_TOLERANCE) -> Ring:
    """Douglas-Peucker: keep the ends, and every point farther than ``tolerance`` from the chord.

    Iterative, so a long outline can't exhaust the recursion limit.
    """
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    pending = [(0, len(points) - 1)]
    limit = tolerance * tolerance
    while pending:
        first, last = pending.pop()
        ax, ay = points[first]
        dx, dy = points[last][0] - ax, points[last][1] - ay
        chord = dx * dx + dy * dy
        farthest, distance = -1, limit
        for i in range(first + 1, last):
            px, py = points[i][0] - ax, points[i][1] - ay
            d = (dx * py - dy * px) ** 2 / chord if chord else px * px + py * py
            if d > distance:
                farthest, distance = i, d
        if farthest > 0:
            keep[farthest] = True
            pending += [(first, farthest), (farthest, last)]
    return [point for point, kept in zip(points, keep, strict=True) if kept]
