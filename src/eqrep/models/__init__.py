"""Models of the book: the graph VAE (Part II) and, later, the others."""
