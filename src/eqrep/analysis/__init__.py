"""Analyses of trained latent spaces (the book's lens applied to each model)."""
