"""Datasets: QM9 molecular graphs (and, in later chapters, MNIST and friends)."""
