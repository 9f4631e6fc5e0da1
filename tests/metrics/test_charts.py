"""The hand-drawn SVG charts (issue 19): full labels, markers with their delta, a text
alternative, escaped text. Geometry inside the drawing is checked in a real browser
(tests/e2e/test_dashboards.py)."""

from __future__ import annotations

from surveyor.metrics import charts


def test_ticks_are_round_and_inside_the_range() -> None:
    assert charts.nice_ticks(-100, 100) == [-100, -50, 0, 50, 100]
    assert charts.nice_ticks(1, 10) == [2, 4, 6, 8, 10]
    assert charts.nice_ticks(1, 7) == [1, 2, 3, 4, 5, 6, 7]
    assert charts.nice_ticks(0, 100) == [0, 20, 40, 60, 80, 100]


def test_labels_wrap_at_spaces_and_never_cut_a_word() -> None:
    assert charts.wrap("Support case closed", 110) == ["Support case", "closed"]
    assert charts.wrap("Supercalifragilistic", 60) is None  # slanted instead
    assert charts.wrap("a b c d e f g h", 10, most=3) is None


def test_line_chart_draws_full_names_markers_with_deltas_and_a_description() -> None:
    names = ["Signed up", "Onboarding done", "Support case closed", "Renewal <b>"]
    svg = str(
        charts.line_chart(
            charts.Series(
                labels=names,
                values=[7.9, 7.7, None, 8.0],
                intervals=[(7.5, 8.2), (7.4, 8.0), None, (7.7, 8.3)],
            ),
            title="How customers feel",
            summary="Mean feeling from Signed up (7.9) to Renewal (8.0).",
            value_range=(1, 10),
            markers=[
                charts.Marker(
                    position=1, kind="blocker", title="New carrier", delta="feeling -2.4"
                ),
            ],
            full_labels=True,
            column_width=110,
        )
    )
    assert svg.startswith("<svg") and 'role="img"' in svg and "aria-labelledby" in svg
    assert "<desc" in svg and "Mean feeling from Signed up" in svg
    for word in ("Signed up", "Onboarding done", "Support case", "closed"):
        assert word in svg
    assert "Renewal &lt;b&gt;" in svg and "<b>" not in svg  # text is escaped
    assert 'class="marker marker-blocker" data-delta="feeling -2.4"' in svg
    assert "▼ New carrier · feeling -2.4" in svg
    assert svg.count('class="band"') == 3  # two runs of the band and the legend swatch


def test_a_long_marker_title_is_shortened_but_keeps_its_delta() -> None:
    title = "A very long name for a change that would not fit on the flag at all " * 2
    svg = str(
        charts.line_chart(
            charts.Series(labels=["a", "b"], values=[1.0, 2.0], intervals=[None, None]),
            title="t",
            summary="s",
            value_range=(0, 10),
            markers=[charts.Marker(position=0, kind="accelerator", title=title, delta="NPS +3")],
        )
    )
    assert "… · NPS +3" in svg
    assert title.strip() in svg  # the whole title on hover
