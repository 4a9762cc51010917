"""Bad area geometry is refused with a message and a pointer; good areas pass."""

from chalicelib.domain.areas import DRAWN_MAX_POSITIONS, check_geometry, checked_area
from chalicelib.domain.coverage import Area

SQUARE = [[-2.2, 52.7], [-2.0, 52.7], [-2.0, 52.9], [-2.2, 52.9], [-2.2, 52.7]]  # anticlockwise
HOLE = [[-2.15, 52.75], [-2.15, 52.85], [-2.05, 52.85], [-2.05, 52.75], [-2.15, 52.75]]  # clockwise
BOUNDARY = Area.from_geojson({"type": "Polygon", "coordinates": [[[-3, 52], [-1, 52], [-1, 54], [-3, 54], [-3, 52]]]})


def problems(geometry: dict, boundary: Area | None = BOUNDARY) -> dict[str, str]:  # type: ignore[type-arg]
    return {e.pointer: e.message for e in check_geometry(geometry, "/features/0/geometry", boundary)}


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


def test_an_area_outside_the_organisation_is_refused_at_the_first_outside_vertex() -> None:
    far = [[x + 2.0, y] for x, y in SQUARE]  # east of the boundary
    found = problems({"type": "Polygon", "coordinates": [far]})
    assert found == {"/features/0/geometry/coordinates/0/0": "lies outside your organisation's boundary"}
    assert problems({"type": "Polygon", "coordinates": [far]}, boundary=None) == {}
