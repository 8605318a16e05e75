"""Group actions on the data the book uses, in one place: one module per kind of data.

* :mod:`~eqrep.actions.orbits` -- orbits and stabilisers (matrices on vectors, ``D_4`` on images);
* :mod:`~eqrep.actions.graphs` -- node permutations on node and edge features;
* :mod:`~eqrep.actions.images` -- rotations and reflections of images (rotated MNIST, ``C_4``, ``D_3``);
* :mod:`~eqrep.actions.digit_pairs` -- ``G x G`` on double-digit MNIST pairs;
* :mod:`~eqrep.actions.fields` -- ``C_4`` on velocity fields (SMOKE);
* :mod:`~eqrep.actions.volumes` -- the octahedral group on volumes (MedMNIST3D).

Conventions: node features ``(..., n, C)``, edge features ``(..., n, n, C)`` (channels last);
images ``(..., H, W)``, rotations counter-clockwise about the centre.
"""

from eqrep.actions.digit_pairs import (
    DIGIT_GROUPS,
    act_on_digits,
    act_on_labels,
    act_on_pairs,
    digit_group,
    pair_group,
    pixel_sources,
    transform_digit,
)
from eqrep.actions.fields import act_on_frames, rotate_velocity
from eqrep.actions.graphs import permutation_matrix, permute_edges, permute_nodes, random_permutation
from eqrep.actions.images import act_c4_on_images, act_d3_on_images, act_d4, rotate, rotate90, rotate_digits
from eqrep.actions.orbits import orbit, orbit_and_stabiliser_sizes
from eqrep.actions.volumes import act_on_volumes, octahedral, rotate_volume

__all__ = ["orbit", "orbit_and_stabiliser_sizes", "permutation_matrix", "random_permutation", "permute_nodes",
           "permute_edges", "rotate90",
           "rotate", "rotate_digits", "act_d4", "act_c4_on_images", "act_d3_on_images", "DIGIT_GROUPS", "digit_group",
           "pair_group", "transform_digit", "pixel_sources", "act_on_digits", "act_on_pairs", "act_on_labels",
           "rotate_velocity", "act_on_frames", "octahedral", "rotate_volume", "act_on_volumes"]
