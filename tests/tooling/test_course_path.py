"""The landing page's course-path figure: every chapter on it, readable, the same bytes every run."""

from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from neuronlab.tools import course_path

ROOT = Path(__file__).resolve().parents[2]


def _drawn(ready=None) -> Figure:
    figure = Figure(figsize=(course_path.FIGURE_WIDTH, 1.0))
    FigureCanvasAgg(figure)
    ax = figure.add_axes((0, 0, 1, 1))
    course_path.draw_course_path(ax, ready=ready)
    low, high = ax.get_ylim()
    figure.set_size_inches(course_path.FIGURE_WIDTH, high - low)
    figure.canvas.draw()
    return figure


def test_every_chapter_notebook_has_its_station_in_the_figure():
    numbers = [station.number for station in course_path.STATIONS]
    assert numbers == [f"{n:02d}" for n in range(1, 8)], "the stations are the seven chapters, in order"
    chapters = sorted(path.name[:2] for path in (ROOT / "chapters").glob("*.ipynb"))
    assert set(chapters) <= set(numbers), f"chapters with no station on the course path: {set(chapters) - set(numbers)}"
    parts = [number for _, members, _ in course_path.PARTS for number in members]
    assert parts == numbers, "the rows of the figure hold every chapter once, in order"


def test_svg_is_the_same_bytes_on_every_run_and_at_most_seven_inches_wide():
    first, second = course_path.svg(ready=["01", "02"]), course_path.svg(ready=["01", "02"])
    assert first == second
    width = float(re.search(rb'<svg[^>]*\swidth="([\d.]+)pt"', first).group(1))
    assert width <= 7 * 72
    assert b"<dc:date>" not in first, "a date would change the file at every build"
    assert len(first) < 200_000


def test_ready_chapters_are_drawn_solid_and_the_others_dashed():
    assert course_path.svg(ready=["01"]) != course_path.svg()
    assert "Chapter 07 is being written." in course_path.alt_text(ready=[f"{n:02d}" for n in range(1, 7)])
    assert course_path.alt_text(ready=["01", "02", "03"]).endswith("Chapters 04, 05, 06, 07 are being written.")
    assert "being written" not in course_path.alt_text()


def test_alt_text_names_every_chapter_in_order():
    alt = course_path.alt_text()
    positions = [alt.index(f"{station.number}, {station.words}") for station in course_path.STATIONS]
    assert positions == sorted(positions)


@pytest.mark.parametrize("ready", [None, ["01", "02", "03"]])
def test_no_two_labels_overlap_and_all_stay_in_the_figure(ready):
    figure = _drawn(ready)
    renderer = figure.canvas.get_renderer()
    frame = figure.bbox
    texts = [text for text in figure.axes[0].texts if text.get_text().strip()]
    boxes = {text.get_text(): text.get_window_extent(renderer) for text in texts}
    outside = [label for label, box in boxes.items()
               if box.x0 < frame.x0 or box.x1 > frame.x1 or box.y0 < frame.y0 or box.y1 > frame.y1]
    assert not outside, f"labels cut off at the figure's edge: {outside}"
    overlapping = [(a, b) for (a, box_a), (b, box_b) in combinations(boxes.items(), 2)
                   if box_a.overlaps(box_b) and a != "θ" and b != "θ"]
    assert not overlapping, f"labels drawn over each other: {overlapping}"


def test_unknown_ready_chapters_are_refused_by_name():
    with pytest.raises(ValueError, match=r"\['08'\]"):
        course_path.svg(ready=["01", "08"])


def test_write_svg_leaves_an_up_to_date_file_alone(tmp_path):
    target = tmp_path / "static" / "course_path.svg"
    assert course_path.write_svg(target, ready=["01"]) is True
    modified = target.stat().st_mtime_ns
    assert course_path.write_svg(target, ready=["01"]) is False
    assert target.stat().st_mtime_ns == modified
    assert course_path.write_svg(target, ready=["01", "02"]) is True


def test_command_line_writes_the_figure(tmp_path, capsys):
    target = tmp_path / "path.svg"
    assert course_path.main([str(target), "--ready", "01", "02"]) == 0
    assert target.read_bytes() == course_path.svg(ready=["01", "02"])
    assert "path.svg" in capsys.readouterr().out


def test_the_figure_has_the_parts_of_the_sidebar():
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    sidebar = [(part["caption"], tuple(Path(chapter["file"]).name[:2] for chapter in part["chapters"]))
               for part in toc["parts"] if all(c["file"].startswith("chapters/") for c in part["chapters"])]
    assert [(caption, members) for caption, members, _ in course_path.PARTS] == sidebar


def test_a_legend_only_when_a_chapter_is_dashed_and_no_text_under_9_points():
    def texts(ready):
        return [text for text in _drawn(ready).axes[0].texts if text.get_text().strip()]

    assert not any("being written" in text.get_text() for text in texts(None))
    assert any(text.get_text() == "being written" for text in texts(["01", "02"]))
    small = [text.get_text() for text in texts(["01"]) if text.get_fontsize() < 9 and text.get_text() != "θ"]
    assert not small, f"labels under 9 pt: {small}"
