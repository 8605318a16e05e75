"""The book's data sets, offline where possible, downloads checked by checksum (with clear offline errors).

QM9 (:mod:`~eqrep.data.qm9`), MNIST (:mod:`~eqrep.data.mnist`), double-digit MNIST
(:mod:`~eqrep.data.ddmnist`), typeface digits (:mod:`~eqrep.data.typeface_digits`), SVHN,
MedMNIST3D and SMOKE (downloads), the train / validation / test splits of chapter 9
(:mod:`~eqrep.data.image_splits`), and the checked downloads themselves
(:mod:`~eqrep.data.download`). Every public name is importable from here (lazily).
"""

from eqrep._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "qm9": ["NODE_TYPES", "BOND_TYPES", "PROPERTIES", "MAX_NODES", "CorruptCacheError", "QM9", "smiles_to_dense",
            "dense_to_molecule", "dense_to_smiles", "canonical_smiles", "one_hot_graphs", "load_qm9"],
    "mnist": ["MNIST", "read_idx", "write_idx", "load_mnist"],
    "ddmnist": ["DDMNIST", "make_ddmnist"],
    "typeface_digits": ["FontNotFoundError", "DigitParameters", "TypefaceDigits"],
    "image_splits": ["ImageData", "load_image_splits", "split_labelled"],
    "svhn": ["SVHN", "load_svhn"],
    "medmnist3d": ["MedMNIST3D", "load_medmnist3d"],
    "smoke": ["load_smoke", "smoke_windows"],
    "labelled_images": ["LabelledImages"],
    "download": ["DownloadError", "CorruptFileError", "sha256_of", "md5_of", "fetch"],
    "paths": ["data_dir"],
})
