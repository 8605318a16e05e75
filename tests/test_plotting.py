import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from eqrep.data.qm9 import smiles_to_dense  # noqa: E402
from eqrep.plotting import draw_graphs, molecule_image, show_matrix  # noqa: E402


def test_draw_graphs_marks_invalid_graphs():
    good = smiles_to_dense("c1ccoc1")
    bad_nodes = np.array([2, 2, 2, 4, 4, 4, 4, 4, 4])
    bad_edges = np.full((9, 9), 3)  # three disconnected oxygens: not a molecule
    nodes, edges = np.stack([good[0], bad_nodes]), np.stack([good[1], bad_edges])
    fig, axes = plt.subplots(1, 3)
    valid = draw_graphs(axes, nodes, edges, titles=["furan", "junk"])
    assert valid.tolist() == [True, False]
    assert any(t.get_text() == "invalid" for t in axes[1].texts)
    assert not axes[2].axison  # surplus axes are switched off
    image = molecule_image(*good)
    assert image is not None and image.ndim == 3 and image.shape[0] == image.shape[1]
    assert molecule_image(bad_nodes, bad_edges) is None
    plt.close(fig)


def test_show_matrix_uses_a_symmetric_colour_scale():
    fig, ax = plt.subplots()
    show_matrix(ax, np.array([[1.0, -3.0], [0.5, 2.0]]), title="m")
    lo, hi = ax.images[0].get_clim()
    assert lo == -hi == -3.0 and ax.get_title() == "m"
    plt.close(fig)
