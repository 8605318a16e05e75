"""eqrep: the companion package of *Interpreting Equivariant Representations*, an executable textbook.

Modules mirror the book's concepts:

* :mod:`eqrep.groups` -- finite groups from generators (Cayley tables, classes);
* :mod:`eqrep.representations` -- representations, characters, multiplicities;
* :mod:`eqrep.actions` -- group actions on vectors, images and graphs;
* :mod:`eqrep.invariants` -- quotient metrics, sorting, poolings, invariant projections;
* :mod:`eqrep.equivariance` -- numerical equivariance checks and equivariant-map counts;
* :mod:`eqrep.layers` -- permutation-equivariant linear layers;
* :mod:`eqrep.plotting` -- the book's figure helpers;
* :mod:`eqrep.device` -- device selection and seeding.
"""

__version__ = "0.1.0"
