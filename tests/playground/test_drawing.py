"""drawing.to_mnist: the MNIST recipe (crop, scale larger side to 20 px, centre by mass)."""
import numpy as np
import pytest

from playground.core.drawing import (
    _area_weights,
    centre_of_mass,
    crop_to_ink,
    paste_centred,
    resize_area,
    to_mnist,
)


def ink_box(digit, threshold=0.05):
    rows = np.flatnonzero((digit > threshold).any(axis=1))
    cols = np.flatnonzero((digit > threshold).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def canvas(size=280):
    return np.zeros((size, size), dtype=np.float32)


def test_empty_drawing_gives_zeros():
    out = to_mnist(canvas())
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert not out.any()


def test_faint_noise_below_threshold_counts_as_empty():
    img = canvas()
    img[10, 10] = 0.01
    assert not to_mnist(img).any()


def test_vertical_bar_stays_vertical_and_centred():
    img = canvas()
    img[30:250, 40:62] = 1.0  # tall thin bar near the left edge
    out = to_mnist(img)
    height, width = ink_box(out)
    assert height == 20  # larger side scaled to 20 px
    assert width <= 3  # 22/220 of 20 px: a thin bar
    cy, cx = centre_of_mass(out)
    assert abs(cx - 14) <= 0.5 and abs(cy - 14) <= 0.5
    assert out[4:24, 13:15].mean() > 0.5  # the bar runs down the middle columns
    assert out[:, :10].max() == 0 and out[:, 18:].max() == 0


def test_horizontal_bar_keeps_its_aspect():
    img = canvas()
    img[200:220, 20:180] = 1.0  # 20 x 160: aspect 1:8
    height, width = ink_box(to_mnist(img))
    assert width == 20
    assert height in (2, 3, 4)


@pytest.mark.parametrize("h, w", [(100, 50), (60, 180), (90, 90)])
def test_rectangle_aspect_ratio_is_preserved(h, w):
    img = canvas()
    img[20 : 20 + h, 30 : 30 + w] = 1.0
    bh, bw = ink_box(to_mnist(img), threshold=0.5)
    assert max(bh, bw) == 20
    assert bh / bw == pytest.approx(h / w, rel=0.15)


def test_loop_gives_a_ring():
    yy, xx = np.mgrid[0:280, 0:280]
    r = np.hypot(yy - 100, xx - 180)
    img = ((r > 60) & (r < 80)).astype(np.float32)  # an "0" off to the upper right
    out = to_mnist(img)
    assert out[12:16, 12:16].max() < 0.05  # the hole in the middle is dark
    ring = [out[14, 4], out[14, 23], out[4, 14], out[23, 14]]
    assert min(ring) > 0.5  # the ring passes left, right, top and bottom of the centre
    assert out[0, 0] == 0 and out[27, 27] == 0


def seven(img):
    """A lopsided "7": heavy top bar and a thin diagonal, its mass far from its box centre."""
    img[40:75, 60:230] = 1.0
    for y in range(75, 250):
        x = int(230 - (y - 75) * 0.6)
        img[y, x - 6 : x + 6] = 1.0
    return img


@pytest.mark.parametrize("shift", [(0, 0), (-30, 40), (25, -55)])
def test_centre_of_mass_within_half_a_pixel(shift):
    img = np.roll(seven(canvas()), shift, axis=(0, 1))
    out = to_mnist(img)
    cy, cx = centre_of_mass(out)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5


@pytest.mark.parametrize("seed", range(8))
def test_paste_centres_any_box_sized_digit(seed):
    rng = np.random.default_rng(seed)
    h, w = rng.integers(3, 21, size=2)
    digit = rng.uniform(0, 1, size=(h, w)).astype(np.float32) ** 3  # uneven mass
    field = paste_centred(digit)
    assert field.sum() == pytest.approx(digit.sum(), rel=1e-5)  # nothing cut off
    cy, cx = centre_of_mass(field)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5


def test_ink_pushed_past_the_border_is_cut_not_crashing():
    digit = np.zeros((20, 20), dtype=np.float32)
    digit[0, 0] = 1.0  # all the mass in one corner: the shift is 10 px
    digit[19, 19] = 0.01
    field = paste_centred(digit)
    assert field.shape == (28, 28) and field[13, 13] == 1.0  # its centre, 13.5, is within 0.5
    assert field.sum() == 1.0  # the faint far corner fell outside


def test_output_range_and_peak():
    rng = np.random.default_rng(1)
    img = rng.uniform(0, 3, size=(50, 70)).astype(np.float32)  # out-of-range input is clipped
    img[0, 0] = -5
    out = to_mnist(img)
    assert out.min() >= 0 and out.max() <= 1
    assert out.max() == pytest.approx(1.0)  # MNIST digits reach full white


def test_uint8_input_matches_float_input():
    img = canvas()
    img[50:200, 100:130] = 1.0
    as_bytes = (img * 255).astype(np.uint8)
    np.testing.assert_allclose(to_mnist(as_bytes), to_mnist(img), atol=1e-6)


def test_nan_is_background_and_wrong_rank_is_refused():
    img = canvas(40)
    img[:] = np.nan
    img[10:30, 18:22] = 1.0
    assert np.isfinite(to_mnist(img)).all()
    with pytest.raises(ValueError, match="2-D"):
        to_mnist(np.zeros((28, 28, 3)))


def test_single_dot_is_scaled_up_not_lost():
    img = canvas()
    img[140, 140] = 1.0
    out = to_mnist(img)
    assert ink_box(out) == (20, 20)


def test_area_weights_rows_sum_to_one_and_average_blocks():
    w = _area_weights(10, 4)
    np.testing.assert_allclose(w.sum(axis=1), 1.0)
    img = np.arange(16, dtype=np.float32).reshape(4, 4)
    np.testing.assert_allclose(resize_area(img, (2, 2)), [[2.5, 4.5], [10.5, 12.5]])


def test_crop_and_paste_helpers():
    img = canvas(10)
    assert crop_to_ink(img) is None
    img[2:5, 6:8] = 1
    assert crop_to_ink(img).shape == (3, 2)
    field = paste_centred(np.ones((4, 2), dtype=np.float32))
    assert field.sum() == 8 and centre_of_mass(field) == (14.0, 14.0)
