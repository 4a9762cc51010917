"""Bad area geometry is refused with a message and a pointer; good areas pass."""

from chalicelib.domain.areas import DRAWN_MAX_POSITIONS, checked_area, outside_boundary
from chalicelib.domain.projection import shape_of

SQUARE = [[-2.2, 52.7], [-2.0, 52.7], [-2.0, 52.9], [-2.2, 52.9], [-2.2, 52.7]]  # anticlockwise
HOLE = [[-2.15, 52.75], [-2.15, 52.85], [-2.05, 52.85], [-2.05, 52.75], [-2.15, 52.75]]  # clockwise
BOUNDARY = shape_of({"type": "Polygon", "coordinates": [[[-3, 52], [-1, 52], [-1, 54], [-3, 54], [-3, 52]]]})


def problems(geometry: dict) -> dict[str, str]:  # type: ignore[type-arg]
    _, errors = checked_area(geometry, "/features/0/geometry", max_positions=DRAWN_MAX_POSITIONS)
    return {e.pointer: e.message for e in errors}


def test_a_square_with_a_hole_and_a_multipolygon_are_fine() -> None:
    assert problems({"type": "Polygon", "coordinates": [SQUARE, HOLE]}) == {}
    shifted = [[x + 0.5, y] for x, y in SQUARE]
    assert problems({"type": "MultiPolygon", "coordinates": [[SQUARE], [shifted]]}) == {}


def test_an_open_ring_is_refused() -> None:
    assert "not closed" in problems({"type": "Polygon", "coordinates": [SQUARE[:-1]]})[
        "/features/0/geometry/coordinates/0"]


def test_rings_either_way_round_are_accepted_and_come_back_by_the_right_hand_rule() -> None:
    backwards = {"type": "Polygon", "coordinates": [list(reversed(SQUARE)), list(reversed(HOLE))]}
    assert problems(backwards) == {}
    normalised, errors = checked_area(backwards, "/features/0/geometry", max_positions=DRAWN_MAX_POSITIONS)
    assert errors == [] and normalised == {"type": "Polygon", "coordinates": [SQUARE, HOLE]}


def test_a_self_intersecting_bow_tie_is_refused() -> None:
    bow_tie = [[-2.2, 52.7], [-2.0, 52.9], [-2.0, 52.7], [-2.2, 52.9], [-2.2, 52.7]]
    found = problems({"type": "Polygon", "coordinates": [bow_tie]})
    assert any("crosses" in message for message in found.values())


def test_too_few_positions_are_refused() -> None:
    assert "four positions" in problems({"type": "Polygon", "coordinates": [SQUARE[:3]]})[
        "/features/0/geometry/coordinates/0"]


def test_an_area_outside_the_organisation_is_found_and_where() -> None:
    far = [[x + 2.0, y] for x, y in SQUARE]  # east of the boundary
    assert problems({"type": "Polygon", "coordinates": [far]}) == {}  # a valid area in itself
    lat, lng = outside_boundary(shape_of({"type": "Polygon", "coordinates": [far]}), BOUNDARY) or (0.0, 0.0)
    assert 52.7 <= lat <= 52.9 and lng > -1
    assert outside_boundary(shape_of({"type": "Polygon", "coordinates": [SQUARE]}), BOUNDARY) is None
