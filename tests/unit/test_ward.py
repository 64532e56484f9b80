"""Weighted Ward linkage: scipy's Ward for unit weights, repeated points for integer weights."""
import numpy as np
import pytest
from scipy.cluster.hierarchy import dendrogram, fcluster, is_valid_linkage, linkage

from segmentation.errors import InputError
from segmentation.ward import condense_linkage, cut_tree_labels, merged_weights, weighted_ward

# scipy's own example: four L-shaped triples on a square, full of tied distances.
GRID = np.array([[0, 0], [0, 1], [1, 0], [0, 4], [0, 3], [1, 4],
                 [4, 0], [3, 0], [4, 1], [4, 4], [3, 4], [4, 3]], dtype=float)


def _points(seed, m=60, d=3):
    return np.random.default_rng(seed).normal(size=(m, d))


def _same_partition(a, b):
    """True when two label vectors group the items identically, whatever the label numbers."""
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_unit_weights_equal_scipy_ward(seed):
    X = _points(seed)
    Z = weighted_ward(X, np.ones(len(X)))
    expected = linkage(X, "ward")
    np.testing.assert_array_equal(Z[:, [0, 1, 3]], expected[:, [0, 1, 3]])
    np.testing.assert_allclose(Z[:, 2], expected[:, 2], rtol=1e-9, atol=0)
    for k in range(1, len(X) + 1):
        assert _same_partition(cut_tree_labels(Z, k), fcluster(expected, k, "maxclust"))


def test_unit_weights_follow_scipy_through_ties():
    np.testing.assert_allclose(weighted_ward(GRID, np.ones(12)), linkage(GRID, "ward"),
                               rtol=1e-12, atol=0)


def test_integer_weights_equal_ward_on_repeated_points():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(25, 2)) * 10
    w = rng.integers(1, 6, size=25)
    Z = weighted_ward(X, w.astype(float))
    expanded = linkage(np.repeat(X, w, axis=0), "ward")
    # Copies merge at height 0 first; the last m-1 merges join whole points, as Z does.
    assert (expanded[:-(len(X) - 1), 2] == 0).all()
    top = expanded[-(len(X) - 1):]
    np.testing.assert_allclose(Z[:, 2], top[:, 2], rtol=1e-9)
    np.testing.assert_allclose(merged_weights(Z, w), top[:, 3])
    first_copy = np.concatenate([[0], np.cumsum(w)[:-1]])
    for k in range(2, 7):
        assert _same_partition(cut_tree_labels(Z, k),
                               fcluster(expanded, k, "maxclust")[first_copy])


def test_weight_changes_the_first_merge():
    # Unweighted, 0 and 1 are nearest; a light point 2 is cheaper to join to a heavy point 1.
    X = np.array([[0.0], [1.0], [2.2]])
    assert weighted_ward(X, np.ones(3))[0, :2].tolist() == [0, 1]
    Z = weighted_ward(X, np.array([100.0, 100.0, 1.0]))
    assert Z[0, :2].tolist() == [1, 2]
    assert Z[0, 2] == pytest.approx(np.sqrt(2 * 100 / 101) * 1.2)
    assert Z[:, 3].tolist() == [2, 3]
    assert merged_weights(Z, [100, 100, 1]).tolist() == [101, 201]


def test_weighted_blobs_are_recovered_and_usable_by_scipy():
    rng = np.random.default_rng(3)
    blob = np.repeat(np.arange(3), 40)
    centres = np.array([[0, 0], [30, 0], [0, 30]])[blob] + rng.normal(size=(120, 2))
    weights = rng.integers(1, 500, size=120).astype(float)
    Z = weighted_ward(centres, weights)
    assert Z.shape == (119, 4)
    assert is_valid_linkage(Z)
    assert (np.diff(Z[:, 2]) >= 0).all()
    labels = cut_tree_labels(Z, 3)
    assert labels.tolist() == blob.tolist()
    assert _same_partition(labels, fcluster(Z, 3, "maxclust"))
    assert len(dendrogram(Z, no_plot=True)["leaves"]) == 120


def test_same_input_gives_same_linkage():
    X, w = _points(5), np.arange(1, 61, dtype=float)
    np.testing.assert_array_equal(weighted_ward(X, w), weighted_ward(X.copy(), w.copy()))


@pytest.mark.parametrize(("centres", "weights", "message"), [
    (np.ones(4), np.ones(4), "2-D array"),
    (np.ones((4, 0)), np.ones(4), "2-D array"),
    (np.ones((4, 2)), np.ones(3), "one weight per centre"),
    (np.ones((4, 2)), np.ones((4, 1)), "one weight per centre"),
    (np.ones((1, 2)), np.ones(1), "at least 2 centres"),
    (np.array([[0.0, np.nan], [1.0, 1.0]]), np.ones(2), "NaN or infinite"),
    (np.ones((3, 2)), np.array([1.0, 0.0, 2.0]), "greater than 0"),
    (np.ones((3, 2)), np.array([1.0, -1.0, 2.0]), "greater than 0"),
    (np.ones((3, 2)), np.array([1.0, np.inf, 2.0]), "greater than 0"),
    (np.array([[0.0], [1e200]]), np.ones(2), "too large"),
])
def test_bad_points_are_rejected(centres, weights, message):
    with pytest.raises(InputError, match=message):
        weighted_ward(centres, weights)


def test_cut_gives_exactly_k_labels_in_order_of_appearance():
    Z = linkage(GRID, "ward")
    # Tied heights: fcluster cannot stop at 3 clusters, the cut still gives 3.
    assert len(set(fcluster(Z, 3, "maxclust"))) == 2
    assert cut_tree_labels(Z, 3).tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert cut_tree_labels(Z, 1).tolist() == [0] * 12
    assert cut_tree_labels(Z, 12).tolist() == list(range(12))


@pytest.mark.parametrize(("k", "message"), [(0, "between 1 and 12"), (13, "between 1 and 12"),
                                            (2.5, "must be an integer")])
def test_cut_rejects_impossible_k(k, message):
    with pytest.raises(InputError, match=message):
        cut_tree_labels(linkage(GRID, "ward"), k)


def test_cut_rejects_a_matrix_that_is_not_a_linkage():
    bad = linkage(GRID, "ward")
    bad[3, 1] = 20
    with pytest.raises(InputError, match="not a valid scipy linkage"):
        cut_tree_labels(bad, 2)
    unsorted = linkage(GRID, "ward")
    unsorted[0, 2] = 100.0
    with pytest.raises(InputError, match="not sorted by height"):
        cut_tree_labels(unsorted, 2)


def test_condensed_linkage_cuts_like_the_full_one():
    X = _points(11, m=40)
    Z = weighted_ward(X, np.random.default_rng(11).integers(1, 9, size=40).astype(float))
    Zp, members = condense_linkage(Z, p=8)
    assert Zp.shape == (7, 4)
    assert is_valid_linkage(Zp)
    assert Zp[-1, 3] == 8
    np.testing.assert_array_equal(Zp[:, 2], Z[-7:, 2])
    assert members.shape == (40,)
    assert sorted(set(members.tolist())) == list(range(8))
    np.testing.assert_array_equal(members, cut_tree_labels(Z, 8))
    for k in range(1, 8):
        np.testing.assert_array_equal(cut_tree_labels(Zp, k)[members], cut_tree_labels(Z, k))
    assert len(dendrogram(Zp, no_plot=True)["leaves"]) == 8


def test_condense_keeps_small_trees_whole_and_rejects_p_below_2():
    Z = linkage(GRID, "ward")
    Zp, members = condense_linkage(Z, p=12)
    np.testing.assert_array_equal(Zp, Z)
    assert members.tolist() == list(range(12))
    with pytest.raises(InputError, match="p must be at least 2"):
        condense_linkage(Z, p=1)
