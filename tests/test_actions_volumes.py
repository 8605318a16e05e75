"""The octahedral group of the cube and its exact action on volumes."""

import itertools

import numpy as np
import pytest
import torch

from eqrep import actions as A
from eqrep.groups import check_group_axioms
from eqrep.representations import character_table


def test_the_24_cube_rotations_form_a_group():
    group, mats = A.octahedral()
    assert group.order == 24 and mats.shape == (24, 3, 3)
    assert len({m.tobytes() for m in mats}) == 24  # distinct
    np.testing.assert_allclose(np.linalg.det(mats), 1.0)
    np.testing.assert_array_equal(np.einsum("gji,gjk->gik", mats, mats), np.broadcast_to(np.eye(3), (24, 3, 3)))
    for g, h in itertools.product(range(24), repeat=2):  # closure, and the table is the matrix product
        np.testing.assert_array_equal(mats[g] @ mats[h], mats[group.mul(g, h)])
    check_group_axioms(group)
    eye = np.eye(3, dtype=np.int64)
    for word in group.relations:  # a^4 = b^3 = (ab)^2 = 1
        m = eye
        for k in word:
            m = m @ mats[group.generators[k]]
        np.testing.assert_array_equal(m, eye)
    # all signed permutation matrices of determinant 1 -- and the group is S_4
    signed = [np.diag(s) @ np.eye(3)[list(p)] for p in itertools.permutations(range(3))
              for s in itertools.product((1, -1), repeat=3)]
    assert {m.astype(int).tobytes() for m in signed if np.linalg.det(m) > 0} == {m.tobytes() for m in mats}
    assert sorted(len(c) for c in group.conjugacy_classes) == [1, 3, 6, 6, 8]
    assert sorted(character_table(group).degrees.tolist()) == [1, 1, 2, 3, 3]

def test_a_voxel_moves_to_the_rotated_position():
    group, mats = A.octahedral()
    n = 5
    centre = (n - 1) / 2
    pos = np.array([0, 1, 4])
    vol = torch.zeros(n, n, n)
    vol[tuple(pos)] = 1.0
    for m in mats:
        out = A.rotate_volume(vol, m)
        target = np.rint(m @ (pos - centre) + centre).astype(int)
        assert out[tuple(target)] == 1.0 and out.sum() == 1.0

def test_volume_action_is_a_homomorphism_and_the_quarter_turn_is_rot90():
    group, mats = A.octahedral()
    vol = torch.rand(2, 4, 4, 4, generator=torch.Generator().manual_seed(0))
    for g, h in [(1, 2), (5, 7), (23, 11), (3, 3)]:
        torch.testing.assert_close(A.rotate_volume(A.rotate_volume(vol, mats[h]), mats[g]),
                                   A.rotate_volume(vol, mats[group.mul(g, h)]), atol=0, rtol=0)
    a = mats[group.generators[0]]
    torch.testing.assert_close(A.rotate_volume(vol, a), torch.rot90(vol, 1, dims=(-2, -1)))
    torch.testing.assert_close(A.rotate_volume(vol, np.eye(3)), vol)
    g = torch.tensor([4, 17])
    batched = A.act_on_volumes(vol[:, None], g, mats)
    for b in range(2):
        torch.testing.assert_close(batched[b, 0], A.rotate_volume(vol[b], mats[g[b]]))

def test_rotation_input_checks():
    with pytest.raises(ValueError, match="signed permutation"):
        A.rotate_volume(torch.zeros(3, 3, 3), np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"\(\.\.\., n, n, n\)"):
        A.rotate_volume(torch.zeros(3, 3, 4), np.eye(3))
    with pytest.raises(ValueError, match="one group element per volume"):
        A.act_on_volumes(torch.zeros(2, 1, 3, 3, 3), torch.tensor([0]), A.octahedral()[1])
