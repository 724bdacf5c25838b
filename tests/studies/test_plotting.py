"""studies.plotting: captions wrapped to the figure width, the figure made taller by the added lines."""

import matplotlib.image as mpimg

from a3c_theory.studies import plotting

LONG = ("Rule: E(N) = Speedup(N)/N; 95% bootstrap CI over seeds: above 0.75 -> linear, below -> sub-linear, "
        "else undetermined. Markers (round-robin, fixed c_α): filled = linear, hollow = undetermined, x = sub-linear; "
        "solid: round-robin delays, fixed c_α (bars: 95% CI); dotted: tuned c_α; dash-dot: exponential compute times")


def _saved(tmp_path, note: str):
    with plotting.styled():
        fig, axes = plotting.new_figure(1, 2, 6.0, 3.0)
        axes[0, 0].plot([0, 1], [0, 1])
        plotting.save(fig, tmp_path / "f.png", "a short title", note)
    return fig


def test_a_long_caption_is_wrapped_inside_the_figure_and_the_figure_grows_to_fit(tmp_path):
    fig = _saved(tmp_path, LONG)
    caption = fig.get_suptitle()
    assert caption.replace("\n", " ") == "a short title " + LONG  # every word kept, only line breaks added
    renderer = fig.canvas.get_renderer()
    box = fig._suptitle.get_window_extent(renderer)
    assert 0 <= box.x0 and box.x1 <= fig.bbox.width  # nothing cut at either edge
    lines = caption.count("\n") + 1
    assert lines >= 4
    assert fig.get_figheight() > 3.0 + (lines - 2) * 9.5 / 72  # one line of height per added line
    assert mpimg.imread(tmp_path / "f.png").shape[0] == round(fig.get_figheight() * 110)


def test_a_caption_that_fits_is_left_as_it_is(tmp_path):
    fig = _saved(tmp_path, "means over seeds")
    assert fig.get_suptitle() == "a short title\nmeans over seeds"
    assert fig.get_figheight() == 3.0
